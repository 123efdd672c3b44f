// Writing metric families in Prometheus's text exposition format, version 0.0.4: for
// each family a `# HELP` line and a `# TYPE` line, then its samples, one per line, as
// `name{label="value",...} value`. The output is valid whatever the families hold: names
// are repaired to the allowed characters, a counter's name gets its `_total`, label
// values and help texts are escaped, families of one name are written once and a
// series (name and label set) at most once. A pure function of its input.

/// The Prometheus text format (0.0.4).
public enum PrometheusText {
  /// The `Content-Type` of a response carrying this format.
  public static let contentType = "text/plain; version=0.0.4; charset=utf-8"

  /// `families` in the text format. Families that share a name (after repair) are
  /// written as one, with the first one's type and help; samples of a later one of
  /// another type, and repeats of a series already written, are left out.
  public static func render(_ families: [MetricFamily]) -> String {
    var order: [String] = []
    var merged: [String: (type: MetricType, help: String, samples: [MetricSample])] = [:]
    for family in families {
      let name = metricName(family.name, type: family.type)
      if let existing = merged[name] {
        guard existing.type == family.type else { continue }
        merged[name]!.samples += family.samples
      } else {
        order.append(name)
        merged[name] = (family.type, family.help, family.samples)
      }
    }
    var out = ""
    for name in order {
      let family = merged[name]!
      out += "# HELP \(name) \(escapeHelp(family.help))\n"
      out += "# TYPE \(name) \(family.type.rawValue)\n"
      var seen = Set<String>()
      for sample in family.samples {
        let labels = labelText(sample.labels)
        guard seen.insert(labels.key).inserted else { continue }
        out += name + labels.text + " " + format(sample.value) + "\n"
      }
    }
    return out
  }

  /// `name` with every character outside `[a-zA-Z0-9_:]` made `_` and `_` in front of a
  /// leading digit; a counter's name ends in `_total`.
  public static func metricName(_ name: String, type: MetricType) -> String {
    var repaired = repair(name, allowColon: true)
    if type == .counter && !repaired.hasSuffix("_total") { repaired += "_total" }
    return repaired
  }

  /// `name` as a label name: `[a-zA-Z_][a-zA-Z0-9_]*`, and not starting with the `__`
  /// Prometheus keeps for itself.
  public static func labelName(_ name: String) -> String {
    var repaired = repair(name, allowColon: false)
    while repaired.hasPrefix("__") { repaired.removeFirst() }
    return repaired
  }

  /// A label value between its quotes: backslash, double quote and line feed escaped.
  public static func escapeLabelValue(_ value: String) -> String {
    var out = ""
    out.reserveCapacity(value.utf8.count)
    for c in value.unicodeScalars {
      switch c {
      case "\\": out += "\\\\"
      case "\"": out += "\\\""
      case "\n": out += "\\n"
      default: out.unicodeScalars.append(c)
      }
    }
    return out
  }

  /// A help text: backslash and line feed escaped.
  static func escapeHelp(_ help: String) -> String {
    var out = ""
    for c in help.unicodeScalars {
      switch c {
      case "\\": out += "\\\\"
      case "\n": out += "\\n"
      default: out.unicodeScalars.append(c)
      }
    }
    return out
  }

  /// A value as Prometheus reads it (Go's ParseFloat): whole numbers without a
  /// fraction, `NaN`, `+Inf`, `-Inf`.
  public static func format(_ value: Double) -> String {
    if value.isNaN { return "NaN" }
    if value.isInfinite { return value > 0 ? "+Inf" : "-Inf" }
    if value == value.rounded(), abs(value) < 1e15 { return String(Int64(value)) }
    return "\(value)"
  }

  /// The `{...}` of a sample (empty without labels) and a key that is the same for the
  /// same label set in any order. A label name given twice keeps its first value.
  private static func labelText(_ labels: [(name: String, value: String)]) -> (text: String, key: String) {
    guard !labels.isEmpty else { return ("", "") }
    var names = Set<String>()
    var pairs: [String] = []
    for label in labels {
      let name = labelName(label.name)
      guard names.insert(name).inserted else { continue }
      pairs.append("\(name)=\"\(escapeLabelValue(label.value))\"")
    }
    return ("{" + pairs.joined(separator: ",") + "}", pairs.sorted().joined(separator: ","))
  }

  private static func repair(_ name: String, allowColon: Bool) -> String {
    var out = ""
    for c in name.unicodeScalars {
      let allowed =
        ("a"..."z").contains(c) || ("A"..."Z").contains(c) || ("0"..."9").contains(c) || c == "_" || (allowColon && c == ":")
      out.unicodeScalars.append(allowed ? c : "_")
    }
    if out.isEmpty || ("0"..."9").contains(out.unicodeScalars.first!) { out = "_" + out }
    return out
  }
}
