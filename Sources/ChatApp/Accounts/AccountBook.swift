// The account operations, written once over an engine (SQLite or Redis) and the hashing
// pool: register, check a password, hand out SCRAM credentials, log in by certificate,
// add and remove certificates, drop, and keep registered channels. No process of its
// own and no state beyond its two parts: every operation answers through a completion,
// called on the engine's or the pool's side, so the caller (the account store's process,
// or `chatd account` on the command line) never waits on a scheduler thread.
//
// A document is rewritten whole (read, change, replace): two changes to one account at
// the same instant on two nodes could lose one — they are its owner's own actions (a
// certificate added from two places at once), never a login.
import Foundation

/// Account operations over an engine and a hashing pool.
final class AccountBook: Sendable {
  let engine: any AccountEngine
  let pool: HashingPool

  init(engine: any AccountEngine, pool: HashingPool) {
    self.engine = engine
    self.pool = pool
  }

  typealias Done<T: Sendable> = @Sendable (Result<T, AccountRefusal>) -> Void

  /// Creates the account `name` with `password` (hashed on the pool; the SCRAM keys
  /// derived there too). The name must be checked by the caller.
  func register(name: String, password: Secret, _ done: @escaping Done<AccountInfo>) {
    let engine = self.engine
    let queued = pool.submit {
      guard let hash = PasswordHash.make(password) else { return done(.failure(.busy)) }
      let record = AccountRecord(
        name: name, id: Crypto.hex(Crypto.randomBytes(8)), created: Int(Date().timeIntervalSince1970), passwordHash: hash,
        scram: ScramCredentials(password: password))
      engine.run(.create(.account, Names.fold(name), record.json)) { result in
        switch result {
        case .written(true): done(.success(record.info))
        case .written(false): done(.failure(.exists(name)))
        default: done(.failure(.unavailable))
        }
      }
    }
    if !queued { done(.failure(.busy)) }
  }

  /// The account `name`, with its secrets (for the store's side only).
  func record(_ name: String, _ done: @escaping Done<AccountRecord>) {
    engine.run(.read(.account, Names.fold(name))) { result in
      switch result {
      case .document(let json?):
        guard let record = AccountRecord.decode(json) else { return done(.failure(.unavailable)) }
        done(.success(record))
      case .document(nil): done(.failure(.noSuchAccount(name)))
      default: done(.failure(.unavailable))
      }
    }
  }

  /// Whether `password` is the account's (checked on the pool): its public part if so.
  func checkPassword(name: String, password: Secret, _ done: @escaping Done<AccountInfo>) {
    let pool = self.pool
    record(name) { found in
      switch found {
      case .success(let record):
        let queued = pool.submit {
          done(PasswordHash.check(password, against: record.passwordHash) ? .success(record.info) : .failure(.badCredentials))
        }
        if !queued { done(.failure(.busy)) }
      case .failure(.noSuchAccount):
        done(.failure(.badCredentials))
      case .failure(let refusal):
        done(.failure(refusal))
      }
    }
  }

  /// The account a client certificate is registered to.
  func certificate(_ fingerprint: String, _ done: @escaping Done<AccountInfo>) {
    let book = self
    engine.run(.read(.certificate, fingerprint)) { result in
      switch result {
      case .document(let name?):
        book.record(name) { found in
          // The certificate's document outlived a change of the account's: only a
          // certificate the account lists counts.
          switch found {
          case .success(let r) where r.certificates.contains(fingerprint): done(.success(r.info))
          case .success, .failure(.noSuchAccount): done(.failure(.noSuchCertificate))
          case .failure(let refusal): done(.failure(refusal))
          }
        }
      case .document(nil): done(.failure(.noSuchCertificate))
      default: done(.failure(.unavailable))
      }
    }
  }

  /// Registers `fingerprint` to the account `name` (which must exist).
  func addCertificate(_ fingerprint: String, to name: String, _ done: @escaping Done<AccountInfo>) {
    let engine = self.engine
    record(name) { found in
      guard case .success(let record) = found else { return done(found.map(\.info)) }
      if record.certificates.contains(fingerprint) { return done(.success(record.info)) }
      let key = Names.fold(record.name)
      var updated = record
      updated.certificates.append(fingerprint)
      let listed = updated
      @Sendable func list() {
        engine.run(.replace(.account, key, listed.json)) { replaced in
          guard case .written(true) = replaced else { return done(.failure(.unavailable)) }
          done(.success(listed.info))
        }
      }
      engine.run(.create(.certificate, fingerprint, key)) { created in
        guard case .written(let fresh) = created else { return done(.failure(.unavailable)) }
        if fresh { return list() }
        // Taken: by another account, or left behind by this one (an interrupted add).
        engine.run(.read(.certificate, fingerprint)) { owner in
          guard case .document(let holder) = owner, holder == key else { return done(.failure(.certificateTaken)) }
          list()
        }
      }
    }
  }

  /// Removes `fingerprint` from the account `name`.
  func removeCertificate(_ fingerprint: String, from name: String, _ done: @escaping Done<AccountInfo>) {
    let engine = self.engine
    record(name) { found in
      guard case .success(let record) = found else { return done(found.map(\.info)) }
      guard record.certificates.contains(fingerprint) else { return done(.failure(.noSuchCertificate)) }
      var changed = record
      changed.certificates.removeAll { $0 == fingerprint }
      let updated = changed
      engine.run(.replace(.account, Names.fold(updated.name), updated.json)) { replaced in
        guard case .written(true) = replaced else { return done(.failure(.unavailable)) }
        engine.run(.delete([(.certificate, fingerprint)])) { _ in done(.success(updated.info)) }
      }
    }
  }

  /// Records the account's always-on choice (NickServ SET ALWAYS-ON).
  func setAlwaysOn(_ name: String, _ on: Bool, _ done: @escaping Done<AccountInfo>) {
    let engine = self.engine
    record(name) { found in
      guard case .success(let record) = found else { return done(found.map(\.info)) }
      var changed = record
      changed.alwaysOn = on
      let updated = changed
      engine.run(.replace(.account, Names.fold(updated.name), updated.json)) { replaced in
        guard case .written(true) = replaced else { return done(.failure(.unavailable)) }
        done(.success(updated.info))
      }
    }
  }

  /// Drops the account `name`, its certificates and the channels it registered.
  func drop(_ name: String, _ done: @escaping Done<AccountInfo>) {
    let engine = self.engine
    record(name) { found in
      guard case .success(let record) = found else { return done(found.map(\.info)) }
      let items: [(RecordKind, String)] =
        record.certificates.map { (.certificate, $0) } + record.channels.map { (.channel, $0) }
        + [(.readMarkers, Names.fold(record.name)), (.alwaysOnSession, Names.fold(record.name)), (.account, Names.fold(record.name))]
      engine.run(.delete(items)) { result in
        guard case .written = result else { return done(.failure(.unavailable)) }
        done(.success(record.info))
      }
    }
  }

  // MARK: - Registered channels

  /// The registered channel `key` (folded name), if it is one.
  func channel(_ key: String, _ done: @escaping Done<ChannelSettings?>) {
    engine.run(.read(.channel, key)) { result in
      switch result {
      case .document(let json?):
        guard let settings = RegisteredChannelDocument.decode(json) else { return done(.failure(.unavailable)) }
        done(.success(settings))
      case .document(nil): done(.success(nil))
      default: done(.failure(.unavailable))
      }
    }
  }

  /// Registers a channel (its settings name the founder), unless it is registered
  /// already; the founder's account lists it (so it goes when the account does).
  func registerChannel(_ settings: ChannelSettings, _ done: @escaping Done<ChannelSettings>) {
    guard let registration = settings.registration, let document = RegisteredChannelDocument.encode(settings) else {
      return done(.failure(.channelNotRegistered(settings.name)))
    }
    let engine = self.engine
    let key = Names.fold(settings.name)
    record(registration.founder) { found in
      guard case .success(let record) = found else { return done(.failure(.noSuchAccount(registration.founder))) }
      var changed = record
      if !changed.channels.contains(key) { changed.channels.append(key) }
      let founder = changed
      engine.run(.create(.channel, key, document)) { created in
        switch created {
        case .written(true): break
        case .written(false): return done(.failure(.channelRegistered(settings.name)))
        default: return done(.failure(.unavailable))
        }
        engine.run(.replace(.account, Names.fold(founder.name), founder.json)) { _ in done(.success(settings)) }
      }
    }
  }

  /// Keeps a registered channel's settings as they now are (only if it is still
  /// registered: a channel dropped meanwhile is not brought back).
  func saveChannel(_ settings: ChannelSettings, _ done: @escaping @Sendable (Bool) -> Void = { _ in }) {
    guard let document = RegisteredChannelDocument.encode(settings) else { return done(false) }
    engine.run(.replace(.channel, Names.fold(settings.name), document)) { result in
      if case .written(true) = result { done(true) } else { done(false) }
    }
  }

  /// Drops the registration of channel `key` (folded), founded by `founder`.
  func dropChannel(_ key: String, founder: String, _ done: @escaping Done<Bool>) {
    let engine = self.engine
    engine.run(.delete([(.channel, key)])) { result in
      guard case .written = result else { return done(.failure(.unavailable)) }
      engine.run(.read(.account, Names.fold(founder))) { read in
        guard case .document(let json?) = read, let record = AccountRecord.decode(json), record.channels.contains(key) else {
          return done(.success(true))
        }
        var changed = record
        changed.channels.removeAll { $0 == key }
        engine.run(.replace(.account, Names.fold(changed.name), changed.json)) { _ in done(.success(true)) }
      }
    }
  }
}
