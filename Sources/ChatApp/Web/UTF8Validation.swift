// UTF-8 validation (RFC 3629) for WebSocket text: text messages and close reasons must
// be valid (RFC 6455 §8.1), and text the server sends must be too — IRC clients may
// send any bytes, which a browser would refuse, so those are repaired on the way out.

enum UTF8Validation {
  /// Whether `bytes` are well-formed UTF-8: no overlong forms, no surrogates, nothing
  /// above U+10FFFF, no truncated sequence.
  static func isValid(_ bytes: some Collection<UInt8>) -> Bool {
    // ASCII fast path: most IRC lines are plain ASCII.
    if bytes.allSatisfy({ $0 < 0x80 }) { return true }
    var decoder = UTF8()
    var iterator = bytes.makeIterator()
    while true {
      switch decoder.decode(&iterator) {
      case .scalarValue: continue
      case .emptyInput: return true
      case .error: return false
      }
    }
  }

  /// `bytes` with every ill-formed sequence replaced by U+FFFD (as `String(decoding:)`
  /// does), or `bytes` as they are when they are valid already.
  static func repaired(_ bytes: [UInt8]) -> [UInt8] {
    isValid(bytes) ? bytes : Array(String(decoding: bytes, as: UTF8.self).utf8)
  }
}
