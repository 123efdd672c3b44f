// The SQLite side of the history: a thread that owns the database connection, writes
// appends in batches (one transaction per batch) and answers questions from the jobs
// it is handed — the store's archive when messages are kept in SQLite, and always the
// keeper of what a channel is besides its messages (History/StoredChannels.swift).
// Writer of the database: this thread alone; the store's process only queues jobs.
// `written` and the counters' `written`/`failed` are this thread's to add to.
import Actors
import COtterSys
import Foundation
import GenServer
import Synchronization

/// The thread that owns the SQLite connection.
final class HistoryWriter: MessageArchive {
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

  private let path: String
  private let queue = JobQueue()
  /// Left once the database is closed; anyone may wait for it, any number of times.
  private let closed = DispatchGroup()
  private let finishing = Atomic<Bool>(false)
  let written = Atomic<Int>(0)
  /// Shared with the store (and the stores after it).
  private let counters: HistoryCounters
  /// Answers SEARCH on a connection of its own, so a long search holds no append up.
  private let searcher: HistorySearcher

  init(path: String, counters: HistoryCounters) throws {
    self.path = path
    self.counters = counters
    // Normally a few milliseconds: the previous writer was asked to stop when its store
    // exited, and only writes the batch it holds.
    if let previous = HistoryWriter.lastWriter.withLock({ $0[path] }) { _ = previous.closed.wait(timeout: .now() + 5) }
    let db = try SQLiteDatabase(path: path)
    try db.enableWAL()
    try db.execute("PRAGMA synchronous=NORMAL")
    for table in StoredMessages.schema + StoredChannelTables.schema { try db.execute(table) }
    try StoredChannelTables.migrate(db)
    try MessageIndex.create(db)
    // Its own connection, opened once the index exists.
    let searcher = try HistorySearcher(path: path)
    self.searcher = searcher
    let worker = Thread { [self] in
      // The kernel's name for the thread (Thread.name does not reach it on Linux), so
      // `top -H` and /proc/PID/task tell the writer apart.
      otter_set_thread_name("chatd-history")
      self.serve(db)
      searcher.stop()
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

  // MARK: - The archive

  func append(_ key: String, _ entry: HistoryEntry) { enqueue(.append(key, entry)) }

  func answer(_ request: HistoryStore.Request, _ reply: From<HistoryStore.Reply>) { enqueue(.query(request, reply)) }

  var status: String { "\(path): \(written.load(ordering: .relaxed)) messages written, \(backlog) queued" }

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

  // MARK: - The thread

  /// Runs the jobs until a stop; returns with every prepared statement released.
  private func serve(_ db: SQLiteDatabase) {
    let messages: StoredMessages
    let channels: StoredChannelTables
    do {
      messages = try StoredMessages(db)
      channels = try StoredChannelTables(db)
    } catch {
      FileHandle.standardError.write(Data("chatd: history: \(error)\n".utf8))
      return
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
          for (key, e) in appends { try messages.append(key, e) }
          try db.execute("COMMIT")
          written.add(appends.count, ordering: .relaxed)
          counters.written.wrappingAdd(appends.count, ordering: .relaxed)
        } catch {
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
        // After this batch's appends are committed: a search sees them.
        case .query(let request, let from):
          if case .search = request { searcher.enqueue(request, from) } else { from.reply(answer(request, messages, channels)) }
        }
      }
      if stopping { break }
    }
  }

  /// One request's answer, read on this thread.
  private func answer(_ request: HistoryStore.Request, _ messages: StoredMessages, _ channels: StoredChannelTables)
    -> HistoryStore.Reply
  {
    do {
      switch request {
      case .latest(let key, let limit):
        return .entries(try messages.answer(.latest(after: nil, limit: limit), channel: key))
      case .query(let key, let query):
        return .entries(try messages.answer(query, channel: key))
      case .lastMessageTimes(let keys):
        return .times(try messages.lastTimes(keys))
      case .flush:
        return .flushed
      case .channel(let key):
        return .channel(try channels.load(key))
      case .search:
        return .unavailable("the search could not be run")  // the searcher's (above)
      }
    } catch {
      FileHandle.standardError.write(Data("chatd: history: \(request.what): \(error)\n".utf8))
      if case .channel = request { return .channel(nil) }
      return .unavailable("the history database could not be read")
    }
  }
}
