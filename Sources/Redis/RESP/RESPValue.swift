// A decoded RESP reply: every RESP2 and RESP3 type. Made by RESPDecoder (its only
// writer); read by callers through the typed accessors below.

/// One reply from Redis, as RESP3 describes it (RESP2 replies use the subset).
///
/// Bulk strings are slices of the buffer the reply was read into: nothing is copied
/// when a reply arrives whole in one read. Keep `Array(bytes)` if you store a small
/// part of a large reply for long.
public enum RESPValue: Sendable, Hashable {
  /// `+OK`
  case simpleString(String)
  /// `-ERR ...` or RESP3's bulk error `!<len>`.
  case error(RedisServerError)
  /// `:42`
  case integer(Int64)
  /// `$<len>`: binary-safe bytes.
  case bulkString(ArraySlice<UInt8>)
  /// RESP3 `_`, and RESP2's null bulk string `$-1` and null array `*-1`.
  case null
  /// RESP3 `,3.14` (also `inf`, `-inf`, `nan`).
  case double(Double)
  /// RESP3 `#t` / `#f`.
  case boolean(Bool)
  /// RESP3 `(` — an integer too large for 64 bits, as its decimal digits.
  case bigNumber(String)
  /// RESP3 `=<len>`: text with a three-letter format (`txt`, `mkd`).
  case verbatimString(format: String, text: ArraySlice<UInt8>)
  /// `*<n>`
  case array([RESPValue])
  /// RESP3 `%<n>`: pairs, in the order Redis sent them.
  case map([RESPPair])
  /// RESP3 `~<n>`
  case set([RESPValue])
  /// RESP3 `><n>`: out-of-band data (pub/sub messages, invalidations).
  case push([RESPValue])
}

/// One entry of a RESP3 map (or attribute).
public struct RESPPair: Sendable, Hashable {
  public var key: RESPValue
  public var value: RESPValue
  public init(key: RESPValue, value: RESPValue) {
    self.key = key
    self.value = value
  }
}

extension RESPValue {
  /// The bytes of a bulk, simple or verbatim string; nil for other types.
  public var bytes: ArraySlice<UInt8>? {
    switch self {
    case .bulkString(let b): return b
    case .simpleString(let s): return ArraySlice(s.utf8)
    case .verbatimString(_, let t): return t
    default: return nil
    }
  }

  /// A string reply as text (UTF-8, invalid bytes replaced); also integers, doubles and
  /// big numbers as their digits. Nil for null, errors and aggregates.
  public var string: String? {
    switch self {
    case .bulkString(let b): return String(decoding: b, as: UTF8.self)
    case .simpleString(let s): return s
    case .verbatimString(_, let t): return String(decoding: t, as: UTF8.self)
    case .integer(let i): return String(i)
    case .double(let d): return String(d)
    case .bigNumber(let s): return s
    default: return nil
    }
  }

  /// An integer reply, or a string of digits (RESP2 sends some numbers as strings).
  public var int: Int? {
    switch self {
    case .integer(let i): return Int(exactly: i)
    case .bulkString, .simpleString, .bigNumber: return string.flatMap { Int($0) }
    case .boolean(let b): return b ? 1 : 0
    default: return nil
    }
  }

  /// A double reply, or a string with a number (RESP2's INCRBYFLOAT, ZSCORE).
  public var double: Double? {
    switch self {
    case .double(let d): return d
    case .integer(let i): return Double(i)
    case .bulkString, .simpleString: return string.flatMap { Double($0) }
    default: return nil
    }
  }

  /// RESP3 booleans, and RESP2's 0/1 integers.
  public var bool: Bool? {
    switch self {
    case .boolean(let b): return b
    case .integer(let i): return i != 0
    default: return nil
    }
  }

  /// The elements of an array, set or push; a map's keys and values flattened in turn
  /// (what RESP2 sends for the same reply). Nil for other types (null included).
  public var array: [RESPValue]? {
    switch self {
    case .array(let a), .set(let a), .push(let a): return a
    case .map(let pairs): return pairs.flatMap { [$0.key, $0.value] }
    default: return nil
    }
  }

  /// A map's pairs; RESP2's flat array of alternating keys and values read as pairs
  /// (nil if its length is odd).
  public var pairs: [RESPPair]? {
    switch self {
    case .map(let p): return p
    case .array(let a):
      guard a.count % 2 == 0 else { return nil }
      return stride(from: 0, to: a.count, by: 2).map { RESPPair(key: a[$0], value: a[$0 + 1]) }
    default: return nil
    }
  }

  /// A map (or RESP2 flat array) with string keys, as a dictionary (the last of
  /// duplicate keys wins).
  public var dictionary: [String: RESPValue]? {
    guard let pairs else { return nil }
    var d: [String: RESPValue] = [:]
    for p in pairs { if let k = p.key.string { d[k] = p.value } }
    return d
  }

  /// True for every kind of null.
  public var isNull: Bool { if case .null = self { return true } else { return false } }

  /// A short name of the type, for error messages ("bulk string", "map").
  public var typeName: String {
    switch self {
    case .simpleString: return "simple string"
    case .error: return "error"
    case .integer: return "integer"
    case .bulkString: return "bulk string"
    case .null: return "null"
    case .double: return "double"
    case .boolean: return "boolean"
    case .bigNumber: return "big number"
    case .verbatimString: return "verbatim string"
    case .array: return "array"
    case .map: return "map"
    case .set: return "set"
    case .push: return "push"
    }
  }
}

extension RESPValue: CustomStringConvertible {
  /// Like redis-cli prints it, on one line: `"OK"`, `(integer) 3`, `(nil)`, `["a", "b"]`.
  public var description: String {
    switch self {
    case .simpleString(let s): return s
    case .error(let e): return "(error) \(e.message)"
    case .integer(let i): return "(integer) \(i)"
    case .bulkString(let b): return "\"\(String(decoding: b, as: UTF8.self))\""
    case .null: return "(nil)"
    case .double(let d): return "(double) \(d)"
    case .boolean(let b): return b ? "(true)" : "(false)"
    case .bigNumber(let s): return "(big number) \(s)"
    case .verbatimString(let f, let t): return "\(f):\"\(String(decoding: t, as: UTF8.self))\""
    case .array(let a): return "[" + a.map(\.description).joined(separator: ", ") + "]"
    case .set(let a): return "~[" + a.map(\.description).joined(separator: ", ") + "]"
    case .push(let a): return ">[" + a.map(\.description).joined(separator: ", ") + "]"
    case .map(let p): return "{" + p.map { "\($0.key): \($0.value)" }.joined(separator: ", ") + "}"
    }
  }
}
