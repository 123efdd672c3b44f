// The account store: chatd's one door to accounts and registered channels. A process
// (`chatd.accounts`) in chatd's root supervisor, in front of an engine — SQLite in the
// data directory for a chatd alone, the network's Redis for a network
// (Accounts/AccountEngine.swift) — and a hashing pool for Argon2id
// (Accounts/HashingPool.swift). It owns the login throttle (Accounts/LoginThrottle.swift)
// and answers every request by deferred reply: the engine and the pool answer from their
// own threads or helper processes, so this process never waits and no scheduler thread
// hashes a password.
//
// Writers: accounts and certificates are written only through this store (on each node;
// the engine arbitrates between nodes); a registered channel's document is created
// through it by the founder's connection, then saved by the channel's room. What a
// client is logged in as is its connection's (`ClientSettings.account`), not this
// store's. Secrets: requests carry passwords as `Secret` (prints `<redacted>`), records
// print without hashes or keys, and `formatStatus` shows counts only — nothing secret
// reaches a log, a crash report, the observer or /metrics.
//
// The web side logs in with `login` (the same hashing pool and throttle as SASL) and
// then keeps its login sessions here too (`openSession`, `session`, `closeSession`:
// Accounts/AccountBook+WebSessions.swift), by the hash of their tokens, with the key its
// forms' tokens are made with (`formKey`, cached here once read).
import Actors
import Foundation
import GenServer

struct AccountStore: SyncGenServer {
  /// Where the documents are kept.
  enum Backend: Sendable {
    /// `accounts.sqlite3` at this path.
    case sqlite(path: String)
    /// The network's Redis.
    case redis(RedisAccountEngine)
  }

  let backend: Backend
  let limits: LoginThrottle.Limits

  init(backend: Backend, limits: LoginThrottle.Limits = LoginThrottle.Limits()) {
    self.backend = backend
    self.limits = limits
  }

  /// The longest password accepted (bytes): a SASL PLAIN response is at most a few
  /// chunks of 400 bytes, and Argon2id needs no more.
  static let maximumPasswordLength = 1024

  enum Request: Sendable {
    /// Creates an account (name checked by the caller; password length checked here).
    case register(name: String, password: Secret, minimumLength: Int)
    /// Checks a password, throttled per account and per `address`.
    case login(name: String, password: Secret, address: String)
    /// The SCRAM-SHA-256 verifier of an account, for an exchange about to start
    /// (throttled like a login; the connection reports a success with `.succeeded`).
    case scram(name: String, address: String)
    /// The account a client certificate (SHA-256 fingerprint, hex) is registered to.
    case certificate(fingerprint: String)
    case info(name: String)
    case addCertificate(account: String, fingerprint: String)
    case removeCertificate(account: String, fingerprint: String)
    /// Drops an account, once its password is checked (throttled like a login).
    case drop(name: String, password: Secret, address: String)
    /// A registered channel's settings (folded name), or nil.
    case channel(key: String)
    /// Registers a channel whose settings name its founder.
    case registerChannel(ChannelSettings)
    /// The always-on sessions kept (Accounts/StoredSession.swift).
    case alwaysOnSessions
    /// The always-on session kept for `account` (none or one).
    case alwaysOnSession(account: String)
    /// Records `account`'s always-on choice.
    case setAlwaysOn(account: String, Bool)
    /// The read marker of `target` (folded) for `account` (Accounts/ReadMarkers.swift).
    case readMarker(account: String, target: String)
    /// Moves the read marker of `target` (folded) for `account` forward to `millis`.
    case markRead(account: String, target: String, millis: Int64)
    /// Opens a web login session for `account`, kept under `key` (its token's hash).
    case openSession(key: String, account: AccountInfo)
    /// The account the web session `key` logs in (`.webSession(nil)`: none).
    case session(key: String)
    /// Closes (revokes) the web session `key`.
    case closeSession(key: String)
    /// The key the web forms' tokens are made with.
    case formKey
  }

  enum Reply: Sendable {
    case account(AccountInfo)
    case scram(ScramCredentials, AccountInfo)
    /// An account lookup that found nothing.
    case noAccount
    case channel(ChannelSettings?)
    case alwaysOnSessions([StoredSession])
    /// A read marker (Unix milliseconds, nil: none), and whether this request moved it.
    case readMarker(Int64?, moved: Bool)
    case refused(AccountRefusal)
    /// A web session's account, or nil.
    case webSession(AccountInfo?)
    case formKey(Secret)
  }

  enum Cast: Sendable {
    /// A login the caller checked itself (SCRAM) succeeded: its tokens go back.
    case succeeded(account: String, address: String)
    /// A registered channel's settings after a change (its room).
    case saveChannel(ChannelSettings)
    /// A registered channel (folded name) is an ordinary one again (its room).
    case dropChannel(key: String, founder: String)
    /// An always-on session as it now stands (its connection).
    case saveAlwaysOnSession(StoredSession)
    /// The account (folded) keeps no session any more.
    case dropAlwaysOnSession(account: String)
  }

  enum Info: Sendable {
    /// A password check succeeded: its tokens go back.
    case loginSucceeded(account: String, address: String)
    /// The web forms' key, read: kept for the next asker.
    case formKey(Secret)
  }

  struct State {
    let book: AccountBook
    var throttle: LoginThrottle
    /// A `Secret`, so that nothing printing the state shows it.
    var formKey: Secret?
  }

  func initialize(_ ctx: ServerContext<Self>) throws -> InitResult<Self> {
    let engine: any AccountEngine
    switch backend {
    case .sqlite(let path):
      do {
        engine = try SQLiteAccountEngine(path: path)
      } catch {
        return .stop(.error(AccountStoreOpenError(path: path, reason: (error as? SQLiteError)?.message ?? "\(error)")))
      }
    case .redis(let redis):
      engine = redis
    }
    // So that a shutdown runs `terminate`, which lets the database close cleanly.
    ctx.trapExit = true
    let book = AccountBook(engine: engine, pool: HashingPool())
    // However the process ends (a kill included), the threads do not outlive it.
    ctx.onExit { _ in
      book.pool.stop()
      book.engine.finish()
    }
    return .ok(State(book: book, throttle: LoginThrottle(limits: limits)))
  }

  func handleCall(_ request: Request, from: From<Reply>, state: inout State, _ ctx: ServerContext<Self>) throws -> CallResult<Self> {
    let book = state.book
    let answer = Answer(from: from)
    switch request {
    case .register(let name, let password, let minimum):
      if password.characters < minimum { return .reply(.refused(.weakPassword(minimum: minimum))) }
      if password.count > Self.maximumPasswordLength { return .reply(.refused(.passwordTooLong(maximum: Self.maximumPasswordLength))) }
      book.register(name: name, password: password, answer { .account($0) })
    case .login(let name, let password, let address):
      if let refusal = throttle(name, address, &state) { return .reply(.refused(refusal)) }
      let me = ctx.address
      let account = Names.fold(name)
      book.checkPassword(name: name, password: password) { result in
        if case .success = result { me.send(.info(.loginSucceeded(account: account, address: address))) }
        answer { .account($0) }(result)
      }
    case .scram(let name, let address):
      if let refusal = throttle(name, address, &state) { return .reply(.refused(refusal)) }
      book.record(name) { result in
        switch result {
        case .success(let record): from.reply(.scram(record.scram, record.info))
        case .failure(.noSuchAccount): from.reply(.refused(.badCredentials))
        case .failure(let refusal): from.reply(.refused(refusal))
        }
      }
    case .certificate(let fingerprint):
      book.certificate(fingerprint, answer { .account($0) })
    case .info(let name):
      book.record(name) { result in
        switch result {
        case .success(let record): from.reply(.account(record.info))
        case .failure(.noSuchAccount): from.reply(.noAccount)
        case .failure(let refusal): from.reply(.refused(refusal))
        }
      }
    case .addCertificate(let account, let fingerprint):
      book.addCertificate(fingerprint, to: account, answer { .account($0) })
    case .removeCertificate(let account, let fingerprint):
      book.removeCertificate(fingerprint, from: account, answer { .account($0) })
    case .drop(let name, let password, let address):
      if let refusal = throttle(name, address, &state) { return .reply(.refused(refusal)) }
      let me = ctx.address
      let account = Names.fold(name)
      book.checkPassword(name: name, password: password) { checked in
        guard case .success = checked else { return answer { .account($0) }(checked) }
        me.send(.info(.loginSucceeded(account: account, address: address)))
        book.drop(name, answer { .account($0) })
      }
    case .channel(let key):
      book.channel(key, answer { .channel($0) })
    case .registerChannel(let settings):
      book.registerChannel(settings, answer { .channel($0) })
    case .alwaysOnSessions:
      book.alwaysOnSessions(answer { .alwaysOnSessions($0) })
    case .alwaysOnSession(let account):
      book.alwaysOnSession(account, answer { .alwaysOnSessions($0) })
    case .setAlwaysOn(let account, let on):
      book.setAlwaysOn(account, on, answer { .account($0) })
    case .readMarker(let account, let target):
      book.readMarker(account: account, target: target, answer { .readMarker($0, moved: false) })
    case .markRead(let account, let target, let millis):
      book.markRead(account: account, target: target, millis: millis, answer { .readMarker($0.0, moved: $0.moved) })
    case .openSession(let key, let account):
      book.openSession(key, for: account, now: Int(Date().timeIntervalSince1970), answer { .webSession($0) })
    case .session(let key):
      book.session(key, now: Int(Date().timeIntervalSince1970), answer { .webSession($0) })
    case .closeSession(let key):
      book.closeSession(key, answer { .webSession($0) })
    case .formKey:
      if let key = state.formKey { return .reply(.formKey(key)) }
      let me = ctx.address
      book.formKey { result in
        let secret = result.map { Secret(bytes: $0) }
        if case .success(let key) = secret { me.send(.info(.formKey(key))) }
        answer { .formKey($0) }(secret)
      }
    }
    return .noreply()
  }

  /// Replies to a caller with what an operation came to.
  private struct Answer: Sendable {
    let from: From<Reply>
    func callAsFunction<T>(_ map: @escaping @Sendable (T) -> Reply) -> AccountBook.Done<T> {
      { result in
        switch result {
        case .success(let value): from.reply(map(value))
        case .failure(let refusal): from.reply(.refused(refusal))
        }
      }
    }
  }

  /// Takes the attempt's tokens; the refusal if there are none.
  private func throttle(_ name: String, _ address: String, _ state: inout State) -> AccountRefusal? {
    state.throttle.attempt(account: Names.fold(name), address: address, now: MonotonicClock.nanoseconds()).map {
      .throttled($0.message)
    }
  }

  func handleCast(_ message: Cast, state: inout State, _ ctx: ServerContext<Self>) throws -> HandleResult<Self> {
    switch message {
    case .succeeded(let account, let address):
      state.throttle.succeeded(account: Names.fold(account), address: address)
    case .saveChannel(let settings):
      state.book.saveChannel(settings)
    case .dropChannel(let key, let founder):
      state.book.dropChannel(key, founder: founder) { _ in }
    case .saveAlwaysOnSession(let session):
      state.book.saveAlwaysOnSession(session)
    case .dropAlwaysOnSession(let account):
      state.book.dropAlwaysOnSession(account)
    }
    return .noreply()
  }

  func handleInfo(_ message: Message<Info>, state: inout State, _ ctx: ServerContext<Self>) throws -> HandleResult<Self> {
    switch message {
    case .message(.loginSucceeded(let account, let address)): state.throttle.succeeded(account: account, address: address)
    case .message(.formKey(let key)): state.formKey = key
    default: break
    }
    return .noreply()
  }

  func terminate(_ reason: ExitReason, state: inout State, _ ctx: ServerContext<Self>) {
    state.book.pool.stop()
    if let sqlite = state.book.engine as? SQLiteAccountEngine {
      sqlite.finishAndWait()
    } else {
      state.book.engine.finish()
    }
  }

  /// Counts only: no account names, no secrets.
  func formatStatus(_ state: State) -> String {
    "\(state.book.engine.status); hashing: \(state.book.pool.backlog) queued, \(state.book.pool.done.load(ordering: .relaxed)) done, "
      + "\(state.book.pool.refused.load(ordering: .relaxed)) refused (busy); \(state.throttle.tracked) login buckets refilling"
  }
}

/// Why the store did not start: its database could not be opened.
struct AccountStoreOpenError: Error, CustomStringConvertible {
  let path: String
  let reason: String
  var description: String { "account database \(path): \(reason)" }
}
