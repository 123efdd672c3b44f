// What a log line carries besides its level: the message, and metadata — a dictionary of
// string-ish values (strings, anything printable, nested dictionaries and arrays), set
// on a logger for all its lines or given with one line. Shaped like swift-log's.

extension Logger {
  /// The text of a log line. Written as a string literal or interpolation; built only if
  /// the line's level is logged (the logging methods take it as an autoclosure).
  public struct Message: Sendable, Equatable, Hashable, ExpressibleByStringLiteral, ExpressibleByStringInterpolation,
    CustomStringConvertible
  {
    /// The text.
    public var description: String

    @inlinable public init(_ text: String) { self.description = text }
    @inlinable public init(stringLiteral value: String) { self.description = value }
  }

  /// A log line's metadata: key → value.
  public typealias Metadata = [String: MetadataValue]

  /// One metadata value. String, integer, array and dictionary literals make values.
  public enum MetadataValue: Sendable, Equatable, CustomStringConvertible, ExpressibleByStringLiteral,
    ExpressibleByStringInterpolation, ExpressibleByIntegerLiteral, ExpressibleByArrayLiteral, ExpressibleByDictionaryLiteral
  {
    case string(String)
    /// A value printed with its `description` when the line is written. Numbers and
    /// booleans stay numbers and booleans in JSON lines.
    case stringConvertible(any CustomStringConvertible & Sendable)
    case dictionary(Metadata)
    case array([MetadataValue])

    public init(stringLiteral value: String) { self = .string(value) }
    public init(integerLiteral value: Int) { self = .stringConvertible(value) }
    public init(arrayLiteral elements: MetadataValue...) { self = .array(elements) }
    public init(dictionaryLiteral elements: (String, MetadataValue)...) {
      self = .dictionary(Dictionary(elements, uniquingKeysWith: { _, last in last }))
    }

    public var description: String {
      switch self {
      case .string(let s): return s
      case .stringConvertible(let v): return v.description
      case .dictionary(let d):
        return "[" + d.sorted { $0.key < $1.key }.map { "\($0.key): \($0.value)" }.joined(separator: ", ") + "]"
      case .array(let a): return "[" + a.map(\.description).joined(separator: ", ") + "]"
      }
    }

    /// Values compare by what they print as (a printable value has no other equality).
    public static func == (a: MetadataValue, b: MetadataValue) -> Bool {
      switch (a, b) {
      case (.string(let x), .string(let y)): return x == y
      case (.stringConvertible(let x), .stringConvertible(let y)): return x.description == y.description
      case (.dictionary(let x), .dictionary(let y)): return x == y
      case (.array(let x), .array(let y)): return x == y
      default: return false
      }
    }
  }
}
