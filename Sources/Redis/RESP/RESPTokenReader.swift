// Reads one RESP token from contiguous bytes: a line (a scalar, or the header of a bulk
// string or an aggregate) or a bulk string's payload. Stateless and short-lived: made by
// RESPDecoder for each `next()` over the read it holds, or over the stitched beginning of
// a token that was split across reads. Bulk strings it returns are slices of `storage`.

/// One token: what `RESPTokenReader` hands back to `RESPDecoder`.
enum RESPToken {
  /// A whole value: a scalar, a null, or a bulk string whose payload was all there.
  case value(RESPValue)
  /// The header of a bulk string, bulk error or verbatim string (`type` is `$`, `!` or
  /// `=`): `length` payload bytes and a CRLF follow.
  case bulkHeader(type: UInt8, length: Int)
  /// The header of an array, set, push, map or attribute (`type` is `*`, `~`, `>`, `%`
  /// or `|`) with `count` elements (a map's pairs counted once).
  case aggregateHeader(type: UInt8, count: Int)
}

/// Parses tokens in `bytes` (the contents of `storage`), under `limits`.
struct RESPTokenReader {
  let bytes: UnsafeBufferPointer<UInt8>
  let storage: [UInt8]
  let limits: RESPDecoder.Limits

  /// The token starting at `cursor`, moved past it; nil (cursor unchanged) if the bytes
  /// end before the token's line does. A bulk string whose payload is not all there comes
  /// back as its header, the cursor on its first payload byte.
  @inline(__always)
  func token(_ cursor: inout Int) throws(RESPError) -> RESPToken? {
    let start = cursor
    guard start < bytes.count else { return nil }
    let type = bytes[start]
    guard Self.isType(type) else { throw .unknownType(type) }
    guard let eol = try lineEnd(from: start + 1) else { return nil }
    let lineStart = start + 1
    let after = eol + 2
    switch type {
    case UInt8(ascii: "+"):
      cursor = after
      return .value(.simpleString(text(lineStart, eol)))
    case UInt8(ascii: "-"):
      cursor = after
      return .value(.error(RedisServerError(message: text(lineStart, eol))))
    case UInt8(ascii: ":"):
      let v = try integer(lineStart, eol, what: "integer")
      cursor = after
      return .value(.integer(v))
    case UInt8(ascii: "_"):
      guard eol == lineStart else { throw .malformed("a null with data") }
      cursor = after
      return .value(.null)
    case UInt8(ascii: "#"):
      guard eol == lineStart + 1 else { throw .malformed("a boolean that is not t or f") }
      let b = bytes[lineStart]
      guard b == UInt8(ascii: "t") || b == UInt8(ascii: "f") else { throw .malformed("a boolean that is not t or f") }
      cursor = after
      return .value(.boolean(b == UInt8(ascii: "t")))
    case UInt8(ascii: ","):
      let d = try double(lineStart, eol)
      cursor = after
      return .value(.double(d))
    case UInt8(ascii: "("):
      let s = text(lineStart, eol)
      let digits = s.hasPrefix("-") || s.hasPrefix("+") ? s.dropFirst() : Substring(s)
      guard !digits.isEmpty, digits.utf8.allSatisfy({ $0 &- 48 < 10 }) else {
        throw .malformed("a big number \"\(s.prefix(40))\"")
      }
      cursor = after
      return .value(.bigNumber(s))
    case UInt8(ascii: "$"), UInt8(ascii: "!"), UInt8(ascii: "="):
      // (Never more than Int.max - 2: the decoder counts the payload's CRLF with it.)
      let n = try length(lineStart, eol, max: Swift.min(limits.maxBulkLength, Int.max - 2), type: type)
      if n == -1 {
        guard type == UInt8(ascii: "$") else { throw .malformed("a null \(Self.name(type))") }
        cursor = after
        return .value(.null)
      }
      var c = after
      if let whole = try bulk(type: type, length: n, &c) {
        cursor = c
        return whole
      }
      cursor = after
      return .bulkHeader(type: type, length: n)
    default:  // an aggregate
      let n = try length(lineStart, eol, max: limits.maxAggregateCount, type: type)
      cursor = after
      if n == -1 {
        guard type == UInt8(ascii: "*") else { throw .malformed("a null \(Self.name(type))") }
        return .value(.null)
      }
      return .aggregateHeader(type: type, count: n)
    }
  }

  /// The payload of a bulk string at `cursor` (`length` bytes and a CRLF), moved past it;
  /// nil (cursor unchanged) if not all there yet.
  @inline(__always)
  func bulk(type: UInt8, length n: Int, _ cursor: inout Int) throws(RESPError) -> RESPToken? {
    let start = cursor
    let present = bytes.count - start
    guard present >= 2, present - 2 >= n else { return nil }
    let end = start + n
    guard bytes[end] == 13, bytes[end + 1] == 10 else { throw .malformed("a \(Self.name(type)) not ended by CRLF") }
    cursor = end + 2
    switch type {
    case UInt8(ascii: "$"):
      return .value(.bulkString(storage[start..<end]))
    case UInt8(ascii: "!"):
      return .value(.error(RedisServerError(message: text(start, end))))
    default:
      guard n >= 4, bytes[start + 3] == UInt8(ascii: ":") else { throw .malformed("a verbatim string without its format") }
      return .value(.verbatimString(format: text(start, start + 3), text: storage[(start + 4)..<end]))
    }
  }

  /// The index of the `\r` ending the line whose text starts at `start`; nil if the bytes
  /// end first. Throws once the text passes `maxLineLength` or a CR is not followed by LF.
  @inline(__always)
  func lineEnd(from start: Int) throws(RESPError) -> Int? {
    let end = bytes.count
    let limit = limits.maxLineLength
    var i = start
    while i < end {
      if bytes[i] == 13 {
        guard i + 1 < end else { return nil }
        guard bytes[i + 1] == 10 else { throw .malformed("a line not ended by CRLF") }
        return i
      }
      i += 1
      if i - start > limit { throw .tooLarge("a line over \(limit) bytes") }
    }
    return nil
  }

  /// A signed decimal integer filling `start..<end`.
  func integer(_ start: Int, _ end: Int, what: StaticString) throws(RESPError) -> Int64 {
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

  /// A length field: -1 (null) or 0...max.
  func length(_ start: Int, _ end: Int, max: Int, type: UInt8) throws(RESPError) -> Int {
    let n = try integer(start, end, what: "length")
    if n < -1 { throw .malformed("\(Self.name(type)) length \(n)") }
    if n > Int64(max) { throw .tooLarge("\(Self.name(type)) of \(n) (the limit is \(max))") }
    return Int(n)
  }

  /// A RESP3 double: a decimal number, `inf`, `-inf` or `nan`.
  func double(_ start: Int, _ end: Int) throws(RESPError) -> Double {
    let s = text(start, end)
    let d: Double?
    switch s {
    case "inf", "+inf": d = .infinity
    case "-inf": d = -.infinity
    case "nan", "-nan": d = .nan
    default: d = Double(s)
    }
    guard let d else { throw .malformed("a double \"\(s.prefix(40))\"") }
    return d
  }

  /// The bytes `start..<end` as text (invalid UTF-8 replaced).
  @inline(__always)
  func text(_ start: Int, _ end: Int) -> String {
    String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<end]), as: UTF8.self)
  }

  /// Whether `byte` starts a RESP2 or RESP3 type.
  @inline(__always)
  static func isType(_ byte: UInt8) -> Bool {
    switch byte {
    case UInt8(ascii: "+"), UInt8(ascii: "-"), UInt8(ascii: ":"), UInt8(ascii: "_"), UInt8(ascii: "#"),
      UInt8(ascii: ","), UInt8(ascii: "("), UInt8(ascii: "$"), UInt8(ascii: "!"), UInt8(ascii: "="),
      UInt8(ascii: "*"), UInt8(ascii: "~"), UInt8(ascii: ">"), UInt8(ascii: "%"), UInt8(ascii: "|"):
      return true
    default:
      return false
    }
  }

  /// The type's name for error messages.
  static func name(_ type: UInt8) -> String {
    switch type {
    case UInt8(ascii: "$"): return "bulk string"
    case UInt8(ascii: "!"): return "bulk error"
    case UInt8(ascii: "="): return "verbatim string"
    case UInt8(ascii: "*"): return "array"
    case UInt8(ascii: "~"): return "set"
    case UInt8(ascii: ">"): return "push"
    case UInt8(ascii: "%"): return "map"
    case UInt8(ascii: "|"): return "attribute"
    default: return "value"
    }
  }
}
