// The few cryptographic primitives accounts need, from Debian's libsodium: SHA-256,
// HMAC-SHA-256, PBKDF2-HMAC-SHA-256 (SCRAM's Hi), random bytes and a comparison that
// takes the same time whatever the bytes. Stateless functions; libsodium is initialised
// once, on first use, from any thread (sodium_init is safe to call concurrently).
import CSodium

enum Crypto {
  /// libsodium set up (picks its implementations, seeds its generator); true once done.
  static let ready: Bool = sodium_init() >= 0

  static func sha256(_ data: [UInt8]) -> [UInt8] {
    precondition(ready, "libsodium could not be initialised")
    var out = [UInt8](repeating: 0, count: Int(crypto_hash_sha256_BYTES))
    _ = crypto_hash_sha256(&out, data, UInt64(data.count))
    return out
  }

  static func hmacSHA256(key: [UInt8], _ data: [UInt8]) -> [UInt8] {
    var state = hmacState(key: key)
    return hmac(&state, data)
  }

  /// The HMAC state after the key: PBKDF2 copies it for each of its thousands of rounds
  /// instead of deriving the pads again each time.
  private static func hmacState(key: [UInt8]) -> crypto_auth_hmacsha256_state {
    precondition(ready, "libsodium could not be initialised")
    var state = crypto_auth_hmacsha256_state()
    _ = crypto_auth_hmacsha256_init(&state, key, key.count)
    return state
  }

  private static func hmac(_ state: inout crypto_auth_hmacsha256_state, _ data: [UInt8]) -> [UInt8] {
    var out = [UInt8](repeating: 0, count: Int(crypto_auth_hmacsha256_BYTES))
    _ = crypto_auth_hmacsha256_update(&state, data, UInt64(data.count))
    _ = crypto_auth_hmacsha256_final(&state, &out)
    return out
  }

  /// PBKDF2-HMAC-SHA-256 with one block of output: RFC 5802's Hi(password, salt, i).
  static func pbkdf2SHA256(password: Secret, salt: [UInt8], iterations: Int) -> [UInt8] {
    let keyed = password.withBytes { hmacState(key: Array($0)) }
    var state = keyed
    var u = hmac(&state, salt + [0, 0, 0, 1])
    var result = u
    for _ in 1..<max(1, iterations) {
      state = keyed
      u = hmac(&state, u)
      for i in result.indices { result[i] ^= u[i] }
    }
    return result
  }

  static func randomBytes(_ count: Int) -> [UInt8] {
    precondition(ready, "libsodium could not be initialised")
    var out = [UInt8](repeating: 0, count: count)
    randombytes_buf(&out, count)
    return out
  }

  /// Whether `a` and `b` are equal, in a time that depends on their length only.
  static func constantTimeEqual(_ a: [UInt8], _ b: [UInt8]) -> Bool {
    guard a.count == b.count else { return false }
    return sodium_memcmp(a, b, a.count) == 0
  }

  /// Lowercase hexadecimal.
  static func hex(_ bytes: [UInt8]) -> String {
    let digits = Array("0123456789abcdef".utf8)
    var out = [UInt8]()
    out.reserveCapacity(bytes.count * 2)
    for b in bytes {
      out.append(digits[Int(b >> 4)])
      out.append(digits[Int(b & 15)])
    }
    return String(decoding: out, as: UTF8.self)
  }
}
