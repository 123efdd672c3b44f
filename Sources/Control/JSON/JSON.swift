// A JSON value, its parser and its printer: the control protocol's wire format. Written
// here rather than taken from Foundation so that the node side needs no Foundation, a
// large snapshot prints fast, and a malformed request gets an error that says where.

/// A JSON value. Objects keep their keys in order (so output reads as it was built).
public enum JSON: Sendable, Equatable, CustomStringConvertible {
  case null
  case bool(Bool)
  /// A number written without fraction or exponent that fits in 64 bits.
  case int(Int64)
  case double(Double)
  case string(String)
  case array([JSON])
  case object([(key: String, value: JSON)])

  public static func == (a: JSON, b: JSON) -> Bool {
    switch (a, b) {
    case (.null, .null): return true
    case (.bool(let x), .bool(let y)): return x == y
    case (.int(let x), .int(let y)): return x == y
    case (.double(let x), .double(let y)): return x == y
    case (.int(let x), .double(let y)), (.double(let y), .int(let x)): return Double(x) == y
    case (.string(let x), .string(let y)): return x == y
    case (.array(let x), .array(let y)): return x == y
    case (.object(let x), .object(let y)):
      return x.count == y.count && zip(x, y).allSatisfy { $0.key == $1.key && $0.value == $1.value }
    default: return false
    }
  }

  // MARK: - Building

  /// An object from key-value pairs, in order; pairs whose value is nil are left out.
  public static func fields(_ pairs: KeyValuePairs<String, JSON?>) -> JSON {
    .object(pairs.compactMap { pair in pair.value.map { (key: pair.key, value: $0) } })
  }

  public static func number(_ n: some BinaryInteger) -> JSON {
    if let i = Int64(exactly: n) { return .int(i) }
    return .double(Double(n))
  }

  public static func number(_ d: Double) -> JSON { .double(d) }

  // MARK: - Reading

  /// The value of `key` in an object (nil if absent, or not an object).
  public subscript(key: String) -> JSON? {
    guard case .object(let pairs) = self else { return nil }
    return pairs.first { $0.key == key }?.value
  }

  public var stringValue: String? {
    if case .string(let s) = self { return s }
    return nil
  }

  public var boolValue: Bool? {
    if case .bool(let b) = self { return b }
    return nil
  }

  /// The value as an integer, if it is a whole number.
  public var intValue: Int64? {
    switch self {
    case .int(let i): return i
    case .double(let d) where d == d.rounded() && abs(d) < 9.2e18: return Int64(d)
    default: return nil
    }
  }

  public var doubleValue: Double? {
    switch self {
    case .int(let i): return Double(i)
    case .double(let d): return d
    default: return nil
    }
  }

  public var arrayValue: [JSON]? {
    if case .array(let a) = self { return a }
    return nil
  }

  public var isNull: Bool {
    if case .null = self { return true }
    return false
  }

  /// The JSON type's name, for error messages.
  public var typeName: String {
    switch self {
    case .null: return "null"
    case .bool: return "a boolean"
    case .int, .double: return "a number"
    case .string: return "a string"
    case .array: return "an array"
    case .object: return "an object"
    }
  }

  // MARK: - Printing

  /// Compact JSON text.
  public var description: String { String(decoding: bytes, as: UTF8.self) }

  /// Compact JSON as UTF-8.
  public var bytes: [UInt8] {
    var out: [UInt8] = []
    write(to: &out)
    return out
  }

  /// Appends the compact JSON text to `out`.
  public func write(to out: inout [UInt8]) {
    switch self {
    case .null: out.append(contentsOf: "null".utf8)
    case .bool(let b): out.append(contentsOf: (b ? "true" : "false").utf8)
    case .int(let i): JSON.writeInteger(i, to: &out)
    case .double(let d):
      if !d.isFinite {
        out.append(contentsOf: "null".utf8)
      } else if d == d.rounded() && abs(d) < 1e15 {
        JSON.writeInteger(Int64(d), to: &out)
      } else {
        out.append(contentsOf: d.description.utf8)
      }
    case .string(let s): JSON.writeString(s, to: &out)
    case .array(let items):
      out.append(UInt8(ascii: "["))
      for (i, item) in items.enumerated() {
        if i > 0 { out.append(UInt8(ascii: ",")) }
        item.write(to: &out)
      }
      out.append(UInt8(ascii: "]"))
    case .object(let pairs):
      out.append(UInt8(ascii: "{"))
      for (i, pair) in pairs.enumerated() {
        if i > 0 { out.append(UInt8(ascii: ",")) }
        JSON.writeString(pair.key, to: &out)
        out.append(UInt8(ascii: ":"))
        pair.value.write(to: &out)
      }
      out.append(UInt8(ascii: "}"))
    }
  }

  static func writeInteger(_ value: Int64, to out: inout [UInt8]) {
    if value == 0 {
      out.append(UInt8(ascii: "0"))
      return
    }
    var magnitude = value.magnitude
    var digits:
      (
        UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8,
        UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8
      ) =
        (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
    var n = 0
    withUnsafeMutableBytes(of: &digits) { buf in
      while magnitude > 0 {
        buf[n] = UInt8(ascii: "0") + UInt8(magnitude % 10)
        magnitude /= 10
        n += 1
      }
      if value < 0 { out.append(UInt8(ascii: "-")) }
      for i in stride(from: n - 1, through: 0, by: -1) { out.append(buf[i]) }
    }
  }

  static func writeString(_ s: String, to out: inout [UInt8]) {
    out.append(UInt8(ascii: "\""))
    for byte in s.utf8 {
      switch byte {
      case UInt8(ascii: "\""): out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "\"")])
      case UInt8(ascii: "\\"): out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "\\")])
      case 0x0A: out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "n")])
      case 0x0D: out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "r")])
      case 0x09: out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "t")])
      case 0..<0x20, 0x7F:
        let hex: [UInt8] = Array("0123456789abcdef".utf8)
        out.append(contentsOf: [
          UInt8(ascii: "\\"), UInt8(ascii: "u"), UInt8(ascii: "0"), UInt8(ascii: "0"),
          hex[Int(byte >> 4)], hex[Int(byte & 15)],
        ])
      default: out.append(byte)
      }
    }
    out.append(UInt8(ascii: "\""))
  }

  /// Indented JSON text (two spaces), for people.
  public func pretty(indent: String = "") -> String {
    let inner = indent + "  "
    switch self {
    case .array(let items) where !items.isEmpty:
      return "[\n" + items.map { inner + $0.pretty(indent: inner) }.joined(separator: ",\n") + "\n\(indent)]"
    case .object(let pairs) where !pairs.isEmpty:
      return "{\n"
        + pairs.map { inner + JSON.string($0.key).description + ": " + $0.value.pretty(indent: inner) }
        .joined(separator: ",\n") + "\n\(indent)}"
    default:
      return description
    }
  }
}
