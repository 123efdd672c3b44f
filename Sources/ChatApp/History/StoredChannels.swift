// What the history store keeps of a channel besides its messages: its settings (topic
// with who set it and when, flags, key, limit, bans, exceptions, invite exceptions; not
// a registration, which the account store keeps: Rooms/ChannelRegistration.swift) and
// who held op or voice — so that after chatd restarts a channel comes back as it stood
// when chatd stopped. Writer: the channel's room (Rooms/Room.swift), which asks the store
// to save after each change and to forget the channel when its last member leaves; the
// SQL below runs on the store's writer thread only (History/HistoryStore.swift).

/// A channel as the store keeps it.
struct StoredChannel: Sendable, Equatable {
  /// The settings; `invited` is always empty (an invitation lasts while the server runs).
  var settings: ChannelSettings
  /// Members who held op or voice, sorted by mask.
  var statuses: [StoredStatus] = []
}

/// A member's status in a stored channel, by the member's `nick!user@host` then.
struct StoredStatus: Sendable, Equatable {
  var mask: String
  var op: Bool
  var voice: Bool
}

/// The channel tables and their prepared statements: created and used by the history
/// writer thread alone.
final class StoredChannelTables {
  /// One row per channel; its list modes and statuses in tables of their own.
  static let schema = [
    """
    CREATE TABLE IF NOT EXISTS channels (
      channel TEXT PRIMARY KEY, name TEXT NOT NULL, created INTEGER NOT NULL,
      topic TEXT, topic_by TEXT, topic_time INTEGER NOT NULL,
      invite_only INTEGER NOT NULL, moderated INTEGER NOT NULL, no_external INTEGER NOT NULL,
      secret INTEGER NOT NULL, topic_lock INTEGER NOT NULL, channel_key TEXT, user_limit INTEGER,
      registered_only INTEGER NOT NULL DEFAULT 0, registered_speech INTEGER NOT NULL DEFAULT 0)
    """,
    """
    CREATE TABLE IF NOT EXISTS channel_lists (
      channel TEXT NOT NULL, mode TEXT NOT NULL, position INTEGER NOT NULL,
      mask TEXT NOT NULL, set_by TEXT NOT NULL, time INTEGER NOT NULL,
      PRIMARY KEY (channel, mode, position))
    """,
    """
    CREATE TABLE IF NOT EXISTS channel_status (
      channel TEXT NOT NULL, mask TEXT NOT NULL, op INTEGER NOT NULL, voice INTEGER NOT NULL,
      PRIMARY KEY (channel, mask))
    """,
  ]

  /// Columns added since the first version of `channels`, added to a database made
  /// before them (the flags +R and +M).
  static let addedColumns = [
    ("registered_only", "INTEGER NOT NULL DEFAULT 0"), ("registered_speech", "INTEGER NOT NULL DEFAULT 0"),
  ]

  /// Brings an older database's tables up to `schema` (run after it, on the writer thread).
  static func migrate(_ db: SQLiteDatabase) throws {
    let info = try db.prepare("PRAGMA table_info(channels)")
    var columns: Set<String> = []
    while try info.step() { columns.insert(info.string(1)) }
    for (name, type) in addedColumns where !columns.contains(name) {
      try db.execute("ALTER TABLE channels ADD COLUMN \(name) \(type)")
    }
  }

  private let deletes: [SQLiteDatabase.Statement]
  private let insertChannel: SQLiteDatabase.Statement
  private let insertList: SQLiteDatabase.Statement
  private let insertStatus: SQLiteDatabase.Statement
  private let selectChannel: SQLiteDatabase.Statement
  private let selectLists: SQLiteDatabase.Statement
  private let selectStatus: SQLiteDatabase.Statement

  /// Prepares the statements (the tables exist: `schema` ran when the database opened).
  init(_ db: SQLiteDatabase) throws {
    deletes = try ["channels", "channel_lists", "channel_status"].map { try db.prepare("DELETE FROM \($0) WHERE channel = ?") }
    insertChannel = try db.prepare(
      """
      INSERT INTO channels (channel, name, created, topic, topic_by, topic_time, invite_only, moderated, no_external,
        secret, topic_lock, channel_key, user_limit, registered_only, registered_speech)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
      """)
    insertList = try db.prepare("INSERT INTO channel_lists (channel, mode, position, mask, set_by, time) VALUES (?, ?, ?, ?, ?, ?)")
    insertStatus = try db.prepare("INSERT INTO channel_status (channel, mask, op, voice) VALUES (?, ?, ?, ?)")
    selectChannel = try db.prepare(
      """
      SELECT name, created, topic, topic_by, topic_time, invite_only, moderated, no_external, secret, topic_lock,
        channel_key, user_limit, registered_only, registered_speech FROM channels WHERE channel = ?
      """)
    selectLists = try db.prepare("SELECT mode, mask, set_by, time FROM channel_lists WHERE channel = ? ORDER BY mode, position")
    selectStatus = try db.prepare("SELECT mask, op, voice FROM channel_status WHERE channel = ? ORDER BY mask")
  }

  /// Replaces what is stored of channel `key` (folded name) by `channel`, or removes it
  /// (nil). The caller holds a transaction.
  func save(_ key: String, _ channel: StoredChannel?) throws {
    for d in deletes {
      d.bind(1, key)
      try run(d)
    }
    guard let channel else { return }
    let s = channel.settings
    let c = insertChannel
    c.bind(1, key)
    c.bind(2, s.name)
    c.bind(3, Int64(s.created))
    bind(c, 4, s.topic)
    bind(c, 5, s.topicBy)
    c.bind(6, Int64(s.topicTime))
    for (i, flag) in [s.inviteOnly, s.moderated, s.noExternal, s.secret, s.topicLock].enumerated() {
      c.bind(Int32(7 + i), flag ? 1 : 0)
    }
    bind(c, 12, s.key)
    if let limit = s.limit { c.bind(13, Int64(limit)) } else { c.bindNull(13) }
    c.bind(14, s.registeredOnly ? 1 : 0)
    c.bind(15, s.registeredSpeech ? 1 : 0)
    try run(c)
    for (mode, list) in [("b", s.bans), ("e", s.exceptions), ("I", s.inviteExceptions)] {
      for (position, entry) in list.enumerated() {
        insertList.bind(1, key)
        insertList.bind(2, mode)
        insertList.bind(3, Int64(position))
        insertList.bind(4, entry.mask)
        insertList.bind(5, entry.setBy)
        insertList.bind(6, Int64(entry.time))
        try run(insertList)
      }
    }
    for status in channel.statuses {
      insertStatus.bind(1, key)
      insertStatus.bind(2, status.mask)
      insertStatus.bind(3, status.op ? 1 : 0)
      insertStatus.bind(4, status.voice ? 1 : 0)
      try run(insertStatus)
    }
  }

  /// What is stored of channel `key`, or nil.
  func load(_ key: String) throws -> StoredChannel? {
    let c = selectChannel
    c.bind(1, key)
    defer { c.reset() }
    guard try c.step() else { return nil }
    var s = ChannelSettings(name: c.string(0), created: Int(c.int64(1)))
    s.topic = c.isNull(2) ? nil : c.string(2)
    s.topicBy = c.isNull(3) ? nil : c.string(3)
    s.topicTime = Int(c.int64(4))
    s.inviteOnly = c.int64(5) != 0
    s.moderated = c.int64(6) != 0
    s.noExternal = c.int64(7) != 0
    s.secret = c.int64(8) != 0
    s.topicLock = c.int64(9) != 0
    s.key = c.isNull(10) ? nil : c.string(10)
    s.limit = c.isNull(11) ? nil : Int(c.int64(11))
    s.registeredOnly = c.int64(12) != 0
    s.registeredSpeech = c.int64(13) != 0
    selectLists.bind(1, key)
    defer { selectLists.reset() }
    while try selectLists.step() {
      let entry = ListEntry(mask: selectLists.string(1), setBy: selectLists.string(2), time: Int(selectLists.int64(3)))
      switch selectLists.string(0) {
      case "b": s.bans.append(entry)
      case "e": s.exceptions.append(entry)
      default: s.inviteExceptions.append(entry)
      }
    }
    var statuses: [StoredStatus] = []
    selectStatus.bind(1, key)
    defer { selectStatus.reset() }
    while try selectStatus.step() {
      statuses.append(StoredStatus(mask: selectStatus.string(0), op: selectStatus.int64(1) != 0, voice: selectStatus.int64(2) != 0))
    }
    return StoredChannel(settings: s, statuses: statuses)
  }

  private func bind(_ s: SQLiteDatabase.Statement, _ index: Int32, _ text: String?) {
    if let text { s.bind(index, text) } else { s.bindNull(index) }
  }

  /// Steps a statement that returns no rows, and resets it however that went.
  private func run(_ s: SQLiteDatabase.Statement) throws {
    defer { s.reset() }
    _ = try s.step()
  }
}
