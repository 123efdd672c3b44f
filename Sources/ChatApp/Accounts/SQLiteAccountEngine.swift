// The account store's engine for a chatd alone: `accounts.sqlite3` in the data
// directory, its own file (not the history's: accounts outlive `--no-history`, are
// backed up on their own, and hold secrets), created 0600 — SQLite gives its WAL and
// shared-memory files the same mode. One table of documents, (kind, key) → JSON.
//
// Writer: this engine's thread alone in chatd, which owns the connection (created,
// used and closed there); `chatd account` run beside a chatd opens the same file with
// its own connection, and SQLite's locks (WAL, a 2 s busy timeout) keep the two apart.
// Nothing is cached above it, so what one writes the other reads at once.
import Actors
import COtterSys
import Foundation
import Glibc

/// Documents in an SQLite file, on a thread of their own.
// `@unchecked Sendable`: `jobs` and `finishing` are read and written only with
// `condition` locked; the database lives on the engine's thread alone.
final class SQLiteAccountEngine: AccountEngine, @unchecked Sendable {
  private typealias Job = (operation: EngineOperation, done: @Sendable (EngineResult) -> Void)

  let path: String
  private let condition = NSCondition()
  private var jobs: [Job] = []
  private var finishing = false
  /// Left once the database is closed.
  private let closed = DispatchGroup()

  static let schema = """
    CREATE TABLE IF NOT EXISTS documents (
      kind TEXT NOT NULL, key TEXT NOT NULL, value TEXT NOT NULL, PRIMARY KEY (kind, key))
    """

  /// The engine that opened each database last. A new engine opens the file only once
  /// the previous one (a killed store's, still closing) has closed it: a POSIX lock
  /// belongs to the process, not to the descriptor, so SQLite keeps a closing
  /// connection's descriptor open while another of the process's connections holds the
  /// file (as HistoryWriter explains) — every restart would leave one behind.
  private static let lastEngine = Locked<[String: SQLiteAccountEngine]>([:])

  /// Opens (creating it 0600 if missing) the database at `path` and starts the thread.
  /// Throws `SQLiteError` with SQLite's or the file system's words.
  init(path: String) throws {
    self.path = path
    if let previous = Self.lastEngine.withLock({ $0[path] }) { _ = previous.closed.wait(timeout: .now() + 5) }
    // Made here, exclusively, with the mode SQLite would not give it (its WAL and
    // shared-memory files take the database's). Never an open and close of a file that
    // exists: closing any descriptor of it would drop the locks this process's other
    // connections (a `chatd account` in it, say) hold on it.
    let fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
    if fd >= 0 {
      close(fd)
    } else if errno != EEXIST {
      throw SQLiteError(what: "open \(path)", message: String(cString: strerror(errno)))
    } else {
      // A file made by an earlier version, or by hand, loses what others could read.
      _ = chmod(path, 0o600)
    }
    let db = try SQLiteDatabase(path: path)
    try db.enableWAL()
    try db.execute("PRAGMA synchronous=NORMAL")
    try db.execute(Self.schema)
    let statements = try Statements(db)
    closed.enter()
    let thread = Thread { [self] in
      otter_set_thread_name("chatd-accounts")
      self.serve(statements)
      statements.release()
      db.close()
      self.closed.leave()
    }
    thread.start()
    Self.lastEngine.withLock { $0[path] = self }
  }

  func run(_ operation: EngineOperation, _ done: @escaping @Sendable (EngineResult) -> Void) {
    condition.lock()
    defer { condition.unlock() }
    guard !finishing else {
      done(.failed("the account database is closed"))
      return
    }
    jobs.append((operation, done))
    condition.signal()
  }

  func finish() {
    condition.lock()
    finishing = true
    condition.broadcast()
    condition.unlock()
  }

  /// `finish`, then waits (5 s at most) for the database to close.
  func finishAndWait() {
    finish()
    _ = closed.wait(timeout: .now() + 5)
  }

  var status: String { path }

  // MARK: - The thread

  /// The prepared statements: made before the thread starts, then used by it alone.
  // `@unchecked Sendable`: handed to the engine's thread once, at its start, and used
  // by that thread only from then on.
  private final class Statements: @unchecked Sendable {
    private(set) var read: SQLiteDatabase.Statement?
    private(set) var create: SQLiteDatabase.Statement?
    private(set) var replace: SQLiteDatabase.Statement?
    private(set) var delete: SQLiteDatabase.Statement?
    private(set) var list: SQLiteDatabase.Statement?
    let db: SQLiteDatabase

    init(_ db: SQLiteDatabase) throws {
      self.db = db
      read = try db.prepare("SELECT value FROM documents WHERE kind = ? AND key = ?")
      create = try db.prepare("INSERT OR IGNORE INTO documents (kind, key, value) VALUES (?, ?, ?)")
      replace = try db.prepare("UPDATE documents SET value = ? WHERE kind = ? AND key = ?")
      delete = try db.prepare("DELETE FROM documents WHERE kind = ? AND key = ?")
      list = try db.prepare("SELECT key, value FROM documents WHERE kind = ?")
    }

    /// Finalizes the statements (the connection closes only once they are gone).
    func release() { (read, create, replace, delete, list) = (nil, nil, nil, nil, nil) }
  }

  private func serve(_ s: Statements) {
    while true {
      condition.lock()
      while jobs.isEmpty && !finishing { condition.wait() }
      let taken = jobs
      jobs = []
      let last = finishing
      condition.unlock()
      for job in taken { job.done(perform(job.operation, s)) }
      if last && taken.isEmpty { return }
    }
  }

  private func perform(_ operation: EngineOperation, _ s: Statements) -> EngineResult {
    do {
      switch operation {
      case .read(let kind, let key):
        guard let st = s.read else { return .failed("closed") }
        defer { st.reset() }
        st.bind(1, kind.rawValue)
        st.bind(2, key)
        return .document(try st.step() ? st.string(0) : nil)
      case .create(let kind, let key, let value):
        guard let st = s.create else { return .failed("closed") }
        defer { st.reset() }
        st.bind(1, kind.rawValue)
        st.bind(2, key)
        st.bind(3, value)
        _ = try st.step()
        return .written(s.db.changes > 0)
      case .replace(let kind, let key, let value):
        guard let st = s.replace else { return .failed("closed") }
        defer { st.reset() }
        st.bind(1, value)
        st.bind(2, kind.rawValue)
        st.bind(3, key)
        _ = try st.step()
        return .written(s.db.changes > 0)
      case .delete(let items):
        guard let st = s.delete else { return .failed("closed") }
        try s.db.execute("BEGIN")
        do {
          for (kind, key) in items {
            defer { st.reset() }
            st.bind(1, kind.rawValue)
            st.bind(2, key)
            _ = try st.step()
          }
          try s.db.execute("COMMIT")
        } catch {
          try? s.db.execute("ROLLBACK")
          throw error
        }
        return .written(true)
      case .list(let kind):
        guard let st = s.list else { return .failed("closed") }
        defer { st.reset() }
        st.bind(1, kind.rawValue)
        var found: [String: String] = [:]
        while try st.step() { found[st.string(0)] = st.string(1) }
        return .documents(found)
      case .expire(let kind, let before):
        // The kind is one of chatd's own names and `before` a number: nothing to escape.
        try s.db.execute(
          "DELETE FROM documents WHERE kind = '\(kind.rawValue)' AND json_extract(value, '$.expires') <= \(before)")
        return .written(s.db.changes > 0)
      }
    } catch {
      return .failed("\(path): \(error)")
    }
  }
}
