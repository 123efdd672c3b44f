// The history store: every channel message goes to SQLite (a file in the data
// directory), and so does what a channel is besides its messages — topic, modes, who
// held status (History/StoredChannels.swift), saved by its room after each change.
// Disk work never runs on a scheduler thread: the server hands it to its own writer
// thread, which commits in batches (one transaction per batch) and answers queries
// through deferred replies. The writer thread and its database belong to the
// store's process and end with it, however it ends (as Erlang closes a port when its
// owner dies).
//
// What an ending costs: a normal stop (shutdown, or any exit `terminate` sees) waits for
// the writer, so nothing acknowledged is lost. A kill cannot wait: the writer still
// writes every append it was handed, answers every query it holds, then closes the
// database on its own; only the appends still in the store's mailbox at the kill (and
// those rooms send while no store is registered) miss the disk. They stay in the
// in-memory recent history, so clients joining before chatd restarts still get them.
//
// Counted for the metrics (`HistoryCounters`): the store's process counts each append it
// hands to the writer, the writer thread each one it commits or drops.
import Actors
import COtterSys
import Foundation
import GenServer
import Synchronization

struct HistoryStore: SyncGenServer {
  /// The database file; nil keeps no history on disk (queries answer from nothing).
  let path: String?
  /// What was handed to the writer and what came of it (the metrics' queue depth).
  let counters: HistoryCounters

  init(path: String?, counters: HistoryCounters = HistoryCounters()) {
    self.path = path
    self.counters = counters
  }

  enum Request: Sendable {
    /// The last `limit` messages of a channel (folded name), oldest first.
    case latest(channel: String, limit: Int)
    /// Messages strictly between two times (Unix ms), oldest first, at most `limit`;
    /// `newestFirst` picks the newest of the range instead of the oldest.
    case between(channel: String, after: Int64, before: Int64, limit: Int, newestFirst: Bool)
    /// Waits until everything cast before has been written (tests, shutdown).
    case flush
    /// What is stored of a channel (folded name): its settings and statuses, if any.
    case channel(key: String)
  }

  enum Reply: Sendable {
    case entries([HistoryEntry])
    case flushed
    case channel(StoredChannel?)
  }

  enum Cast: Sendable {
    case append(key: String, HistoryEntry)
    /// Replaces what is stored of a channel (its room, after a change).
    case saveChannel(key: String, StoredChannel)
    /// The channel ended (its last member left): nothing of it is restored.
    case forgetChannel(key: String)
  }

  struct State {
    let writer: HistoryWriter?
  }

  func initialize(_ ctx: ServerContext<Self>) throws -> InitResult<Self> {
    guard let path else { return .ok(State(writer: nil)) }
    // Trap exits, so that a shutdown runs `terminate`, which waits for the writer to
    // write what is queued (its lingering batch included) and close the database.
    ctx.trapExit = true
    let writer: HistoryWriter
    do {
      let directory = URL(fileURLWithPath: path).deletingLastPathComponent().path
      try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
      writer = try HistoryWriter(path: path, counters: counters)
    } catch {
      return .stop(.error(HistoryOpenError(path: path, reason: (error as? SQLiteError)?.message ?? "\(error)")))
    }
    // A kill skips `terminate`; an exit hook runs however the process ends, so the
    // writer never outlives its owner (each restart would otherwise leave a thread and
    // the database's descriptors behind). It only asks: a scheduler thread must not wait
    // on the disk, and after a kill nobody is left to wait for.
    ctx.onExit { _ in writer.finish() }
    // The database's memory is out of the runtime's sight: say where it is (observer).
    ctx.reportMemory("history store", counted: "SQLite's allocations: page cache, schema, statements (sqlite3_memory_used)") {
      SQLiteDatabase.memoryInUse
    }
    return .ok(State(writer: writer))
  }

  func handleCall(_ request: Request, from: From<Reply>, state: inout State, _ ctx: ServerContext<Self>) throws -> CallResult<Self> {
    guard let writer = state.writer else {
      switch request {
      case .flush: return .reply(.flushed)
      case .channel: return .reply(.channel(nil))
      case .latest, .between: return .reply(.entries([]))
      }
    }
    writer.enqueue(.query(request, from))
    return .noreply()
  }

  func handleCast(_ message: Cast, state: inout State, _ ctx: ServerContext<Self>) throws -> HandleResult<Self> {
    switch message {
    case .append(let key, let entry):
      if let writer = state.writer {
        counters.handed.wrappingAdd(1, ordering: .relaxed)
        writer.enqueue(.append(key, entry))
      }
    case .saveChannel(let key, let channel): state.writer?.enqueue(.channel(key, channel))
    case .forgetChannel(let key): state.writer?.enqueue(.channel(key, nil))
    }
    return .noreply()
  }

  func terminate(_ reason: ExitReason, state: inout State, _ ctx: ServerContext<Self>) {
    state.writer?.stop()
  }

  func formatStatus(_ state: State) -> String {
    guard let w = state.writer else { return "in memory only" }
    return "\(path ?? "?"): \(w.written.load(ordering: .relaxed)) messages written, \(w.backlog) queued"
  }
}

/// Why the store did not start: its database could not be opened or set up.
struct HistoryOpenError: Error, CustomStringConvertible {
  let path: String
  /// SQLite's (or the file system's) words.
  let reason: String
  var description: String { "history database \(path): \(reason)" }
}

/// The thread that owns the SQLite connection.
final class HistoryWriter: Sendable {
  enum Job: Sendable {
    case append(String, HistoryEntry)
    /// Save (or, nil, forget) what is stored of a channel.
    case channel(String, StoredChannel?)
    case query(HistoryStore.Request, From<HistoryStore.Reply>)
    case stop

    /// A write nobody waits for: it may linger with the batch.
    var isWrite: Bool {
      switch self {
      case .append, .channel: return true
      case .query, .stop: return false
      }
    }
  }

  /// How long the writer lets appends gather before writing them (seconds). Messages
  /// are in the in-memory recent history at once; this delays only the disk.
  static let linger: TimeInterval = 0.02

  /// The writer that opened each database last. A new writer opens the file only once
  /// the previous one has closed it: a POSIX lock belongs to the process, not to the
  /// descriptor, so SQLite cannot close a file that another of the process's
  /// connections holds locked (a WAL connection always does) and would keep the old
  /// descriptor open until the new connection closes.
  private static let lastWriter = Locked<[String: HistoryWriter]>([:])

  private let queue = JobQueue()
  /// Left once the database is closed; anyone may wait for it, any number of times.
  private let closed = DispatchGroup()
  private let finishing = Atomic<Bool>(false)
  let written = Atomic<Int>(0)
  /// Shared with the store (and the stores after it): `written` and `failed` are this
  /// thread's to add to.
  private let counters: HistoryCounters

  init(path: String, counters: HistoryCounters) throws {
    self.counters = counters
    // Normally a few milliseconds: the previous writer was asked to stop when its store
    // exited, and only writes the batch it holds.
    if let previous = HistoryWriter.lastWriter.withLock({ $0[path] }) { _ = previous.closed.wait(timeout: .now() + 5) }
    let db = try SQLiteDatabase(path: path)
    try db.execute("PRAGMA journal_mode=WAL")
    try db.execute("PRAGMA synchronous=NORMAL")
    try db.execute(
      """
      CREATE TABLE IF NOT EXISTS messages (
        id INTEGER PRIMARY KEY, channel TEXT NOT NULL, time INTEGER NOT NULL, msgid TEXT NOT NULL,
        source TEXT NOT NULL, command TEXT NOT NULL, target TEXT NOT NULL, text TEXT NOT NULL)
      """)
    try db.execute("CREATE INDEX IF NOT EXISTS messages_by_channel ON messages (channel, time)")
    for table in StoredChannelTables.schema { try db.execute(table) }
    let worker = Thread { [self] in
      // The kernel's name for the thread (Thread.name does not reach it on Linux), so
      // `top -H` and /proc/PID/task tell the writer apart.
      otter_set_thread_name("chatd-history")
      self.serve(db)
      // Closed here, on the thread that used it, once the statements are gone.
      db.close()
      self.closed.leave()
    }
    closed.enter()
    worker.start()
    HistoryWriter.lastWriter.withLock { $0[path] = self }
  }

  var backlog: Int { queue.count }

  func enqueue(_ job: Job) { queue.push(job) }

  /// Jobs for the writer thread: a pthread condition (which Thread Sanitizer sees,
  /// unlike the futex inside `Mutex`).
  // `@unchecked Sendable`: `jobs` is only read or written with `condition` locked.
  final class JobQueue: @unchecked Sendable {
    private let condition = NSCondition()
    private var jobs: [Job] = []

    /// Queues `job`. The writer is woken for the first job of a batch and for every
    /// query or stop; writes that follow within its lingering ride along unannounced
    /// (a wake-up per message would cost a futex call each, and a transaction each).
    func push(_ job: Job) {
      condition.lock()
      let wake = jobs.isEmpty || !job.isWrite
      jobs.append(job)
      if wake { condition.signal() }
      condition.unlock()
    }

    /// Every queued job, waiting until there is one. When only writes are waiting, it
    /// lingers up to `linger` seconds (a query or stop ends that at once), so that a
    /// busy server writes one transaction per batch rather than per message.
    func takeAll(linger: TimeInterval) -> [Job] {
      condition.lock()
      defer { condition.unlock() }
      while jobs.isEmpty { condition.wait() }
      if linger > 0 && jobs.allSatisfy(\.isWrite) {
        _ = condition.wait(until: Date(timeIntervalSinceNow: linger))
      }
      let taken = jobs
      jobs = []
      return taken
    }

    var count: Int {
      condition.lock()
      defer { condition.unlock() }
      return jobs.count
    }
  }

  /// Asks the writer to write and answer what it holds, close the database and end,
  /// without waiting (the store's exit hook: it may run on a scheduler thread). Once
  /// only; later calls do nothing.
  func finish() {
    guard !finishing.exchange(true, ordering: .relaxed) else { return }
    enqueue(.stop)
  }

  /// `finish`, then waits (5 s at most) until the database is closed: a normal stop
  /// loses nothing that was handed to the writer.
  func stop() {
    finish()
    _ = closed.wait(timeout: .now() + 5)
  }

  /// Runs the jobs until a stop; returns with every prepared statement released.
  private func serve(_ db: SQLiteDatabase) {
    guard
      let insert = try? db.prepare(
        "INSERT INTO messages (channel, time, msgid, source, command, target, text) VALUES (?, ?, ?, ?, ?, ?, ?)"),
      let latest = try? db.prepare(
        "SELECT time, msgid, source, command, target, text FROM messages WHERE channel = ? ORDER BY time DESC, id DESC LIMIT ?"),
      let rangeOldest = try? db.prepare(
        "SELECT time, msgid, source, command, target, text FROM messages WHERE channel = ? AND time > ? AND time < ? ORDER BY time ASC, id ASC LIMIT ?"
      ),
      let rangeNewest = try? db.prepare(
        "SELECT time, msgid, source, command, target, text FROM messages WHERE channel = ? AND time > ? AND time < ? ORDER BY time DESC, id DESC LIMIT ?"
      ),
      let channels = try? StoredChannelTables(db)
    else {
      FileHandle.standardError.write(Data("chatd: history: \(db.lastError)\n".utf8))
      return
    }
    func rows(_ s: SQLiteDatabase.Statement) -> [HistoryEntry] {
      var out: [HistoryEntry] = []
      while (try? s.step()) == true {
        out.append(
          HistoryEntry(
            time: s.int64(0), msgid: s.string(1), source: s.string(2), command: s.string(3),
            channel: s.string(4), text: s.string(5)))
      }
      s.reset()
      return out
    }
    while true {
      let jobs = queue.takeAll(linger: HistoryWriter.linger)
      var stopping = false
      // Appends first, in one transaction; queries see them.
      let appends = jobs.compactMap { job -> (String, HistoryEntry)? in
        if case .append(let k, let e) = job { return (k, e) }
        return nil
      }
      if !appends.isEmpty {
        do {
          try db.execute("BEGIN")
          for (key, e) in appends {
            insert.bind(1, key)
            insert.bind(2, e.time)
            insert.bind(3, e.msgid)
            insert.bind(4, e.source)
            insert.bind(5, e.command)
            insert.bind(6, e.channel)
            insert.bind(7, e.text)
            _ = try insert.step()
            insert.reset()
          }
          try db.execute("COMMIT")
          written.add(appends.count, ordering: .relaxed)
          counters.written.wrappingAdd(appends.count, ordering: .relaxed)
        } catch {
          insert.reset()
          try? db.execute("ROLLBACK")
          counters.failed.wrappingAdd(appends.count, ordering: .relaxed)
          FileHandle.standardError.write(Data("chatd: history: \(error)\n".utf8))
        }
      }
      // Channel saves in order, in a transaction of their own (a failed one loses no message).
      let channelWrites = jobs.compactMap { job -> (String, StoredChannel?)? in
        if case .channel(let k, let c) = job { return (k, c) }
        return nil
      }
      if !channelWrites.isEmpty {
        do {
          try db.execute("BEGIN")
          for (key, channel) in channelWrites { try channels.save(key, channel) }
          try db.execute("COMMIT")
        } catch {
          try? db.execute("ROLLBACK")
          FileHandle.standardError.write(Data("chatd: history: saving channels: \(error)\n".utf8))
        }
      }
      for job in jobs {
        switch job {
        case .append, .channel: break
        case .stop: stopping = true
        case .query(let request, let from):
          switch request {
          case .latest(let key, let limit):
            latest.bind(1, key)
            latest.bind(2, Int64(limit))
            from.reply(.entries(rows(latest).reversed()))
          case .between(let key, let after, let before, let limit, let newestFirst):
            let s = newestFirst ? rangeNewest : rangeOldest
            s.bind(1, key)
            s.bind(2, after)
            s.bind(3, before)
            s.bind(4, Int64(limit))
            let r = rows(s)
            from.reply(.entries(newestFirst ? r.reversed() : r))
          case .flush:
            from.reply(.flushed)
          case .channel(let key):
            do {
              from.reply(.channel(try channels.load(key)))
            } catch {
              FileHandle.standardError.write(Data("chatd: history: loading channel \(key): \(error)\n".utf8))
              from.reply(.channel(nil))
            }
          }
        }
      }
      if stopping { break }
    }
  }
}
