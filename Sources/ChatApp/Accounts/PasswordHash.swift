// Account passwords as chatd keeps them: Argon2id (memory-hard, RFC 9106) in libsodium's
// `crypto_pwhash_str` form — `$argon2id$v=19$m=65536,t=2,p=1$<salt>$<hash>`, the salt
// and the cost inside the string, so a hash made with other limits still checks.
//
// Cost: libsodium's interactive limits, 2 passes over 64 MiB. Measured once on this
// machine (2 cores, Debian 12, libsodium 1.0.18; 10 hashes and 10 checks, three times,
// with colleagues' builds running: load average 4.5): ≈ 72 ms of one core per hash and
// per check — so per PLAIN or NickServ login — and 64 MiB of memory while it runs (at
// load average 10 the same took ≈ 110–240 ms). A SCRAM login costs no Argon2id. That is why hashing and checking never run on a
// scheduler thread: the account store hands them to its hashing pool
// (Accounts/HashingPool.swift), a few threads of their own with a bounded queue.
//
// Stateless; the text given is a `Secret` and never leaves this file unhashed.
import CSodium

enum PasswordHash {
  /// The Argon2id string for `password`; nil if libsodium cannot get the memory (or the
  /// password is empty, which nothing accepts).
  static func make(_ password: Secret) -> String? {
    precondition(Crypto.ready, "libsodium could not be initialised")
    var out = [CChar](repeating: 0, count: Int(crypto_pwhash_strbytes()))
    let rc = password.withBytes { p -> Int32 in
      p.withMemoryRebound(to: CChar.self) { chars in
        guard let base = chars.baseAddress else { return -1 }
        return crypto_pwhash_str_alg(
          &out, base, UInt64(chars.count), UInt64(crypto_pwhash_opslimit_interactive()), crypto_pwhash_memlimit_interactive(),
          crypto_pwhash_alg_argon2id13())
      }
    }
    guard rc == 0 else { return nil }
    return String(decoding: out.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
  }

  /// Whether `password` is the one `hash` was made from (false for a malformed hash, or
  /// when libsodium cannot get the memory to check).
  static func check(_ password: Secret, against hash: String) -> Bool {
    precondition(Crypto.ready, "libsodium could not be initialised")
    return password.withBytes { p in
      p.withMemoryRebound(to: CChar.self) { chars in
        guard let base = chars.baseAddress else { return false }
        return crypto_pwhash_str_verify(hash, base, UInt64(chars.count)) == 0
      }
    }
  }
}
