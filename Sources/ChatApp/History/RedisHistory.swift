// The network history: channel messages kept in Redis streams that every node of a
// chat network appends to and reads (the layout and the scripts are in
// History/RedisHistoryCommands.swift). The history store's archive when chatd is
// configured with `HistoryBackend.redis`.
//
// One process per store, the archive's writer: it takes appends and questions from its
// mailbox in order, writes the appends it holds in one pipeline (a script call each),
// and only then answers the questions that came after them — from a helper process
// each, so a slow read holds up neither the writes nor other readers, and a client sees
// its own messages in the history it asks for. Nothing here runs on a scheduler thread
// for longer than it takes to build a command: every wait is a process waiting for its
// reply. Writer of the pending appends and of the reachable flag: this process alone
// (`unwritten` is added to by the store's process as it hands appends over).
//
// Redis unreachable (refused, lost, timing out, loading its data after a restart):
// appends are held, oldest first, up to `bufferLimit` — past it the oldest are dropped,
// with a log line saying how many — and written, in order, when Redis answers again
// (tried every `retryInterval`); questions are answered at once with `.unavailable`,
// which CHATHISTORY turns into a FAIL saying the history is temporarily unavailable.
//
// Surviving a Redis restart: the history is only as durable as Redis is made. Run
// redis-server with `--appendonly yes` (AOF, fsync every second by default): a restart
// reloads the streams and indexes from the append-only file, and while it loads Redis
// answers LOADING, which counts as unreachable here (appends held, then written). With
// AOF, at most the last second of acknowledged writes can be lost to a crash of the
// machine; a redis-server that is restarted or killed loses nothing it acknowledged.
// Without persistence, a restarted Redis comes back empty and the history starts over.
import Actors
import Dispatch
import GenServer
import Redis
import Synchronization

/// The Redis archive of a history store: the handle the store holds.
final class RedisHistory: MessageArchive {
  enum Message: Sendable {
    case append(String, HistoryEntry)
    case answer(HistoryStore.Request, From<HistoryStore.Reply>)
    /// Write what is held (once, if Redis answers), then end.
    case finish
  }

  /// How often held appends are tried again while Redis cannot be reached.
  static let retryInterval: Duration = .milliseconds(250)
  /// The most appends sent in one pipeline.
  static let batchLimit = 500
  /// How long one write or read may wait for Redis before it counts as unreachable.
  static let commandTimeout: Duration = .seconds(3)

  let options: RedisHistoryOptions
  private let address: Address<Message>
  private let shared: Shared
  private let finishing = Atomic<Bool>(false)

  /// What the handle and the writer process both read (written where each field says).
  final class Shared: Sendable {
    /// Appends handed over and not yet written or dropped: added to by the store's
    /// process, taken from by the writer.
    let unwritten = Atomic<Int>(0)
    /// Whether the last write reached Redis: the writer's.
    let reachable = Atomic<Bool>(true)
    /// Left when the writer process has ended.
    let ended = DispatchGroup()
  }

  /// The writer process (the store monitors it).
  var pid: Pid { address.pid }

  /// Starts the archive's writer process on `node`.
  init(_ options: RedisHistoryOptions, counters: HistoryCounters, node: Node) {
    self.options = options
    let shared = Shared()
    self.shared = shared
    shared.ended.enter()
    address = node.spawn(Message.self, options: SpawnOptions(label: "history (redis)")) { ctx in
      defer { shared.ended.leave() }
      var writer = Writer(options: options, counters: counters, shared: shared, logger: ctx.node.logger)
      try await writer.run(ctx)
    }
  }

  // MARK: - The archive

  func append(_ key: String, _ entry: HistoryEntry) {
    shared.unwritten.add(1, ordering: .relaxed)
    address.send(.append(key, entry))
  }

  func answer(_ request: HistoryStore.Request, _ reply: From<HistoryStore.Reply>) { address.send(.answer(request, reply)) }

  func finish() {
    guard !finishing.exchange(true, ordering: .relaxed) else { return }
    address.send(.finish)
  }

  /// Waits (a second at most) only while Redis answers and something is still to be
  /// written: with Redis away, waiting would not get anything written. Called from the
  /// store's `terminate` at a normal stop, it holds that scheduler thread meanwhile, as
  /// the SQLite writer's `stop` does; the writer process runs on the others.
  func stop() {
    finish()
    if shared.reachable.load(ordering: .relaxed) && shared.unwritten.load(ordering: .relaxed) > 0 {
      _ = shared.ended.wait(timeout: .now() + 1)
    }
  }

  var status: String {
    let state = shared.reachable.load(ordering: .relaxed) ? "reachable" : "unreachable"
    return
      "Redis \(options.client.configuration.endpoint) (\(state)): \(shared.unwritten.load(ordering: .relaxed)) messages not written yet"
  }

  // MARK: - The writer process

  /// The writer process's state and loop.
  struct Writer {
    let options: RedisHistoryOptions
    let counters: HistoryCounters
    let shared: Shared
    let logger: Logger
    var pending: PendingAppends
    /// Why Redis could not be reached, while it cannot.
    var outage: String?
    /// `.flush` requests waiting for the held appends to be written.
    var flushes: [From<HistoryStore.Reply>] = []

    init(options: RedisHistoryOptions, counters: HistoryCounters, shared: Shared, logger: Logger) {
      self.options = options
      self.counters = counters
      self.shared = shared
      self.logger = logger
      pending = PendingAppends(limit: options.bufferLimit)
    }

    /// Takes what the mailbox holds, writes the appends, answers the questions; again
    /// until told to finish.
    mutating func run(_ ctx: Context<Message>) async throws {
      var finishing = false
      while !finishing {
        var messages: [Message] = []
        if let first = try await ctx.next(timeout: pending.isEmpty ? .infinity : .after(RedisHistory.retryInterval)) {
          messages.append(first)
        }
        while messages.count < 4 * RedisHistory.batchLimit, let more = try await ctx.next(timeout: .zero) { messages.append(more) }
        var questions: [(HistoryStore.Request, From<HistoryStore.Reply>)] = []
        for message in messages {
          switch message {
          case .append(let key, let entry): pending.append(key, entry)
          case .answer(let request, let reply): questions.append((request, reply))
          case .finish: finishing = true
          }
        }
        noteDropped()
        if !pending.isEmpty { try await write(ctx) }
        if pending.isEmpty {
          for f in flushes { f.reply(.flushed) }
          flushes = []
        }
        for (request, reply) in questions { answer(request, reply, ctx) }
      }
      // Ending: what could not be written is lost (said once), and whoever waits is told.
      if !pending.isEmpty {
        logger.error("history: \(pending.count) messages were never written to Redis (\(outage ?? "stopping"))")
        counters.failed.wrappingAdd(pending.count, ordering: .relaxed)
        shared.unwritten.subtract(pending.count, ordering: .relaxed)
      }
      for f in flushes { f.reply(.unavailable(Self.unavailable(outage ?? "the history is stopping"))) }
    }

    /// Writes the held appends, oldest first, a pipeline at a time, until none is left
    /// or Redis cannot be reached.
    private mutating func write(_ ctx: Context<Message>) async throws {
      let redis = options.client.on(ctx)
      while !pending.isEmpty {
        let batch = pending.first(RedisHistory.batchLimit)
        let commands = batch.map { RedisHistoryCommands.append(options.keyPrefix, $0.key, $0.entry, maxLength: options.maxLength) }
        var replies: [RESPValue]
        do {
          replies = try await redis.executeBatch(commands, timeout: RedisHistory.commandTimeout)
          if replies.contains(where: { $0.serverErrorKind == .noScript }) {
            // A restarted Redis has no scripts cached: load it, send the batch again
            // (the script adds an msgid once, so what did run is not added twice).
            try await redis.send(RedisHistoryCommands.loadAppend, timeout: RedisHistory.commandTimeout)
            replies = try await redis.executeBatch(commands, timeout: RedisHistory.commandTimeout)
          }
        } catch let error as RedisError {
          unreachable(error.description)
          return
        }
        if let transient = replies.first(where: { $0.isTransientError }), case .error(let e) = transient {
          unreachable(e.message)
          return
        }
        var failed = 0
        for (item, reply) in zip(batch, replies) {
          guard case .error(let e) = reply else { continue }
          failed += 1
          logger.error("history: Redis refused a message of \(item.entry.channel) (\(item.entry.msgid)): \(e.message); it is not kept")
        }
        pending.removeFirst(batch.count)
        shared.unwritten.subtract(batch.count, ordering: .relaxed)
        counters.written.wrappingAdd(batch.count - failed, ordering: .relaxed)
        counters.failed.wrappingAdd(failed, ordering: .relaxed)
        if let was = outage {
          outage = nil
          shared.reachable.store(true, ordering: .relaxed)
          logger.notice("history: Redis answers again (it was: \(was)); the messages held meanwhile are written")
        }
      }
    }

    /// Redis did not take the batch: hold everything, say so once per outage.
    private mutating func unreachable(_ why: String) {
      if outage == nil {
        shared.reachable.store(false, ordering: .relaxed)
        logger.warning(
          "history: Redis cannot be reached (\(why)): holding new messages (up to \(options.bufferLimit)) until it answers; CHATHISTORY fails meanwhile"
        )
      }
      outage = why
    }

    /// Says how many held messages were dropped for room since the last time it said so.
    private mutating func noteDropped() {
      let dropped = pending.takeDropped()
      guard dropped > 0 else { return }
      counters.failed.wrappingAdd(dropped, ordering: .relaxed)
      shared.unwritten.subtract(dropped, ordering: .relaxed)
      logger.warning(
        "history: Redis still cannot be reached (\(outage ?? "no answer yet")): dropped the \(dropped) oldest held messages; \(pending.count) held (at most \(options.bufferLimit))"
      )
    }

    /// Answers one question: at once when it cannot be answered (Redis is away and
    /// messages are still held), else from a helper process that reads Redis.
    private mutating func answer(_ request: HistoryStore.Request, _ reply: From<HistoryStore.Reply>, _ ctx: Context<Message>) {
      switch request {
      case .flush:
        if pending.isEmpty { reply.reply(.flushed) } else { flushes.append(reply) }
        return
      case .channel:
        reply.reply(.channel(nil))  // channels are kept in SQLite, never asked here
        return
      case .latest, .query, .lastMessageTimes: break
      }
      if !pending.isEmpty, let outage {
        reply.reply(.unavailable(Self.unavailable(outage)))
        return
      }
      let (client, prefix) = (options.client, options.keyPrefix)
      ctx.node.spawn(Never.self, options: SpawnOptions(label: "history query (redis)")) { c in
        do {
          reply.reply(try await RedisHistory.read(request, client.on(c), prefix: prefix))
        } catch let error as RedisError {
          reply.reply(.unavailable(Self.unavailable(error.description)))
        }
      }
    }

    static func unavailable(_ why: String) -> String { "the history is temporarily unavailable (Redis: \(why))" }
  }

  // MARK: - Reading

  /// Reads the answer to `request` from Redis.
  static func read(_ request: HistoryStore.Request, _ redis: some RedisCommands, prefix: String) async throws -> HistoryStore.Reply {
    switch request {
    case .latest(let key, let limit):
      return .entries(try await read(.latest(after: nil, limit: limit), channel: key, redis, prefix: prefix))
    case .query(let key, let query):
      return .entries(try await read(query, channel: key, redis, prefix: prefix))
    case .lastMessageTimes(let keys):
      guard !keys.isEmpty else { return .times([:]) }
      let replies = try await redis.executeBatch(keys.map { RedisHistoryCommands.newest(prefix, $0) }, timeout: commandTimeout)
      var times: [String: Int64] = [:]
      for (key, reply) in zip(keys, replies) {
        if let last = try RedisHistoryCommands.entries(reply, newestFirst: true).last { times[key] = last.time }
      }
      return .times(times)
    case .flush: return .flushed
    case .channel: return .channel(nil)
    }
  }

  /// The answer to `query` about channel `key`: the msgids it names looked up, then its
  /// reads, each in one pipeline.
  static func read(_ query: HistoryQuery, channel key: String, _ redis: some RedisCommands, prefix: String) async throws
    -> [HistoryEntry]
  {
    var positions: [String: HistoryPosition] = [:]
    let ids = query.msgids
    if !ids.isEmpty {
      let replies = try await redis.executeBatch(
        ids.map { RedisHistoryCommands.position(prefix, key, msgid: $0) }, timeout: commandTimeout)
      for (id, reply) in zip(ids, replies) {
        if case .error(let e) = reply { throw RedisError.server(e) }
        if let found = reply.string.flatMap(RedisHistoryCommands.position(ofID:)) { positions[id] = found }
      }
    }
    guard let ranges = query.ranges(positions: positions) else { return [] }
    let reads = ranges.map { RedisHistoryCommands.read(prefix, key, $0) }
    let commands = reads.compactMap { $0 }
    var replies = commands.isEmpty ? [] : try await redis.executeBatch(commands, timeout: commandTimeout)[...]
    var results: [[HistoryEntry]] = []
    for (range, command) in zip(ranges, reads) {
      guard command != nil, let reply = replies.popFirst() else {
        results.append([])
        continue
      }
      results.append(try RedisHistoryCommands.entries(reply, newestFirst: range.newest))
    }
    return query.combine(results)
  }
}

extension RESPValue {
  /// The kind of an error reply; nil for anything else.
  fileprivate var serverErrorKind: RedisServerError.Kind? {
    if case .error(let e) = self { return e.kind }
    return nil
  }

  /// An error reply that says "not now" rather than "never": Redis loading its data,
  /// busy with a script, out of memory, a replica, a cluster in trouble.
  fileprivate var isTransientError: Bool {
    switch serverErrorKind {
    case .loading?, .busy?, .outOfMemory?, .readOnly?, .clusterDown?, .tryAgain?, .noScript?: return true
    default: return false
    }
  }
}
