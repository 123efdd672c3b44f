// Why RESPDecoder refused a stream. Thrown by RESPDecoder (its only writer); the
// connection process turns it into RedisError.protocolError and closes the connection.

/// What the decoder refuses: a stream that is not RESP, or over a limit.
public enum RESPError: Error, Sendable, Equatable, CustomStringConvertible {
  /// A byte that does not start a RESP type.
  case unknownType(UInt8)
  /// A length, integer or other field that cannot be read.
  case malformed(String)
  /// Over one of `RESPDecoder.Limits`.
  case tooLarge(String)

  /// The error in words, for logs and `RedisError.protocolError`.
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
