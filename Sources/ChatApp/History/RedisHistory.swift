// The network history: channel messages kept in Redis streams that every node of a
// chat network appends to and reads (the layout and the scripts are in
// History/RedisHistoryCommands.swift). The history store's archive when chatd is
// configured with `HistoryBackend.redis`.
//
// One process per store, the archive's writer: it takes appends and questions from its
// mailbox in order, writes the appends it holds — a script call per `callLimit` of them,
// several calls in one pipeline — and only then answers the questions that came after
// them, from a helper process each, so a slow read holds up neither the writes nor
// other readers, and a client sees its own messages in the history it asks for.
// Nothing here runs on a scheduler thread for longer than it takes to build a command:
// every wait is a process waiting for its reply. Writer of the pending appends and of
// the reachable flag: this process alone (`unwritten` is added to by the store's process
// as it hands appends over).
//
// Holding appends: most of what Redis spends on an append is per script call, not per
// message (History/RedisHistoryCommands.swift has the figures), and at S3's 1,000
// messages a second a node appends ≈ 500 a second. Appends that arrive while a write is
// on its way go together in the next call (one script call for all of them). An append
// may also be held up to `holdTime` for others, or until `callLimit` are held, or until
// a question or the end comes (a client asking for the history gets what it just said:
// the held appends are written first) — ≈ 6 messages a call at S3 with 10 ms. chatd
// holds none (`holdTime` zero, the default): a node that dies may leave out of the
// history what it delivered in the last `holdTime` plus one write, ≈ 1 ms with no hold
// against ≈ 11 ms with 10 ms — messages its clients saw live but that a client who
// reconnects elsewhere and asks CHATHISTORY for what it missed would not get — and on
// the S3 network the hold's saving (≈ 6 µs of Redis per message) was within the
// benchmark's noise.
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
  static let batchLimit = 512
  /// The most appends carried by one script call (it runs alone on the server: ≈ 1 ms
  /// for 64), and how many held appends are written without waiting out `holdTime`.
  static let callLimit = 64
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
    /// Whether the oldest held appends may have been written already: a write of them
    /// failed without saying whether Redis ran it (so the next checks their msgids).
    var resend = false

    init(options: RedisHistoryOptions, counters: HistoryCounters, shared: Shared, logger: Logger) {
      self.options = options
      self.counters = counters
      self.shared = shared
      self.logger = logger
      pending = PendingAppends(limit: options.bufferLimit)
    }

    /// Takes what the mailbox holds, writes the appends once they have been held long
    /// enough (or are enough to fill a call, or someone waits for them), answers the
    /// questions; again until told to finish.
    mutating func run(_ ctx: Context<Message>) async throws {
      var finishing = false
      /// When the oldest held append was taken from the mailbox (nil: none held).
      var heldSince: ContinuousClock.Instant?
      while !finishing {
        var messages: [Message] = []
        if let first = try await ctx.next(timeout: wait(heldSince)) { messages.append(first) }
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
        if pending.isEmpty {
          heldSince = nil
        } else {
          let now = ContinuousClock.now
          let since = heldSince ?? now
          heldSince = since
          // While Redis is away every wake-up tries again (as the retry timer's does).
          if outage != nil || finishing || !questions.isEmpty || pending.count >= RedisHistory.callLimit
            || now - since >= options.holdTime
          {
            try await write(ctx)
            if pending.isEmpty { heldSince = nil }
          }
        }
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

    /// How long to wait for the mailbox: for ever with nothing held; until the oldest
    /// held append is due; the retry interval while Redis is away.
    private func wait(_ heldSince: ContinuousClock.Instant?) -> Timeout {
      guard let heldSince else { return .infinity }
      if outage != nil { return .after(RedisHistory.retryInterval) }
      return .after(max(.zero, options.holdTime - (ContinuousClock.now - heldSince)))
    }

    /// Writes the held appends, oldest first, a pipeline of script calls at a time,
    /// until none is left or Redis cannot be reached.
    private mutating func write(_ ctx: Context<Message>) async throws {
      let redis = options.client.on(ctx)
      while !pending.isEmpty {
        let batch = pending.first(RedisHistory.batchLimit)
        var perCall = RedisHistory.callLimit
        var replies: [RESPValue]
        do {
          replies = try await redis.executeBatch(appends(batch, perCall), timeout: RedisHistory.commandTimeout)
          if replies.contains(where: { $0.serverErrorKind == .noScript }) {
            // A restarted Redis has no scripts cached: load it, send the batch again
            // (checking msgids: another node may have loaded it between two calls, so
            // what did run is not added twice).
            try await redis.send(RedisHistoryCommands.loadAppend, timeout: RedisHistory.commandTimeout)
            resend = true
            replies = try await redis.executeBatch(appends(batch, perCall), timeout: RedisHistory.commandTimeout)
          }
          if replies.contains(where: { RedisHistoryCommands.refused($0) == nil && !$0.isTransientError }) {
            // A call Redis refused as a whole (a key of another type, a script error):
            // each message again in a call of its own, so that the one refused is named
            // and the others are kept (what did run is not added twice).
            perCall = 1
            resend = true
            replies = try await redis.executeBatch(appends(batch, perCall), timeout: RedisHistory.commandTimeout)
          }
        } catch let error as RedisError {
          resend = true
          unreachable(error.description)
          return
        }
        if let transient = replies.first(where: { $0.isTransientError }), case .error(let e) = transient {
          resend = true
          unreachable(e.message)
          return
        }
        resend = false
        var failed = 0
        for (call, reply) in zip(calls(batch, perCall), replies) {
          let refused = RedisHistoryCommands.refused(reply) ?? call.indices.map { ($0 - call.startIndex, reply.errorText) }
          for (offset, why) in refused where call.indices.contains(call.startIndex + offset) {
            let item = call[call.startIndex + offset]
            failed += 1
            logger.error("history: Redis refused a message of \(item.entry.channel) (\(item.entry.msgid)): \(why); it is not kept")
          }
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

    /// `batch` cut into script calls of `perCall` messages.
    private func calls(_ batch: PendingAppends.Batch, _ perCall: Int) -> [PendingAppends.Batch] {
      stride(from: batch.startIndex, to: batch.endIndex, by: perCall).map { batch[$0..<min($0 + perCall, batch.endIndex)] }
    }

    /// The script calls that append `batch`, `perCall` messages each.
    private func appends(_ batch: PendingAppends.Batch, _ perCall: Int) -> [RedisCommand] {
      calls(batch, perCall).map { RedisHistoryCommands.append(options.keyPrefix, $0, maxLength: options.maxLength, resend: resend) }
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
      case .latest, .query, .lastMessageTimes, .search: break
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
    case .search(let key, let query):
      return .entries(try await search(query, channel: key, redis, prefix: prefix))
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

  /// An error reply's message; a placeholder for anything else.
  fileprivate var errorText: String {
    if case .error(let e) = self { return e.message }
    return "an unexpected reply"
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
