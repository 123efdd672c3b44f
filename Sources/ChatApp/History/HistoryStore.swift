// The history store: every channel message goes to the store's archive — SQLite (a
// file in the data directory) by default, or a network's Redis streams
// (History/MessageArchive.swift says how one is chosen) — and what a channel is besides
// its messages — topic, modes, who held status (History/StoredChannels.swift), saved by
// its room after each change — goes to SQLite. The store itself only hands work on: no
// scheduler thread waits on the disk or on Redis. The SQLite writer thread
// (History/HistoryWriter.swift) commits in batches and answers queries through deferred
// replies; the Redis archive's process (History/RedisHistory.swift) does the same over
// the network. Both belong to the store's process and end with it, however it ends (as
// Erlang closes a port when its owner dies).
//
// What an ending costs: a normal stop (shutdown, or any exit `terminate` sees) waits for
// the writer, so nothing acknowledged is lost. A kill cannot wait: the writer still
// writes every append it was handed, answers every query it holds, then closes the
// database on its own; only the appends still in the store's mailbox at the kill (and
// those rooms send while no store is registered) miss the disk. They stay in the
// in-memory recent history, so clients joining before chatd restarts still get them.
//
// Counted for the metrics (`HistoryCounters`): the store's process counts each append it
// hands to its archive, the archive each one it writes or drops.
import Actors
import Foundation
import GenServer

struct HistoryStore: SyncGenServer {
  /// The database file; nil keeps nothing on disk (with the SQLite backend, queries
  /// then answer from nothing).
  let path: String?
  /// Where channel messages are kept.
  let backend: HistoryBackend
  /// What was handed to the archive and what came of it (the metrics' queue depth).
  let counters: HistoryCounters

  init(path: String?, backend: HistoryBackend = .sqlite, counters: HistoryCounters = HistoryCounters()) {
    self.path = path
    self.backend = backend
    self.counters = counters
  }

  enum Request: Sendable {
    /// The last `limit` messages of a channel (folded name), oldest first.
    case latest(channel: String, limit: Int)
    /// A CHATHISTORY query of a channel (folded name): its messages, oldest first.
    case query(channel: String, HistoryQuery)
    /// The time of the newest message of each channel (folded names) that has one
    /// (CHATHISTORY TARGETS).
    case lastMessageTimes(channels: [String])
    /// Waits until every message appended before has been written (tests, shutdown).
    case flush
    /// What is stored of a channel (folded name): its settings and statuses, if any.
    case channel(key: String)
    /// A SEARCH of a channel (folded name): the matching messages, oldest first.
    case search(channel: String, SearchQuery)

    /// What was asked, for log lines.
    var what: String {
      switch self {
      case .latest(let key, _), .query(let key, _): return "reading \(key)"
      case .search(let key, _): return "searching \(key)"
      case .lastMessageTimes: return "reading the channels' last messages"
      case .flush: return "flushing"
      case .channel(let key): return "loading channel \(key)"
      }
    }
  }

  enum Reply: Sendable {
    case entries([HistoryEntry])
    case flushed
    case channel(StoredChannel?)
    /// Folded channel name → Unix ms of its newest message.
    case times([String: Int64])
    /// The archive cannot answer now: why, in words a client may be shown.
    case unavailable(String)
  }

  enum Cast: Sendable {
    case append(key: String, HistoryEntry)
    /// Replaces what is stored of a channel (its room, after a change).
    case saveChannel(key: String, StoredChannel)
    /// The channel ended (its last member left): nothing of it is restored.
    case forgetChannel(key: String)
  }

  struct State {
    /// The SQLite side: channels, and messages too with the SQLite backend.
    let writer: HistoryWriter?
    /// Where messages go (the writer itself, or the Redis archive); nil: nowhere.
    let archive: (any MessageArchive)?
    /// The Redis archive's process, watched: if it ends, the store ends too (and its
    /// supervisor starts both again).
    var archiveMonitor: Ref?
  }

  func initialize(_ ctx: ServerContext<Self>) throws -> InitResult<Self> {
    var writer: HistoryWriter?
    if let path {
      // Trap exits, so that a shutdown runs `terminate`, which waits for the writer to
      // write what is queued (its lingering batch included) and close the database.
      ctx.trapExit = true
      do {
        let directory = URL(fileURLWithPath: path).deletingLastPathComponent().path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        writer = try HistoryWriter(path: path, counters: counters)
      } catch {
        return .stop(.error(HistoryOpenError(path: path, reason: (error as? SQLiteError)?.message ?? "\(error)")))
      }
      // The database's memory is out of the runtime's sight: say where it is (observer).
      ctx.reportMemory("history store", counted: "SQLite's allocations: page cache, schema, statements (sqlite3_memory_used)") {
        SQLiteDatabase.memoryInUse
      }
    }
    var state: State
    switch backend {
    case .sqlite:
      state = State(writer: writer, archive: writer)
    case .redis(let options):
      ctx.trapExit = true
      let archive = RedisHistory(options, counters: counters, node: ctx.node)
      state = State(writer: writer, archive: archive, archiveMonitor: ctx.monitor(archive.pid))
    }
    // A kill skips `terminate`; an exit hook runs however the process ends, so neither
    // the writer nor the archive outlives its owner (each restart would otherwise leave
    // a thread and the database's descriptors behind). It only asks: a scheduler thread
    // must not wait, and after a kill nobody is left to wait for.
    let (w, a) = (state.writer, state.archive)
    ctx.onExit { _ in
      w?.finish()
      a?.finish()
    }
    return .ok(state)
  }

  func handleCall(_ request: Request, from: From<Reply>, state: inout State, _ ctx: ServerContext<Self>) throws -> CallResult<Self> {
    switch request {
    case .channel:
      guard let writer = state.writer else { return .reply(.channel(nil)) }
      writer.enqueue(.query(request, from))
    case .latest, .query, .lastMessageTimes, .flush, .search:
      guard let archive = state.archive else {
        switch request {
        case .flush: return .reply(.flushed)
        case .lastMessageTimes: return .reply(.times([:]))
        default: return .reply(.entries([]))
        }
      }
      archive.answer(request, from)
    }
    return .noreply()
  }

  func handleCast(_ message: Cast, state: inout State, _ ctx: ServerContext<Self>) throws -> HandleResult<Self> {
    switch message {
    case .append(let key, let entry):
      if let archive = state.archive {
        counters.handed.wrappingAdd(1, ordering: .relaxed)
        archive.append(key, entry)
      }
    case .saveChannel(let key, let channel): state.writer?.enqueue(.channel(key, channel))
    case .forgetChannel(let key): state.writer?.enqueue(.channel(key, nil))
    }
    return .noreply()
  }

  func handleInfo(_ message: Message<Never>, state: inout State, _ ctx: ServerContext<Self>) throws -> HandleResult<Self> {
    if case .down(let ref, _, let reason) = message, ref == state.archiveMonitor {
      return .stop(.error(HistoryArchiveEnded(reason: reason)))
    }
    return .noreply()
  }

  func terminate(_ reason: ExitReason, state: inout State, _ ctx: ServerContext<Self>) {
    if let archive = state.archive, archive !== state.writer { archive.stop() }
    state.writer?.stop()
  }

  func formatStatus(_ state: State) -> String {
    guard let archive = state.archive else { return "in memory only" }
    guard let writer = state.writer, archive !== writer else { return archive.status }
    return "\(archive.status); channels in \(writer.status)"
  }
}

/// The store's Redis archive process ended (it should not, short of a crash): the store
/// stops with it and both start again.
struct HistoryArchiveEnded: Error, CustomStringConvertible {
  let reason: ExitReason
  var description: String { "the history's Redis archive ended (\(reason))" }
}

/// Why the store did not start: its database could not be opened or set up.
struct HistoryOpenError: Error, CustomStringConvertible {
  let path: String
  /// SQLite's (or the file system's) words.
  let reason: String
  var description: String { "history database \(path): \(reason)" }
}
