// The account operations of the web side: login sessions (open, look up with sliding
// expiry, close) and the key the web forms' tokens are made with. Like the rest of
// AccountBook: no state of its own, every operation answers through a completion called
// on the engine's side. The form key is made once per engine — in SQLite it lasts as the
// database does, in a network's Redis every node shares it, so a form one node served
// may be posted to another.
import Foundation

extension AccountBook {
  /// Opens a session for `account` under `key` (the hash of its token). Sessions that
  /// expired unused are removed first, so that they do not pile up.
  func openSession(_ key: String, for account: AccountInfo, now: Int, _ done: @escaping Done<AccountInfo>) {
    let record = WebSessionRecord(
      account: Names.fold(account.name), accountID: account.id, created: now, expires: now + WebSessionRecord.lifetime)
    engine.run(.expire(.webSession, before: now)) { _ in }
    engine.run(.create(.webSession, key, record.json)) { result in
      // A clash of 256-bit random tokens does not happen; a failed write is the engine's.
      guard case .written(true) = result else { return done(.failure(.unavailable)) }
      done(.success(account))
    }
  }

  /// The account the session `key` logs in, or nil: no such session, expired, or its
  /// account gone. An expired or orphaned session is deleted; a live one's expiry slides.
  func session(_ key: String, now: Int, _ done: @escaping Done<AccountInfo?>) {
    let engine = self.engine
    engine.run(.read(.webSession, key)) { [self] result in
      switch result {
      case .document(nil):
        done(.success(nil))
      case .document(let json?):
        guard let session = WebSessionRecord.decode(json), session.expires > now else {
          engine.run(.delete([(.webSession, key)])) { _ in done(.success(nil)) }
          return
        }
        record(session.account) { found in
          switch found {
          case .success(let account) where account.id == session.accountID:
            if session.expires - now <= WebSessionRecord.lifetime - WebSessionRecord.slideEvery {
              var slid = session
              slid.expires = now + WebSessionRecord.lifetime
              engine.run(.replace(.webSession, key, slid.json)) { _ in }
            }
            done(.success(account.info))
          case .success, .failure(.noSuchAccount):
            engine.run(.delete([(.webSession, key)])) { _ in done(.success(nil)) }
          case .failure(let refusal):
            done(.failure(refusal))
          }
        }
      default:
        done(.failure(.unavailable))
      }
    }
  }

  /// Closes the session `key` (logout); closing one that is gone is no error.
  func closeSession(_ key: String, _ done: @escaping Done<AccountInfo?>) {
    engine.run(.delete([(.webSession, key)])) { result in
      guard case .written = result else { return done(.failure(.unavailable)) }
      done(.success(nil))
    }
  }

  /// The key the web forms' tokens are made with: made (32 random bytes) by the first
  /// node to ask, then read by every other.
  func formKey(_ done: @escaping Done<[UInt8]>) {
    let engine = self.engine
    let made = Crypto.hex(Crypto.randomBytes(32))
    engine.run(.create(.serverKey, Self.formKeyName, made)) { created in
      guard case .written = created else { return done(.failure(.unavailable)) }
      engine.run(.read(.serverKey, Self.formKeyName)) { read in
        guard case .document(let hex?) = read, let key = Self.bytes(hex: hex) else { return done(.failure(.unavailable)) }
        done(.success(key))
      }
    }
  }

  static let formKeyName = "web-forms"

  private static func bytes(hex: String) -> [UInt8]? {
    let digits = Array(hex.utf8)
    guard digits.count == 64 else { return nil }
    var out: [UInt8] = []
    for i in stride(from: 0, to: 64, by: 2) {
      guard let byte = UInt8(String(decoding: digits[i..<i + 2], as: UTF8.self), radix: 16) else { return nil }
      out.append(byte)
    }
    return out
  }
}
