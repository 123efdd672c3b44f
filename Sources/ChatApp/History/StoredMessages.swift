// The channel messages the SQLite history keeps: the table, its indexes and the
// prepared statements that write and read it. A message's position in its channel
// (History/HistoryQuery.swift) is its time, then its row id, which SQLite hands out in
// insertion order. Created and used by the history writer thread alone
// (History/HistoryWriter.swift); it writes nothing itself but what that thread asks.

/// The messages table and its statements.
final class StoredMessages {
  static let schema = [
    """
    CREATE TABLE IF NOT EXISTS messages (
      id INTEGER PRIMARY KEY, channel TEXT NOT NULL, time INTEGER NOT NULL, msgid TEXT NOT NULL,
      source TEXT NOT NULL, command TEXT NOT NULL, target TEXT NOT NULL, text TEXT NOT NULL)
    """,
    // Every index ends with the row id, so this one is the (channel, time, id) order.
    "CREATE INDEX IF NOT EXISTS messages_by_channel ON messages (channel, time)",
    // msgid selectors (CHATHISTORY ... msgid=).
    "CREATE INDEX IF NOT EXISTS messages_by_msgid ON messages (msgid)",
  ]

  private let insert: SQLiteDatabase.Statement
  private let oldest: SQLiteDatabase.Statement
  private let newest: SQLiteDatabase.Statement
  private let position: SQLiteDatabase.Statement
  private let lastTime: SQLiteDatabase.Statement

  /// Prepares the statements (the tables exist: `schema` ran when the database opened).
  init(_ db: SQLiteDatabase) throws {
    insert = try db.prepare(
      "INSERT INTO messages (channel, time, msgid, source, command, target, text) VALUES (?, ?, ?, ?, ?, ?, ?)")
    let columns = "SELECT time, msgid, source, command, target, text FROM messages"
    let range = "WHERE channel = ?1 AND (time, id) >= (?2, ?3) AND (time, id) < (?4, ?5)"
    oldest = try db.prepare("\(columns) \(range) ORDER BY time ASC, id ASC LIMIT ?6")
    newest = try db.prepare("\(columns) \(range) ORDER BY time DESC, id DESC LIMIT ?6")
    position = try db.prepare("SELECT time, id FROM messages WHERE msgid = ? AND channel = ? ORDER BY id LIMIT 1")
    lastTime = try db.prepare("SELECT time FROM messages WHERE channel = ? ORDER BY time DESC, id DESC LIMIT 1")
  }

  /// Adds one message of channel `key` (folded name). The caller holds a transaction.
  func append(_ key: String, _ e: HistoryEntry) throws {
    defer { insert.reset() }
    insert.bind(1, key)
    insert.bind(2, e.time)
    insert.bind(3, e.msgid)
    insert.bind(4, e.source)
    insert.bind(5, e.command)
    insert.bind(6, e.channel)
    insert.bind(7, e.text)
    _ = try insert.step()
  }

  /// The answer to `query` about channel `key`, oldest first.
  func answer(_ query: HistoryQuery, channel key: String) throws -> [HistoryEntry] {
    var positions: [String: HistoryPosition] = [:]
    for id in query.msgids {
      if let p = try self.position(of: id, in: key) { positions[id] = p }
    }
    guard let ranges = query.ranges(positions: positions) else { return [] }
    return query.combine(try ranges.map { try read($0, channel: key) })
  }

  /// The time of the newest message of each channel that has one.
  func lastTimes(_ keys: [String]) throws -> [String: Int64] {
    var times: [String: Int64] = [:]
    for key in keys {
      defer { lastTime.reset() }
      lastTime.bind(1, key)
      if try lastTime.step() { times[key] = lastTime.int64(0) }
    }
    return times
  }

  private func position(of msgid: String, in key: String) throws -> HistoryPosition? {
    defer { position.reset() }
    position.bind(1, msgid)
    position.bind(2, key)
    guard try position.step() else { return nil }
    return HistoryPosition(time: position.int64(0), sequence: UInt64(max(0, position.int64(1))))
  }

  private func read(_ range: HistoryRange, channel key: String) throws -> [HistoryEntry] {
    guard !range.isEmpty else { return [] }
    let s = range.newest ? newest : oldest
    defer { s.reset() }
    let from = range.from ?? HistoryPosition(time: .min, sequence: 0)
    let to = range.to ?? HistoryPosition(time: .max, sequence: .max)
    s.bind(1, key)
    s.bind(2, from.time)
    s.bind(3, Int64(clamping: from.sequence))
    s.bind(4, to.time)
    s.bind(5, Int64(clamping: to.sequence))
    s.bind(6, Int64(range.limit))
    var rows: [HistoryEntry] = []
    while try s.step() {
      rows.append(
        HistoryEntry(
          time: s.int64(0), msgid: s.string(1), source: s.string(2), command: s.string(3), channel: s.string(4), text: s.string(5)))
    }
    return range.newest ? rows.reversed() : rows
  }
}
