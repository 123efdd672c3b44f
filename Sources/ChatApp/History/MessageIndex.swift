// The full-text index of the SQLite history (FTS5, which Debian's SQLite is built
// with): an external-content FTS5 table over `messages.text`, kept by a trigger on
// every insert — so the history writer's own transactions maintain it, and a message is
// searchable as soon as it is written — and built once from the messages already there
// when a database from before the index is opened. SEARCH reads it through `search`.
//
// Writer: the history writer (History/HistoryWriter.swift) makes the index when it
// opens the database (`create`) and its inserts fill it; the reader is the searcher
// thread (History/HistorySearcher.swift), which holds this object on its own
// connection. Nothing here deletes messages (the SQLite history is never trimmed); a
// deletion would need its own trigger.

/// The FTS5 index of the messages table, and its search.
final class MessageIndex {
  static let table = "messages_fts"

  let db: SQLiteDatabase

  /// A reader of the index on `db`.
  init(_ db: SQLiteDatabase) { self.db = db }

  /// Makes the index if the database has none (building it from the messages already
  /// stored, once) and its trigger. The writer runs it when it opens the database.
  static func create(_ db: SQLiteDatabase) throws {
    let existed = try Self.exists(db)
    try db.execute("CREATE VIRTUAL TABLE IF NOT EXISTS \(table) USING fts5(text, content='messages', content_rowid='id')")
    try db.execute(
      """
      CREATE TRIGGER IF NOT EXISTS messages_fts_insert AFTER INSERT ON messages BEGIN
        INSERT INTO \(table) (rowid, text) VALUES (new.id, new.text);
      END
      """)
    if !existed { try db.execute("INSERT INTO \(table) (\(table)) VALUES ('rebuild')") }
  }

  private static func exists(_ db: SQLiteDatabase) throws -> Bool {
    let st = try db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?")
    st.bind(1, table)
    return try st.step()
  }

  /// The messages of channel `key` (folded) that match `query`, oldest first.
  func search(_ query: SearchQuery, channel key: String) throws -> [HistoryEntry] {
    let columns = "m.time, m.msgid, m.source, m.command, m.target, m.text"
    var conditions = [
      "m.channel = ?1", "m.time >= ?2", "m.time <= ?3", "m.command IN ('PRIVMSG', 'NOTICE')",
      // Nicks fold as ASCII (CASEMAPPING=ascii), as SQLite's lower() does.
      "(?4 = '' OR lower(substr(m.source, 1, instr(m.source, '!') - 1)) = ?4)",
    ]
    let from: String
    if query.words.isEmpty {
      from = "messages m"
    } else {
      from = "\(Self.table) JOIN messages m ON m.id = \(Self.table).rowid"
      conditions.append("\(Self.table) MATCH ?6")
    }
    let order = query.newestFirst ? "DESC" : "ASC"
    let st = try db.prepare(
      "SELECT \(columns) FROM \(from) WHERE \(conditions.joined(separator: " AND ")) ORDER BY m.time \(order), m.id \(order) LIMIT ?5")
    st.bind(1, key)
    st.bind(2, query.after ?? Int64.min)
    st.bind(3, query.before ?? Int64.max)
    st.bind(4, query.from ?? "")
    st.bind(5, Int64(max(0, query.limit)))
    if !query.words.isEmpty { st.bind(6, query.ftsExpression) }
    var rows: [HistoryEntry] = []
    while try st.step() {
      rows.append(
        HistoryEntry(
          time: st.int64(0), msgid: st.string(1), source: st.string(2), command: st.string(3), channel: st.string(4),
          text: st.string(5)))
    }
    return query.newestFirst ? rows.reversed() : rows
  }
}
