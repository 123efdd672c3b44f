// HMAC-SHA1 (RFC 2104) over the SHA-1 we already have: how two nodes prove to each
// other that they know the cluster secret without sending it. Pure functions.
import WebSocketAccept

enum HMAC {
  static func sha1(key: [UInt8], message: [UInt8]) -> [UInt8] {
    let block = 64
    var k = key.count > block ? SHA1.digest(key) : key
    k += [UInt8](repeating: 0, count: block - k.count)
    let inner = SHA1.digest(k.map { $0 ^ 0x36 } + message)
    return SHA1.digest(k.map { $0 ^ 0x5C } + inner)
  }

  /// Compares without stopping at the first difference (no timing hint to a prober).
  static func equal(_ a: [UInt8], _ b: [UInt8]) -> Bool {
    guard a.count == b.count else { return false }
    var diff: UInt8 = 0
    for i in 0..<a.count { diff |= a[i] ^ b[i] }
    return diff == 0
  }
}
