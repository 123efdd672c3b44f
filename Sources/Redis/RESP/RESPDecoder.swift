// Turns the bytes a connection reads into RESPValues. Owned by one connection process
// (not shared): it keeps the unparsed tail of the stream between reads.
//
// Zero copy where it can be: a read that ends on a reply boundary is parsed in place,
// and bulk strings are slices of it. A read that ends mid-reply keeps the tail, and the
// next read is appended to a fresh copy of that tail only.

/// What the decoder refuses: a stream that is not RESP, or over a limit.
public enum RESPError: Error, Sendable, Equatable, CustomStringConvertible {
  /// A byte that does not start a RESP type.
  case unknownType(UInt8)
  /// A length, integer or other field that cannot be read.
  case malformed(String)
  /// Over one of `RESPDecoder.Limits`.
  case tooLarge(String)

  public var description: String {
    switch self {
    case .unknownType(let b):
      let shown = (32..<127).contains(b) ? "'\(Character(UnicodeScalar(b)))'" : "0x" + String(b, radix: 16)
      return "unknown RESP type byte \(shown)"
    case .malformed(let what): return "malformed RESP: \(what)"
    case .tooLarge(let what): return "RESP reply too large: \(what)"
    }
  }
}

/// An incremental RESP2/RESP3 decoder: `feed` what was read, then take replies with
/// `next()` until it returns nil (more bytes needed).
public struct RESPDecoder: Sendable {
  /// Bounds on what one reply may claim, so a broken or hostile stream cannot make the
  /// client allocate without end.
  public struct Limits: Sendable, Equatable {
    /// Longest bulk string (Redis's own `proto-max-bulk-len` default: 512 MiB).
    public var maxBulkLength: Int = 512 << 20
    /// Most elements in one array, map, set or push.
    public var maxAggregateCount: Int = 1 << 28
    /// Deepest nesting of aggregates.
    public var maxDepth: Int = 128
    /// Longest line of a simple string, error, number or header.
    public var maxLineLength: Int = 64 << 10
    public init() {}
  }

  public let limits: Limits
  private var buffer: [UInt8] = []
  private var offset = 0
  /// The attributes (RESP3 `|`) sent before the reply `next()` last returned, if any.
  public private(set) var attributes: [RESPPair]?

  public init(limits: Limits = Limits()) { self.limits = limits }

  /// Bytes received and not yet returned as replies.
  public var bufferedBytes: Int { buffer.count - offset }

  /// Adds bytes read from the connection.
  public mutating func feed(_ bytes: [UInt8]) {
    if offset >= buffer.count {
      buffer = bytes
    } else {
      var joined: [UInt8] = []
      joined.reserveCapacity(buffer.count - offset + bytes.count)
      joined.append(contentsOf: buffer[offset...])
      joined.append(contentsOf: bytes)
      buffer = joined
    }
    offset = 0
  }

  /// The next complete reply, or nil if more bytes are needed. After a thrown error the
  /// stream cannot be trusted: close the connection.
  public mutating func next() throws(RESPError) -> RESPValue? {
    guard offset < buffer.count else { return nil }
    var cursor = offset
    var attrs: [RESPPair]? = nil
    let value = try buffer.withUnsafeBufferPointer { (p) throws(RESPError) -> RESPValue? in
      var parser = Parser(bytes: p, storage: buffer, limits: limits)
      // Top-level attributes come before the reply they describe.
      while cursor < p.count, p[cursor] == UInt8(ascii: "|") {
        guard let a = try parser.parse(&cursor, depth: 0) else { return nil }
        if case .map(let pairs) = a { attrs = pairs }
      }
      return try parser.parse(&cursor, depth: 0)
    }
    guard let value else { return nil }
    offset = cursor
    attributes = attrs
    if offset == buffer.count {
      buffer = []
      offset = 0
    }
    return value
  }
}

/// One parse attempt over the buffered bytes. `parse` returns nil when the bytes end
/// before the value does; the caller tries again from the same place after more arrive.
private struct Parser {
  let bytes: UnsafeBufferPointer<UInt8>
  let storage: [UInt8]
  let limits: RESPDecoder.Limits

  /// The end of the line starting at `start` (the index of its `\r`), nil if incomplete.
  func lineEnd(from start: Int) throws(RESPError) -> Int? {
    var i = start
    let end = bytes.count
    while i < end {
      if bytes[i] == 13 {
        guard i + 1 < end else { return nil }
        guard bytes[i + 1] == 10 else { throw .malformed("a line not ended by CRLF") }
        return i
      }
      i += 1
      if i - start > limits.maxLineLength { throw .tooLarge("a line over \(limits.maxLineLength) bytes") }
    }
    if end - start > limits.maxLineLength { throw .tooLarge("a line over \(limits.maxLineLength) bytes") }
    return nil
  }

  func integer(_ start: Int, _ end: Int, what: String) throws(RESPError) -> Int64 {
    var i = start
    var negative = false
    if i < end, bytes[i] == UInt8(ascii: "-") {
      negative = true
      i += 1
    } else if i < end, bytes[i] == UInt8(ascii: "+") {
      i += 1
    }
    guard i < end else { throw .malformed("an empty \(what)") }
    var value: Int64 = 0
    while i < end {
      let d = bytes[i] &- 48
      guard d < 10 else { throw .malformed("\(what) is not a number") }
      let (m, o1) = value.multipliedReportingOverflow(by: 10)
      let (s, o2) = negative ? m.subtractingReportingOverflow(Int64(d)) : m.addingReportingOverflow(Int64(d))
      if o1 || o2 { throw .malformed("\(what) does not fit in 64 bits") }
      value = s
      i += 1
    }
    return value
  }

  func text(_ start: Int, _ end: Int) -> String {
    String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<end]), as: UTF8.self)
  }

  /// A length field: -1 (null) or 0...max.
  func length(_ start: Int, _ end: Int, max: Int, what: String) throws(RESPError) -> Int {
    let n = try integer(start, end, what: "\(what) length")
    if n < -1 { throw .malformed("\(what) length \(n)") }
    if n > Int64(max) { throw .tooLarge("\(what) of \(n) (the limit is \(max))") }
    return Int(n)
  }

  mutating func parse(_ cursor: inout Int, depth: Int) throws(RESPError) -> RESPValue? {
    if depth > limits.maxDepth { throw .tooLarge("nesting deeper than \(limits.maxDepth)") }
    let start = cursor
    guard start < bytes.count else { return nil }
    let type = bytes[start]
    guard let eol = try lineEnd(from: start + 1) else { return nil }
    let lineStart = start + 1
    let after = eol + 2
    switch type {
    case UInt8(ascii: "+"):
      cursor = after
      return .simpleString(text(lineStart, eol))
    case UInt8(ascii: "-"):
      cursor = after
      return .error(RedisServerError(message: text(lineStart, eol)))
    case UInt8(ascii: ":"):
      let v = try integer(lineStart, eol, what: "integer")
      cursor = after
      return .integer(v)
    case UInt8(ascii: "_"):
      guard eol == lineStart else { throw .malformed("a null with data") }
      cursor = after
      return .null
    case UInt8(ascii: "#"):
      guard eol == lineStart + 1 else { throw .malformed("a boolean that is not t or f") }
      switch bytes[lineStart] {
      case UInt8(ascii: "t"):
        cursor = after
        return .boolean(true)
      case UInt8(ascii: "f"):
        cursor = after
        return .boolean(false)
      default: throw .malformed("a boolean that is not t or f")
      }
    case UInt8(ascii: ","):
      let s = text(lineStart, eol)
      let d: Double?
      switch s {
      case "inf", "+inf": d = .infinity
      case "-inf": d = -.infinity
      case "nan", "-nan": d = .nan
      default: d = Double(s)
      }
      guard let d else { throw .malformed("a double \"\(s.prefix(40))\"") }
      cursor = after
      return .double(d)
    case UInt8(ascii: "("):
      let s = text(lineStart, eol)
      let digits = s.hasPrefix("-") || s.hasPrefix("+") ? s.dropFirst() : Substring(s)
      guard !digits.isEmpty, digits.allSatisfy({ $0.isASCII && $0.isNumber }) else {
        throw .malformed("a big number \"\(s.prefix(40))\"")
      }
      cursor = after
      return .bigNumber(s)
    case UInt8(ascii: "$"), UInt8(ascii: "!"), UInt8(ascii: "="):
      let what = type == UInt8(ascii: "$") ? "bulk string" : type == UInt8(ascii: "!") ? "bulk error" : "verbatim string"
      let n = try length(lineStart, eol, max: limits.maxBulkLength, what: what)
      if n == -1 {
        guard type == UInt8(ascii: "$") else { throw .malformed("a null \(what)") }
        cursor = after
        return .null
      }
      guard after + n + 2 <= bytes.count else { return nil }
      guard bytes[after + n] == 13, bytes[after + n + 1] == 10 else { throw .malformed("a \(what) not ended by CRLF") }
      cursor = after + n + 2
      let payload = storage[after..<(after + n)]
      switch type {
      case UInt8(ascii: "$"): return .bulkString(payload)
      case UInt8(ascii: "!"): return .error(RedisServerError(message: String(decoding: payload, as: UTF8.self)))
      default:
        guard n >= 4, bytes[after + 3] == UInt8(ascii: ":") else { throw .malformed("a verbatim string without its format") }
        return .verbatimString(format: text(after, after + 3), text: storage[(after + 4)..<(after + n)])
      }
    case UInt8(ascii: "*"), UInt8(ascii: "~"), UInt8(ascii: ">"), UInt8(ascii: "%"), UInt8(ascii: "|"):
      let isMap = type == UInt8(ascii: "%") || type == UInt8(ascii: "|")
      let what = isMap ? "map" : "aggregate"
      let n = try length(lineStart, eol, max: limits.maxAggregateCount, what: what)
      if n == -1 {
        guard type == UInt8(ascii: "*") else { throw .malformed("a null \(what)") }
        cursor = after
        return .null
      }
      var c = after
      // Reserve no more than the bytes present could hold (3 bytes per element at
      // least): a header cannot make us allocate what the stream does not carry.
      let room = (bytes.count - c) / 3
      if isMap {
        var pairs: [RESPPair] = []
        pairs.reserveCapacity(Swift.min(n, room / 2))
        for _ in 0..<n {
          try skipAttributes(&c, depth: depth + 1)
          guard let k = try parse(&c, depth: depth + 1) else { return nil }
          try skipAttributes(&c, depth: depth + 1)
          guard let v = try parse(&c, depth: depth + 1) else { return nil }
          pairs.append(RESPPair(key: k, value: v))
        }
        cursor = c
        return .map(pairs)
      }
      var items: [RESPValue] = []
      items.reserveCapacity(Swift.min(n, room))
      for _ in 0..<n {
        try skipAttributes(&c, depth: depth + 1)
        guard let v = try parse(&c, depth: depth + 1) else { return nil }
        items.append(v)
      }
      cursor = c
      switch type {
      case UInt8(ascii: "~"): return .set(items)
      case UInt8(ascii: ">"): return .push(items)
      default: return .array(items)
      }
    default:
      throw .unknownType(type)
    }
  }

  /// Attributes inside an aggregate describe one element; they are read and dropped.
  /// (Incomplete ones leave the cursor where it was, and the element parse fails too.)
  mutating func skipAttributes(_ cursor: inout Int, depth: Int) throws(RESPError) {
    while cursor < bytes.count, bytes[cursor] == UInt8(ascii: "|") {
      var c = cursor
      guard try parse(&c, depth: depth) != nil else { return }
      cursor = c
    }
  }
}
