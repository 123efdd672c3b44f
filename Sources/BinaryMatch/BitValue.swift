// `BitValue`: a field's value without a static type, for building and for inspecting matches.
//
// Building takes `[String: BitValue]` so a pattern's values can be written as a literal
// (`["Len": 5, "Payload": "hi"]`); `BitPattern.values(of:in:)` returns the same form, which
// makes match → build round trips one line.

/// A value for one field: an integer, a float, or a bitstring.
///
/// Literals work: `5` is `.int(5)`, `1.5` is `.float(1.5)`, `"hi"` is the UTF-8 bytes of the
/// string, `[1, 2, 3]` is those bytes. `.int(5) == .uint(5)`: integers compare by value.
public enum BitValue: Hashable, Sendable, CustomStringConvertible,
  ExpressibleByIntegerLiteral, ExpressibleByFloatLiteral, ExpressibleByStringLiteral, ExpressibleByArrayLiteral
{
  /// A signed integer (also any integer that fits `Int64`).
  case int(Int64)
  /// An unsigned integer, for values above `Int64.max`; what unsigned fields match as.
  case uint(UInt64)
  /// A float, for float segments (integers are accepted there too).
  case float(Double)
  /// A binary or bitstring.
  case bits(Bitstring)

  /// An integer of any width (`.int` when it fits `Int64`, else `.uint`).
  public init<T: BinaryInteger>(_ value: T) {
    if let v = Int64(exactly: value) { self = .int(v) } else { self = .uint(UInt64(truncatingIfNeeded: value)) }
  }

  /// A binary of these bytes.
  public static func bytes<Bytes: Sequence<UInt8>>(_ bytes: Bytes) -> BitValue { .bits(Bitstring(bytes)) }

  /// A code point, for utf8/utf16/utf32 segments.
  public static func scalar(_ scalar: Unicode.Scalar) -> BitValue { .uint(UInt64(scalar.value)) }

  public init(integerLiteral value: Int64) { self = .int(value) }
  public init(floatLiteral value: Double) { self = .float(value) }
  public init(stringLiteral value: String) { self = .bits(Bitstring(value.utf8)) }
  public init(arrayLiteral elements: UInt8...) { self = .bits(Bitstring(elements)) }

  /// The integer value as `Int64`, when it is an integer that fits.
  public var int64: Int64? {
    switch self {
    case .int(let v): v
    case .uint(let v): Int64(exactly: v)
    default: nil
    }
  }

  public static func == (a: BitValue, b: BitValue) -> Bool {
    switch (a, b) {
    case (.int(let x), .int(let y)): x == y
    case (.uint(let x), .uint(let y)): x == y
    case (.int(let x), .uint(let y)), (.uint(let y), .int(let x)): x >= 0 && UInt64(x) == y
    case (.float(let x), .float(let y)): x == y
    case (.bits(let x), .bits(let y)): x == y
    default: false
    }
  }

  public func hash(into hasher: inout Hasher) {
    switch self {
    case .int(let v) where v >= 0:
      hasher.combine(0)
      hasher.combine(UInt64(v))
    case .int(let v):
      hasher.combine(1)
      hasher.combine(v)
    case .uint(let v):
      hasher.combine(0)
      hasher.combine(v)
    case .float(let v):
      hasher.combine(2)
      hasher.combine(v)
    case .bits(let v):
      hasher.combine(3)
      hasher.combine(v)
    }
  }

  public var description: String {
    switch self {
    case .int(let v): String(v)
    case .uint(let v): String(v)
    case .float(let v): String(v)
    case .bits(let v): v.description
    }
  }
}
