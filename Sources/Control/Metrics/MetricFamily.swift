// Metrics as plain values: a family (one name, one type, one help text) and its samples
// (a value and its labels). The node's own families come from `NodeMetrics`, an
// application adds its own, and `PrometheusText` writes them all for a scraper. Values
// only: nothing here is shared or written after it is made.

/// What a metric family measures, in Prometheus's terms.
public enum MetricType: String, Sendable {
  /// Only grows (or starts again from zero when the program restarts): a scraper turns
  /// it into a rate. Its name ends in `_total`.
  case counter
  /// Goes up and down: a level, a size, a length.
  case gauge
}

/// One value of a family, with the labels that tell it from the family's other samples.
public struct MetricSample: Sendable {
  /// Label names and values, in the order they are written.
  public var labels: [(name: String, value: String)]
  public var value: Double

  /// A sample with `labels` (none by default).
  public init(_ value: Double, labels: [(String, String)] = []) {
    self.value = value
    self.labels = labels.map { (name: $0.0, value: $0.1) }
  }

  /// A sample of a whole number (a count, bytes).
  public init<N: BinaryInteger>(_ value: N, labels: [(String, String)] = []) {
    self.init(Double(value), labels: labels)
  }
}

/// A metric family: its name, type, help text and samples.
public struct MetricFamily: Sendable {
  /// `[a-zA-Z_:][a-zA-Z0-9_:]*`, with the unit in it (`_bytes`, `_seconds`); a counter's
  /// ends in `_total`. `PrometheusText` repairs a name that breaks these rules.
  public var name: String
  public var type: MetricType
  /// One line saying what is measured (and, for a counter, what makes it grow).
  public var help: String
  public var samples: [MetricSample]

  public init(_ name: String, _ type: MetricType, help: String, samples: [MetricSample]) {
    self.name = name
    self.type = type
    self.help = help
    self.samples = samples
  }

  /// A family of one unlabelled sample.
  public init(_ name: String, _ type: MetricType, help: String, value: Double) {
    self.init(name, type, help: help, samples: [MetricSample(value)])
  }

  /// A family of one unlabelled whole-number sample.
  public init<N: BinaryInteger>(_ name: String, _ type: MetricType, help: String, value: N) {
    self.init(name, type, help: help, samples: [MetricSample(value)])
  }
}
