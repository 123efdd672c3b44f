// Where the account store keeps its documents: a small key-value seam with two engines,
// SQLite in the data directory for a chatd alone (Accounts/SQLiteAccountEngine.swift)
// and the network's Redis for a chatd network (Accounts/RedisAccountEngine.swift), so
// that an account registered on one node logs in on every other. Every write that could
// race is one the engine decides alone — create only if absent, replace only if present,
// both atomic in SQLite (one writer thread, one statement) and in Redis (SET NX / XX) —
// so no node needs to agree with another first: Redis is the one shared engine, and
// there is no consensus of chatd's own.
//
// Operations answer through a completion, called on the engine's own thread (SQLite)
// or a helper process (Redis): never on the caller's scheduler thread while it waits.

/// What a document describes (each kind has its own key space).
enum RecordKind: String, Sendable {
  /// An account, by its folded name.
  case account
  /// A client certificate, by its fingerprint: the folded name of its account.
  case certificate
  /// A registered channel, by its folded name.
  case channel
  /// An account's read markers (`draft/read-marker`), by the account's folded name.
  case readMarkers = "readmarkers"
  /// An always-on account's session as it stood last (Accounts/StoredSession.swift).
  case alwaysOnSession = "always-on-session"
  /// A web login session, by the SHA-256 of its token (Accounts/WebSessionRecord.swift).
  case webSession = "web-session"
  /// A secret the server itself keeps (the web forms' key), by its name.
  case serverKey = "server-key"
}

/// One operation on the documents.
enum EngineOperation: Sendable {
  case read(RecordKind, String)
  /// Creates the document unless one exists: `.written(false)` if it did.
  case create(RecordKind, String, String)
  /// Replaces the document if it exists: `.written(false)` if it did not.
  case replace(RecordKind, String, String)
  /// Removes documents (those absent are ignored).
  case delete([(RecordKind, String)])
  /// Every document of a kind: `.documents` (an engine that cannot list says `.failed`).
  case list(RecordKind)
  /// Removes the documents of a kind whose `expires` (Unix seconds, a field of their
  /// JSON) is `before` or earlier. An engine whose documents expire by themselves (Redis,
  /// told a web session's expiry as its key's TTL) has nothing to do.
  case expire(RecordKind, before: Int)
}

/// What an operation came to.
enum EngineResult: Sendable {
  case document(String?)
  case written(Bool)
  /// Key → document, for `list`.
  case documents([String: String])
  /// The engine could not do it (a disk or Redis failure): why, in words for a log line.
  case failed(String)
}

/// A place to keep the account store's documents.
protocol AccountEngine: Sendable {
  /// Runs `operation`, then `done` with what came of it (on the engine's side).
  func run(_ operation: EngineOperation, _ done: @escaping @Sendable (EngineResult) -> Void)
  /// Closes what it holds once the operations handed to it are done; does not wait.
  func finish()
  /// For the store's status line: where the documents are.
  var status: String { get }
}
