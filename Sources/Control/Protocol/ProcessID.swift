// A process as the wire names it: its number, printed like Erlang's `<0.42.0>`.

/// A process of the observed node, named by its number (the observer runs in another OS
/// process, so it holds numbers, not `Pid`s).
public struct ProcessID: Hashable, Comparable, Sendable, CustomStringConvertible {
  public let id: UInt64

  public init(_ id: UInt64) { self.id = id }

  /// Reads `<0.42.0>`, `0.42.0` or `42`.
  public init?(parsing text: String) {
    var t = Substring(text.trimmingSpaces)
    if t.hasPrefix("<") && t.hasSuffix(">") { t = t.dropFirst().dropLast() }
    let parts = t.split(separator: ".", omittingEmptySubsequences: false)
    if parts.count == 3, parts[0] == "0", parts[2] == "0", let n = UInt64(parts[1]) {
      id = n
    } else if parts.count == 1, let n = UInt64(parts[0]) {
      id = n
    } else {
      return nil
    }
  }

  public var description: String { "<0.\(id).0>" }

  public static func < (a: ProcessID, b: ProcessID) -> Bool { a.id < b.id }

  var json: JSON { .string(description) }

  /// From a string (`"<0.42.0>"`) or a number (`42`).
  init(json: JSON, field: String) throws(ControlError) {
    if let s = json.stringValue, let p = ProcessID(parsing: s) {
      self = p
    } else if let i = json.intValue, i >= 0 {
      self.init(UInt64(i))
    } else {
      throw .badRequest("\(field) is not a pid (write \"<0.42.0>\" or 42): \(json)")
    }
  }
}

extension String {
  var trimmingSpaces: String {
    var s = Substring(self)
    while let f = s.first, f == " " || f == "\t" || f == "\n" || f == "\r" { s = s.dropFirst() }
    while let l = s.last, l == " " || l == "\t" || l == "\n" || l == "\r" { s = s.dropLast() }
    return String(s)
  }
}
