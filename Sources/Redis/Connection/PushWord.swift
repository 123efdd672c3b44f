// The first word of a pub/sub push (`message`, `subscribe`...), read from its bytes in
// any case without making a String: every published message is classified by it. A
// value made and used by the connection process for one push; the known words are
// constants.

/// A push's kind word, upper-cased into two integers, compared with the known words.
struct PushWord: Equatable {
  /// Bytes 0-7 and 8-15, upper case (zero for a word over 16 bytes).
  private let low: UInt64
  private let high: UInt64
  private let count: Int

  init(_ bytes: some Collection<UInt8>) {
    var low: UInt64 = 0
    var high: UInt64 = 0
    count = bytes.count
    if count <= 16 {
      var i: UInt64 = 0
      for b in bytes {
        let upper = b >= UInt8(ascii: "a") && b <= UInt8(ascii: "z") ? b - 32 : b
        if i < 8 { low |= UInt64(upper) << (8 * i) } else { high |= UInt64(upper) << (8 * (i - 8)) }
        i += 1
      }
    }
    self.low = low
    self.high = high
  }

  static let message = PushWord("message".utf8)
  static let smessage = PushWord("smessage".utf8)
  static let pmessage = PushWord("pmessage".utf8)
  static let subscribe = PushWord("subscribe".utf8)
  static let psubscribe = PushWord("psubscribe".utf8)
  static let ssubscribe = PushWord("ssubscribe".utf8)
  static let unsubscribe = PushWord("unsubscribe".utf8)
  static let punsubscribe = PushWord("punsubscribe".utf8)
  static let sunsubscribe = PushWord("sunsubscribe".utf8)
  static let pong = PushWord("pong".utf8)
}
