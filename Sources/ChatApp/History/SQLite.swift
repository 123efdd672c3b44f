// A small wrapper over Debian's SQLite (libsqlite3): open, execute, prepared statements.
// Each connection is used from one thread only (the history writer's, the account
// engine's).
import CSQLite
import Glibc

/// An SQLite failure, with SQLite's own message.
struct SQLiteError: Error, CustomStringConvertible {
  let what: String
  let message: String
  var description: String { "\(what): \(message)" }
}

/// `@unchecked Sendable`: the connection is created on one thread and then used only
/// by the one thread it is handed to (SQLite's "multi-thread" mode).
final class SQLiteDatabase: @unchecked Sendable {
  private var db: OpaquePointer?

  /// Bytes SQLite has allocated, every connection of the process together (its page
  /// caches, schemas, statements): thread-safe, for the node's memory report.
  static var memoryInUse: UInt64 { UInt64(max(0, sqlite3_memory_used())) }

  init(path: String) throws {
    let flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX
    let rc = sqlite3_open_v2(path, &db, flags, nil)
    if rc != SQLITE_OK {
      let message = db.map { String(cString: sqlite3_errmsg($0)) } ?? "error \(rc)"
      sqlite3_close(db)
      db = nil
      throw SQLiteError(what: "open \(path)", message: message)
    }
    sqlite3_busy_timeout(db, 2000)
  }

  // close_v2: a statement still alive keeps the connection until it is finalized,
  // instead of the close failing and the descriptors staying open for good.
  deinit { sqlite3_close_v2(db) }

  /// Closes the connection (its file descriptors), now or, if a statement is still
  /// alive, as soon as the last one is finalized. Further use fails.
  func close() {
    sqlite3_close_v2(db)
    db = nil
  }

  func execute(_ sql: String) throws {
    var error: UnsafeMutablePointer<CChar>?
    if sqlite3_exec(db, sql, nil, nil, &error) != SQLITE_OK {
      let message = error.map { String(cString: $0) } ?? lastError
      sqlite3_free(error)
      throw SQLiteError(what: sql.split(separator: " ").prefix(3).joined(separator: " "), message: message)
    }
  }

  var lastError: String { db.map { String(cString: sqlite3_errmsg($0)) } ?? "closed" }

  /// Puts the database in WAL mode, waiting as the busy timeout does. Two connections
  /// that open a new database at once both convert it, and SQLite answers one of them
  /// "database is locked" at once, without calling its busy handler (waiting there could
  /// deadlock): a `chatd account` command run as the server starts, say. That one tries
  /// again every 10 ms, for up to `busyTimeout`.
  func enableWAL(busyTimeout: Duration = .seconds(2)) throws {
    let deadline = ContinuousClock.now + busyTimeout
    while true {
      let rc = sqlite3_exec(db, "PRAGMA journal_mode=WAL", nil, nil, nil)
      if rc == SQLITE_OK { return }
      guard rc & 0xFF == SQLITE_BUSY, ContinuousClock.now < deadline else {
        throw SQLiteError(what: "PRAGMA journal_mode=WAL", message: lastError)
      }
      usleep(10_000)
    }
  }

  /// Rows the last INSERT, UPDATE or DELETE changed.
  var changes: Int { db.map { Int(sqlite3_changes($0)) } ?? 0 }

  func prepare(_ sql: String) throws -> Statement {
    var stmt: OpaquePointer?
    if sqlite3_prepare_v2(db, sql, -1, &stmt, nil) != SQLITE_OK {
      throw SQLiteError(what: "prepare", message: lastError)
    }
    return Statement(stmt!, self)
  }

  /// A prepared statement: bind, step, read columns, reset.
  final class Statement {
    let stmt: OpaquePointer
    let db: SQLiteDatabase

    init(_ stmt: OpaquePointer, _ db: SQLiteDatabase) {
      self.stmt = stmt
      self.db = db
    }

    deinit { sqlite3_finalize(stmt) }

    private static let transient = unsafeBitCast(-1, to: sqlite3_destructor_type.self)

    func bind(_ index: Int32, _ value: String) { sqlite3_bind_text(stmt, index, value, -1, Statement.transient) }
    func bind(_ index: Int32, _ value: Int64) { sqlite3_bind_int64(stmt, index, value) }
    func bindNull(_ index: Int32) { sqlite3_bind_null(stmt, index) }

    /// True while there is a row.
    func step() throws -> Bool {
      switch sqlite3_step(stmt) {
      case SQLITE_ROW: return true
      case SQLITE_DONE: return false
      default: throw SQLiteError(what: "step", message: db.lastError)
      }
    }

    func string(_ column: Int32) -> String {
      guard let p = sqlite3_column_text(stmt, column) else { return "" }
      return String(cString: p)
    }

    func int64(_ column: Int32) -> Int64 { sqlite3_column_int64(stmt, column) }

    func isNull(_ column: Int32) -> Bool { sqlite3_column_type(stmt, column) == SQLITE_NULL }

    func reset() {
      sqlite3_reset(stmt)
      sqlite3_clear_bindings(stmt)
    }
  }
}
