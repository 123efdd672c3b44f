// The seam between the history store and where channel messages are kept: one node's
// SQLite file (History/HistoryWriter.swift) or a network's Redis streams
// (History/RedisHistory.swift). The store hands every append and every question about
// messages to its archive and never waits for one: the archive answers later, from its
// own thread or process, through the request's reply. Rooms and CHATHISTORY talk to
// the store only, so they do not know which archive serves them. Which one is chatd's
// configuration (`ChatConfig.historyBackend`); the archive is the store's, made when
// the store starts and ended with it.
import GenServer
import Redis

/// Where a history store keeps channel messages.
protocol MessageArchive: AnyObject, Sendable {
  /// Keeps a message of channel `key` (folded name), in the order appended. Never waits.
  func append(_ key: String, _ entry: HistoryEntry)
  /// Answers a question about messages (`latest`, `query`, `lastMessageTimes`,
  /// `flush`) through `reply`, later. Never waits.
  func answer(_ request: HistoryStore.Request, _ reply: From<HistoryStore.Reply>)
  /// Asks the archive to write what it holds and end, without waiting: the store's exit
  /// hook, which runs however the store ends (on a scheduler thread, maybe).
  func finish()
  /// `finish`, then waits a bounded time for the archive to have written what it held
  /// (the store's `terminate`: a normal stop).
  func stop()
  /// One line for the observer (`formatStatus`).
  var status: String { get }
}

/// Where chatd keeps channel messages: what a client joining is replayed and what
/// CHATHISTORY reads.
public enum HistoryBackend: Sendable {
  /// In `history.sqlite3` in the data directory: one node's own history (the default).
  case sqlite
  /// In Redis streams that every node of a network shares (one stream per channel).
  /// What a channel is besides its messages (topic, modes, statuses) stays in the
  /// node's SQLite file.
  case redis(RedisHistoryOptions)
}

/// How a network's history is kept in Redis.
public struct RedisHistoryOptions: Sendable {
  /// The client the history talks through: started (or put in a supervision tree) by
  /// whoever configures it; the history never stops it.
  public var client: RedisClient
  /// Messages kept per channel: older ones are trimmed as new ones come.
  public var maxLength: Int
  /// Messages held while Redis cannot be reached, to be written when it is back; past
  /// this many the oldest are dropped (and the log says how many).
  public var bufferLimit: Int
  /// What every key starts with (several networks may share one Redis).
  public var keyPrefix: String
  /// How long an append may wait for others to share its write (one script call
  /// carries them all, and Redis's cost is mostly per call): the history of a node
  /// that dies may miss what was said this long before. Zero writes at once.
  public var holdTime: Duration

  /// - Parameters:
  ///   - client: the Redis client (started by the caller).
  ///   - maxLength: messages kept per channel.
  ///   - bufferLimit: messages held while Redis is unreachable.
  ///   - keyPrefix: the keys' common prefix.
  ///   - holdTime: how long an append may wait to be written with others.
  public init(
    client: RedisClient, maxLength: Int = 10_000, bufferLimit: Int = 10_000, keyPrefix: String = "chatd:history",
    holdTime: Duration = .zero
  ) {
    self.client = client
    self.maxLength = max(1, maxLength)
    self.bufferLimit = max(1, bufferLimit)
    self.keyPrefix = keyPrefix
    self.holdTime = max(.zero, holdTime)
  }
}
