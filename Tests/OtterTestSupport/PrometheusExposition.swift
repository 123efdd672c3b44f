// A strict reader of Prometheus's text exposition format (0.0.4), written from the
// format's rules rather than from our renderer, so that tests can check what a metrics
// endpoint serves as a scraper would:
//   - lines end with LF, the last one included; empty lines are ignored;
//   - `# HELP name text` and `# TYPE name type` (counter, gauge, histogram, summary,
//     untyped), at most one of each per name, before that family's first sample; other
//     `#` lines are comments;
//   - a sample is `name{label="value",...} value [timestamp]`: names match
//     `[a-zA-Z_:][a-zA-Z0-9_:]*`, label names `[a-zA-Z_][a-zA-Z0-9_]*` (none twice, none
//     starting with `__`), label values escape only `\\`, `\"` and `\n`, values parse as
//     floats (`NaN`, `+Inf`, `-Inf` too), a timestamp is an integer;
//   - a family's lines are not interleaved with another's, and a series (name and label
//     set) appears once.
// With `strict` (the default) it also holds what our endpoints promise: every family has
// HELP and TYPE, and every counter's name ends in `_total`.

/// A parsed exposition: the families in order, each with its samples.
public struct PrometheusExposition: Sendable {
  public struct Sample: Sendable, Equatable {
    public let name: String
    public let labels: [String: String]
    public let value: Double
    public let timestamp: Int64?
  }

  public struct Family: Sendable {
    public let name: String
    public var type: String?
    public var help: String?
    public var samples: [Sample] = []
  }

  /// What broke which rule, and on which line (1-based).
  public struct Violation: Error, CustomStringConvertible {
    public let line: Int
    public let rule: String
    public var description: String { "line \(line): \(rule)" }
  }

  /// The families in the order they appear.
  public private(set) var families: [Family] = []

  /// Parses `text`, throwing at the first broken rule.
  public init(parsing text: String, strict: Bool = true) throws(Violation) {
    var index: [String: Int] = [:]
    var finished = Set<String>()  // families whose lines have ended
    var current: String?
    var series = Set<String>()
    guard text.isEmpty || text.hasSuffix("\n") else { throw Violation(line: 0, rule: "the last line does not end with a line feed") }
    let lines = text.split(separator: "\n", omittingEmptySubsequences: false).dropLast()
    func family(_ name: String, line: Int) throws(Violation) -> Int {
      if current != name {
        if let current { finished.insert(current) }
        guard !finished.contains(name) else { throw Violation(line: line, rule: "lines of \(name) are not together") }
        current = name
      }
      if let i = index[name] { return i }
      families.append(Family(name: name))
      index[name] = families.count - 1
      return families.count - 1
    }
    for (offset, raw) in lines.enumerated() {
      let number = offset + 1
      let line = String(raw)
      if line.allSatisfy({ $0 == " " || $0 == "\t" }) { continue }
      if line.hasPrefix("#") {
        var reader = Reader(line, line: number)
        reader.skip("#")
        reader.skipBlanks()
        let keyword = reader.token()
        guard keyword == "HELP" || keyword == "TYPE" else { continue }  // a comment
        reader.skipBlanks()
        let name = reader.token()
        guard PrometheusExposition.isMetricName(name) else { throw Violation(line: number, rule: "bad metric name \"\(name)\"") }
        let i = try family(name, line: number)
        guard families[i].samples.isEmpty else { throw Violation(line: number, rule: "# \(keyword) \(name) after its samples") }
        if keyword == "HELP" {
          guard families[i].help == nil else { throw Violation(line: number, rule: "second HELP for \(name)") }
          reader.skipOneBlank()
          families[i].help = try reader.helpText()
        } else {
          guard families[i].type == nil else { throw Violation(line: number, rule: "second TYPE for \(name)") }
          reader.skipBlanks()
          let type = reader.token()
          guard ["counter", "gauge", "histogram", "summary", "untyped"].contains(type) else {
            throw Violation(line: number, rule: "unknown type \"\(type)\"")
          }
          reader.skipBlanks()
          guard reader.atEnd else { throw Violation(line: number, rule: "text after the type") }
          families[i].type = type
        }
        continue
      }
      var reader = Reader(line, line: number)
      reader.skipBlanks()
      let name = reader.token(until: "{")
      guard PrometheusExposition.isMetricName(name) else { throw Violation(line: number, rule: "bad metric name \"\(name)\"") }
      let labels = try reader.labels()
      reader.skipBlanks()
      let valueText = reader.token()
      guard let value = PrometheusExposition.parseValue(valueText) else {
        throw Violation(line: number, rule: "value \"\(valueText)\" is not a float")
      }
      reader.skipBlanks()
      var timestamp: Int64?
      if !reader.atEnd {
        let t = reader.token()
        guard let parsed = Int64(t) else { throw Violation(line: number, rule: "timestamp \"\(t)\" is not an integer") }
        timestamp = parsed
        reader.skipBlanks()
      }
      guard reader.atEnd else { throw Violation(line: number, rule: "text after the sample") }
      let familyName = familyName(of: name, index: index)
      let i = try family(familyName, line: number)
      let key = name + "{" + labels.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ",") + "}"
      guard series.insert(key).inserted else { throw Violation(line: number, rule: "series \(key) twice") }
      families[i].samples.append(Sample(name: name, labels: labels, value: value, timestamp: timestamp))
    }
    if strict {
      for f in families {
        guard f.help != nil else { throw Violation(line: 0, rule: "\(f.name) has no HELP") }
        guard let type = f.type else { throw Violation(line: 0, rule: "\(f.name) has no TYPE") }
        if type == "counter" && !f.name.hasSuffix("_total") { throw Violation(line: 0, rule: "counter \(f.name) does not end in _total") }
      }
    }
  }

  /// The family named `name`.
  public func family(_ name: String) -> Family? { families.first { $0.name == name } }

  /// The value of the sample `name` whose labels include `labels`; nil if none (or
  /// several) match.
  public func value(_ name: String, _ labels: [String: String] = [:]) -> Double? {
    let matching = families.flatMap(\.samples).filter { s in
      s.name == name && labels.allSatisfy { s.labels[$0.key] == $0.value }
    }
    return matching.count == 1 ? matching[0].value : nil
  }

  /// Every sample named `name`.
  public func samples(_ name: String) -> [Sample] { families.flatMap(\.samples).filter { $0.name == name } }

  /// A histogram's or summary's `_bucket`, `_sum`, `_count` samples belong to the family
  /// without the suffix, once that family is typed so.
  private func familyName(of sample: String, index: [String: Int]) -> String {
    for suffix in ["_bucket", "_sum", "_count"] where sample.hasSuffix(suffix) {
      let base = String(sample.dropLast(suffix.count))
      if let i = index[base], families[i].type == "histogram" || families[i].type == "summary" { return base }
    }
    return sample
  }

  static func isMetricName(_ s: String) -> Bool {
    guard let first = s.unicodeScalars.first, isLetter(first) || first == "_" || first == ":" else { return false }
    return s.unicodeScalars.allSatisfy { isLetter($0) || isDigit($0) || $0 == "_" || $0 == ":" }
  }

  static func isLabelName(_ s: String) -> Bool {
    guard let first = s.unicodeScalars.first, isLetter(first) || first == "_" else { return false }
    return s.unicodeScalars.allSatisfy { isLetter($0) || isDigit($0) || $0 == "_" }
  }

  /// Go's ParseFloat as Prometheus uses it: decimal and exponent forms, NaN, ±Inf.
  public static func parseValue(_ s: String) -> Double? {
    switch s {
    case "NaN": return .nan
    case "+Inf", "Inf": return .infinity
    case "-Inf": return -.infinity
    default:
      guard !s.isEmpty, s.unicodeScalars.allSatisfy({ isDigit($0) || "+-.eE".unicodeScalars.contains($0) }) else { return nil }
      return Double(s)
    }
  }

  private static func isLetter(_ c: Unicode.Scalar) -> Bool { ("a"..."z").contains(c) || ("A"..."Z").contains(c) }
  private static func isDigit(_ c: Unicode.Scalar) -> Bool { ("0"..."9").contains(c) }
}

/// A cursor over one line's characters.
private struct Reader {
  let chars: [Character]
  var at = 0
  let line: Int

  init(_ text: String, line: Int) {
    chars = Array(text)
    self.line = line
  }

  var atEnd: Bool { at >= chars.count }

  mutating func skip(_ c: Character) { if !atEnd && chars[at] == c { at += 1 } }
  mutating func skipBlanks() { while !atEnd && (chars[at] == " " || chars[at] == "\t") { at += 1 } }
  mutating func skipOneBlank() { if !atEnd && (chars[at] == " " || chars[at] == "\t") { at += 1 } }

  /// Characters up to the next blank (or `stop`).
  mutating func token(until stop: Character? = nil) -> String {
    let start = at
    while !atEnd && chars[at] != " " && chars[at] != "\t" && chars[at] != stop { at += 1 }
    return String(chars[start..<at])
  }

  /// The rest of a HELP line, unescaped (`\\` and `\n` only).
  mutating func helpText() throws(PrometheusExposition.Violation) -> String {
    var out = ""
    while !atEnd {
      let c = chars[at]
      at += 1
      guard c == "\\" else {
        out.append(c)
        continue
      }
      guard !atEnd else { throw PrometheusExposition.Violation(line: line, rule: "HELP ends with a lone backslash") }
      switch chars[at] {
      case "\\": out.append("\\")
      case "n": out.append("\n")
      default: throw PrometheusExposition.Violation(line: line, rule: "HELP escapes \"\(chars[at])\"")
      }
      at += 1
    }
    return out
  }

  /// `{name="value",...}` if present (a trailing comma allowed), unescaped.
  mutating func labels() throws(PrometheusExposition.Violation) -> [String: String] {
    var out: [String: String] = [:]
    guard !atEnd && chars[at] == "{" else { return out }
    at += 1
    while true {
      skipBlanks()
      guard !atEnd else { throw PrometheusExposition.Violation(line: line, rule: "labels not closed") }
      if chars[at] == "}" {
        at += 1
        return out
      }
      let start = at
      while !atEnd && chars[at] != "=" && chars[at] != " " && chars[at] != "\t" { at += 1 }
      let name = String(chars[start..<at])
      guard PrometheusExposition.isLabelName(name), !name.hasPrefix("__") else {
        throw PrometheusExposition.Violation(line: line, rule: "bad label name \"\(name)\"")
      }
      skipBlanks()
      guard !atEnd && chars[at] == "=" else { throw PrometheusExposition.Violation(line: line, rule: "label \(name) without =") }
      at += 1
      skipBlanks()
      guard !atEnd && chars[at] == "\"" else { throw PrometheusExposition.Violation(line: line, rule: "label \(name)'s value not quoted") }
      at += 1
      var value = ""
      while true {
        guard !atEnd else { throw PrometheusExposition.Violation(line: line, rule: "label \(name)'s value not closed") }
        let c = chars[at]
        at += 1
        if c == "\"" { break }
        if c == "\\" {
          guard !atEnd else { throw PrometheusExposition.Violation(line: line, rule: "label \(name)'s value ends in a backslash") }
          switch chars[at] {
          case "\\": value.append("\\")
          case "\"": value.append("\"")
          case "n": value.append("\n")
          default: throw PrometheusExposition.Violation(line: line, rule: "label \(name)'s value escapes \"\(chars[at])\"")
          }
          at += 1
        } else {
          value.append(c)
        }
      }
      guard out.updateValue(value, forKey: name) == nil else {
        throw PrometheusExposition.Violation(line: line, rule: "label \(name) twice")
      }
      skipBlanks()
      guard !atEnd else { throw PrometheusExposition.Violation(line: line, rule: "labels not closed") }
      if chars[at] == "," {
        at += 1
      } else if chars[at] != "}" {
        throw PrometheusExposition.Violation(line: line, rule: "expected , or } after label \(name)")
      }
    }
  }
}
