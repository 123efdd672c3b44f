// Parsing JSON text (RFC 8259) into `JSON` values. Any input, however malformed, ends in
// a value or a `JSONError` saying where and what: nesting is bounded, numbers are
// checked, strings must be valid UTF-8 with valid escapes.

/// Malformed JSON text.
public struct JSONError: Error, Sendable, Equatable, CustomStringConvertible {
  /// Byte offset of the problem.
  public let offset: Int
  public let message: String

  public var description: String { "invalid JSON at byte \(offset): \(message)" }
}

extension JSON {
  /// Nesting deeper than this is refused (a hostile request cannot exhaust the stack).
  public static let maximumDepth = 128

  /// Parses one JSON value; only whitespace may follow it.
  public static func parse(_ bytes: some Collection<UInt8>) throws(JSONError) -> JSON {
    let array = Array(bytes)
    return try array.withUnsafeBufferPointer { (buffer) throws(JSONError) -> JSON in
      var parser = JSONParser(buffer)
      parser.skipSpace()
      let value = try parser.value(depth: 0)
      parser.skipSpace()
      if parser.at < buffer.count { throw parser.error("unexpected \(parser.describeByte()) after the value") }
      return value
    }
  }

  /// Parses JSON text.
  public static func parse(_ text: String) throws(JSONError) -> JSON { try parse(Array(text.utf8)) }
}

struct JSONParser {
  let bytes: UnsafeBufferPointer<UInt8>
  var at = 0

  init(_ bytes: UnsafeBufferPointer<UInt8>) { self.bytes = bytes }

  func error(_ message: String) -> JSONError { JSONError(offset: at, message: message) }

  func describeByte() -> String {
    guard at < bytes.count else { return "end of input" }
    let b = bytes[at]
    if b >= 0x20 && b < 0x7F { return "'\(Character(Unicode.Scalar(b)))'" }
    return "byte 0x\(String(b, radix: 16))"
  }

  mutating func skipSpace() {
    while at < bytes.count {
      switch bytes[at] {
      case 0x20, 0x09, 0x0A, 0x0D: at += 1
      default: return
      }
    }
  }

  mutating func value(depth: Int) throws(JSONError) -> JSON {
    guard at < bytes.count else { throw error("expected a value, found end of input") }
    if depth > JSON.maximumDepth { throw error("nested deeper than \(JSON.maximumDepth) levels") }
    switch bytes[at] {
    case UInt8(ascii: "{"): return try object(depth: depth)
    case UInt8(ascii: "["): return try array(depth: depth)
    case UInt8(ascii: "\""): return .string(try string())
    case UInt8(ascii: "t"):
      try literal("true")
      return .bool(true)
    case UInt8(ascii: "f"):
      try literal("false")
      return .bool(false)
    case UInt8(ascii: "n"):
      try literal("null")
      return .null
    case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return try number()
    default: throw error("expected a value, found \(describeByte())")
    }
  }

  mutating func literal(_ word: String) throws(JSONError) {
    let expected = Array(word.utf8)
    guard at + expected.count <= bytes.count else { throw error("expected \(word)") }
    for i in 0..<expected.count where bytes[at + i] != expected[i] { throw error("expected \(word)") }
    at += expected.count
  }

  mutating func object(depth: Int) throws(JSONError) -> JSON {
    at += 1
    var pairs: [(key: String, value: JSON)] = []
    skipSpace()
    if at < bytes.count && bytes[at] == UInt8(ascii: "}") {
      at += 1
      return .object(pairs)
    }
    while true {
      skipSpace()
      guard at < bytes.count, bytes[at] == UInt8(ascii: "\"") else {
        throw error("expected a key (a string) in an object, found \(describeByte())")
      }
      let key = try string()
      skipSpace()
      guard at < bytes.count, bytes[at] == UInt8(ascii: ":") else { throw error("expected ':' after a key, found \(describeByte())") }
      at += 1
      skipSpace()
      let v = try value(depth: depth + 1)
      pairs.append((key: key, value: v))
      skipSpace()
      guard at < bytes.count else { throw error("unterminated object") }
      if bytes[at] == UInt8(ascii: ",") {
        at += 1
        continue
      }
      if bytes[at] == UInt8(ascii: "}") {
        at += 1
        return .object(pairs)
      }
      throw error("expected ',' or '}' in an object, found \(describeByte())")
    }
  }

  mutating func array(depth: Int) throws(JSONError) -> JSON {
    at += 1
    var items: [JSON] = []
    skipSpace()
    if at < bytes.count && bytes[at] == UInt8(ascii: "]") {
      at += 1
      return .array(items)
    }
    while true {
      skipSpace()
      items.append(try value(depth: depth + 1))
      skipSpace()
      guard at < bytes.count else { throw error("unterminated array") }
      if bytes[at] == UInt8(ascii: ",") {
        at += 1
        continue
      }
      if bytes[at] == UInt8(ascii: "]") {
        at += 1
        return .array(items)
      }
      throw error("expected ',' or ']' in an array, found \(describeByte())")
    }
  }

  mutating func number() throws(JSONError) -> JSON {
    let start = at
    var integral = true
    if bytes[at] == UInt8(ascii: "-") { at += 1 }
    guard at < bytes.count, isDigit(bytes[at]) else { throw error("expected a digit") }
    if bytes[at] == UInt8(ascii: "0") {
      at += 1
      if at < bytes.count && isDigit(bytes[at]) { throw error("a number may not start with 0") }
    } else {
      while at < bytes.count && isDigit(bytes[at]) { at += 1 }
    }
    if at < bytes.count && bytes[at] == UInt8(ascii: ".") {
      integral = false
      at += 1
      guard at < bytes.count, isDigit(bytes[at]) else { throw error("expected a digit after '.'") }
      while at < bytes.count && isDigit(bytes[at]) { at += 1 }
    }
    if at < bytes.count && (bytes[at] == UInt8(ascii: "e") || bytes[at] == UInt8(ascii: "E")) {
      integral = false
      at += 1
      if at < bytes.count && (bytes[at] == UInt8(ascii: "+") || bytes[at] == UInt8(ascii: "-")) { at += 1 }
      guard at < bytes.count, isDigit(bytes[at]) else { throw error("expected a digit in the exponent") }
      while at < bytes.count && isDigit(bytes[at]) { at += 1 }
    }
    let text = String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<at]), as: UTF8.self)
    if integral, let i = Int64(text) { return .int(i) }
    guard let d = Double(text), d.isFinite else {
      at = start
      throw error("number out of range: \(text)")
    }
    return .double(d)
  }

  func isDigit(_ b: UInt8) -> Bool { b >= UInt8(ascii: "0") && b <= UInt8(ascii: "9") }

  mutating func string() throws(JSONError) -> String {
    at += 1
    var out: [UInt8] = []
    while true {
      guard at < bytes.count else { throw error("unterminated string") }
      let b = bytes[at]
      switch b {
      case UInt8(ascii: "\""):
        at += 1
        guard let s = String(validating: out, as: UTF8.self) else { throw error("a string is not valid UTF-8") }
        return s
      case UInt8(ascii: "\\"):
        at += 1
        guard at < bytes.count else { throw error("unterminated escape") }
        let e = bytes[at]
        at += 1
        switch e {
        case UInt8(ascii: "\""): out.append(UInt8(ascii: "\""))
        case UInt8(ascii: "\\"): out.append(UInt8(ascii: "\\"))
        case UInt8(ascii: "/"): out.append(UInt8(ascii: "/"))
        case UInt8(ascii: "b"): out.append(0x08)
        case UInt8(ascii: "f"): out.append(0x0C)
        case UInt8(ascii: "n"): out.append(0x0A)
        case UInt8(ascii: "r"): out.append(0x0D)
        case UInt8(ascii: "t"): out.append(0x09)
        case UInt8(ascii: "u"):
          var scalar = try hex4()
          if (0xD800..<0xDC00).contains(scalar) {
            // A high surrogate must be followed by an escaped low one.
            guard at + 1 < bytes.count, bytes[at] == UInt8(ascii: "\\"), bytes[at + 1] == UInt8(ascii: "u") else {
              throw error("unpaired surrogate in \\u escape")
            }
            at += 2
            let low = try hex4()
            guard (0xDC00..<0xE000).contains(low) else { throw error("unpaired surrogate in \\u escape") }
            scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
          } else if (0xDC00..<0xE000).contains(scalar) {
            throw error("unpaired surrogate in \\u escape")
          }
          guard let u = Unicode.Scalar(scalar) else { throw error("invalid \\u escape") }
          out.append(contentsOf: String(Character(u)).utf8)
        default:
          at -= 1
          throw error("invalid escape \\\(describeByte())")
        }
      case 0..<0x20:
        throw error("control character in a string (escape it)")
      default:
        out.append(b)
        at += 1
      }
    }
  }

  mutating func hex4() throws(JSONError) -> UInt32 {
    guard at + 4 <= bytes.count else { throw error("truncated \\u escape") }
    var v: UInt32 = 0
    for _ in 0..<4 {
      let b = bytes[at]
      let digit: UInt32
      switch b {
      case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = UInt32(b - UInt8(ascii: "0"))
      case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = UInt32(b - UInt8(ascii: "a") + 10)
      case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = UInt32(b - UInt8(ascii: "A") + 10)
      default: throw error("invalid hex digit in \\u escape")
      }
      v = v * 16 + digit
      at += 1
    }
    return v
  }
}
