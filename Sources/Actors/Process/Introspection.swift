// Process and node introspection (Erlang's process_info / processes / statistics).
//
// Nothing here waits for a process or a scheduler: a snapshot reads atomics and takes
// each process's own lock for the few instructions it takes to copy its tables, so the
// observer can look at a node of 100,000 processes while it runs.
import COtterSys

/// What a process is doing, in Erlang's terms.
public enum ProcessStatus: String, Sendable, Codable {
  /// Waiting for a message (idle at its top-level receive, or suspended in `receive`).
  case waiting
  /// In a run queue.
  case runnable
  /// Being executed by a scheduler.
  case running
  /// Suspended waiting for a reply to a request it made.
  case waitingForReply = "waiting_reply"
  /// Suspended in `sleep`.
  case sleeping
  /// Exited.
  case exited
}

/// A snapshot of one process (Erlang's `process_info/1`).
public struct ProcessSnapshot: Sendable {
  public let pid: Pid
  public let status: ProcessStatus
  /// Messages not yet handled: queued, plus taken from the queue but not yet handled.
  public let messageQueueLength: Int
  /// Messages handled plus receives done.
  public let reductions: UInt64
  public let links: [Pid]
  /// Monitors this process holds (it is told when these end).
  public let monitors: [Pid]
  /// Processes monitoring this one.
  public let monitoredBy: [Pid]
  public let registeredName: String?
  public let label: String?
  public let parent: Pid?
  public let trapExit: Bool
  /// Estimated bytes: the process object, its mailbox storage, its tables and state.
  public let memory: Int
  /// `memory` part by part.
  public let memoryParts: ProcessMemory
  /// The Swift type of the messages it takes.
  public let messageType: String
  /// "handler" or "body".
  public let kind: String
  /// Sockets owned.
  public let sockets: Int
  /// Bytes read from and written to the sockets it owns now (each socket's counters
  /// since it was opened, whoever owned it then).
  public let io: ProcessIO
  /// Seconds since it was spawned.
  public let age: Double
  /// The reason it exited, once it has.
  public let exitReason: ExitReason?
}

/// A process's memory, as `ProcessSnapshot.memory` estimates it.
public struct ProcessMemory: Sendable, Equatable {
  /// The process object: what the allocator gave it, a handler's state included (the
  /// state lives inline in the object).
  public let object: Int
  /// Of `object`, the state value's inline size (what it points to is not followed).
  public let state: Int
  /// The mailbox's ring buffers and the messages taken but not handled yet.
  public let mailbox: Int
  /// Link, monitor, timer and pending-reply tables beyond their inline first entry.
  public let tables: Int

  /// All of it (`state` is inside `object`).
  public var total: Int { object + mailbox + tables }
}

/// Bytes through the sockets a process owns.
public struct ProcessIO: Sendable, Equatable {
  /// Sockets owned.
  public let sockets: Int
  public let bytesIn: UInt64
  public let bytesOut: UInt64

  static let none = ProcessIO(sockets: 0, bytesIn: 0, bytesOut: 0)
}

/// The figures a process is ranked by (the observer's top view): read with atomics and
/// one brief hold of the process's lock, allocating nothing, so that every process of a
/// large node can be ranked each second. `ProcessSnapshot` has the rest.
public struct ProcessCounters: Sendable {
  public let pid: Pid
  public let status: ProcessStatus
  /// As `ProcessSnapshot.messageQueueLength`.
  public let messageQueueLength: Int
  public let reductions: UInt64
  /// As `ProcessSnapshot.memory`.
  public let memory: Int
  /// The process that spawned it.
  public let parent: Pid?
}

/// What processes are ranked by (`Node.processSamples`).
public enum ProcessFigure: Sendable {
  case reductions
  case messageQueueLength
  case memory
}

/// One process's figures for ranking: its reductions always, and the figure asked for.
/// Plain numbers (no reference to the process): `Node.process(_:)` finds it again.
public struct ProcessSample: Sendable {
  /// The pid's number (`Pid.id`).
  public let id: UInt64
  /// Where the process sat in the table (makes finding it again one look).
  let slot: Int32
  public let reductions: UInt64
  /// The figure asked for (the reductions again when that is what was asked).
  public let value: UInt64
}

/// A process in brief: its counters and what it is called, without the tables
/// (links, monitors) that `ProcessSnapshot` copies — a supervisor of 100,000 children
/// has 100,000 links.
public struct ProcessSummary: Sendable {
  public let counters: ProcessCounters
  public let registeredName: String?
  public let label: String?
  /// The Swift type of the messages it takes.
  public let messageType: String
  /// "handler" or "body".
  public let kind: String
  /// Bytes through the sockets it owns.
  public let io: ProcessIO
}

/// A snapshot of one scheduler.
public struct SchedulerStats: Sendable {
  public let index: Int
  /// Processes waiting in its run queue.
  public let runQueueLength: Int
  /// Nanoseconds spent working (not sleeping in epoll) since the node started.
  public let busyNanoseconds: UInt64
  /// Process slices run.
  public let dispatches: UInt64
  /// Swift jobs run (resumed process Tasks).
  public let jobs: UInt64
  /// Dispatcher Tasks alive.
  public let dispatcherTasks: Int
  /// Timers pending.
  public let timers: Int
  /// I/O events handled.
  public let ioEvents: UInt64
  /// Sockets registered with its epoll.
  public let ioSources: Int
}

/// A snapshot of a node.
public struct NodeStats: Sendable {
  public let name: String
  public let uptime: Double
  public let processCount: Int
  /// Processes spawned since start.
  public let processesSpawned: UInt64
  public let schedulers: [SchedulerStats]
  /// Resident set size of the OS process.
  public let residentBytes: UInt64
  /// Bytes held by the C allocator.
  public let mallocBytes: UInt64
  public let fileDescriptorLimit: Int
  /// Names registered.
  public let registeredNames: Int
  /// Reductions (messages handled plus receives) of every process since the node
  /// started, exited ones included: its difference over an interval is the node's
  /// message rate.
  public let reductions: UInt64
  /// Sockets open (listeners included).
  public let openSockets: Int
}

extension ProcessCore {
  /// Builds this process's info. Takes the process lock briefly; never blocks on the
  /// process itself.
  func info(now: UInt64) -> ProcessSnapshot {
    let (state, wait, inboundCount, links, monitors, monitoredBy, name, label, trap, reason, sockets, extraBytes) =
      lock.withLock {
        (
          runState, waitKind, inboundCountLocked - inboundSignals, self.links.elements, self.monitors.values,
          self.monitoredBy.values, registeredName, self.label, trapExit, exitReason, ownedSockets.elements,
          tableBytesLocked
        )
      }
    let parts = memoryParts(extraBytes)
    return ProcessSnapshot(
      pid: Pid(self), status: ProcessCore.status(state, wait),
      messageQueueLength: inboundCount + privateQueueLength.load(ordering: .relaxed),
      reductions: reductions.load(ordering: .relaxed),
      links: links.sorted(), monitors: monitors.map(Pid.init).sorted(),
      monitoredBy: monitoredBy.map(Pid.init).sorted(),
      registeredName: name, label: label.resolved, parent: parent, trapExit: trap, memory: parts.total, memoryParts: parts,
      messageType: messageTypeName, kind: kindName, sockets: sockets.count, io: ProcessCore.traffic(sockets),
      age: Double(now &- createdAt) / 1e9, exitReason: reason)
  }

  /// This process's counters: no tables copied.
  func counters() -> ProcessCounters {
    let (state, wait, inboundCount, extraBytes) = lock.withLock {
      (runState, waitKind, inboundCountLocked - inboundSignals, tableBytesLocked)
    }
    return ProcessCounters(
      pid: Pid(self), status: ProcessCore.status(state, wait),
      messageQueueLength: inboundCount + privateQueueLength.load(ordering: .relaxed),
      reductions: reductions.load(ordering: .relaxed), memory: memory(extraBytes), parent: parent)
  }

  /// Messages waiting (signals not counted), with one brief hold of the lock.
  var messageQueueLength: Int {
    let inbound = lock.withLock { inboundCountLocked - inboundSignals }
    return inbound + privateQueueLength.load(ordering: .relaxed)
  }

  /// This process in brief: no tables copied.
  func summary() -> ProcessSummary {
    let (name, label, sockets) = lock.withLock { (registeredName, self.label, ownedSockets.isEmpty ? [] : ownedSockets.elements) }
    return ProcessSummary(
      counters: counters(), registeredName: name, label: label.resolved, messageType: messageTypeName, kind: kindName,
      io: ProcessCore.traffic(sockets))
  }

  /// What went through `sockets` (read outside the process's lock: lock order is socket,
  /// then process, and the counters are atomics anyway).
  static func traffic(_ sockets: [Socket]) -> ProcessIO {
    guard !sockets.isEmpty else { return .none }
    var bytesIn: UInt64 = 0
    var bytesOut: UInt64 = 0
    for s in sockets {
      bytesIn &+= s.bytesIn.load(ordering: .relaxed)
      bytesOut &+= s.bytesOut.load(ordering: .relaxed)
    }
    return ProcessIO(sockets: sockets.count, bytesIn: bytesIn, bytesOut: bytesOut)
  }

  /// Estimated bytes of the link, monitor, timer and reply tables (lock held). A link
  /// or monitor table's first entry is held inline (no extra bytes).
  private var tableBytesLocked: Int {
    func heap(_ n: Int, _ each: Int) -> Int { n > 1 ? n * each : 0 }
    return heap(links.count, 16) + heap(monitors.count, 32) + heap(monitoredBy.count, 32) + timers.count * 96
      + pendingReplies.count * 8
  }

  private func memory(_ tableBytes: Int) -> Int { memoryParts(tableBytes).total }

  private func memoryParts(_ tableBytes: Int) -> ProcessMemory {
    let objectBytes = Int(otter_malloc_usable_size(Unmanaged.passUnretained(self).toOpaque()))
    return ProcessMemory(object: objectBytes, state: stateBytes(), mailbox: mailboxBytes(), tables: tableBytes)
  }

  private static func status(_ state: RunState, _ wait: WaitKind) -> ProcessStatus {
    switch state {
    case .idle: return .waiting
    case .scheduled: return .runnable
    case .running: return .running
    case .waiting:
      switch wait {
      case .messages: return .waiting
      case .reply: return .waitingForReply
      case .signals: return .sleeping
      }
    case .dead: return .exited
    }
  }
}

extension Node {
  /// Info of one process; nil if it has exited (Erlang's `process_info/1`).
  public func processInfo(_ pid: Pid) -> ProcessSnapshot? {
    let info = pid.core.info(now: monotonicNanos())
    return info.status == .exited ? nil : info
  }

  /// One process in brief (no link or monitor tables copied); nil if it has exited.
  public func processSummary(_ pid: Pid) -> ProcessSummary? {
    let summary = pid.core.summary()
    return summary.counters.status == .exited ? nil : summary
  }

  /// All live processes.
  public func processes() -> [Pid] { table.all().map(Pid.init).sorted() }

  /// Number of live processes.
  public var processCount: Int { table.count }

  /// Info of every live process. Cost grows with the number of processes, but no
  /// process or scheduler is stopped for it.
  public func snapshot() -> [ProcessSnapshot] {
    let now = monotonicNanos()
    return table.all().map { $0.info(now: now) }.filter { $0.status != .exited }
  }

  /// Every live process with its reductions and `figure`, read as cheaply as each can
  /// be: reductions are one atomic load (no lock), queue lengths take the process's lock
  /// briefly, memory also asks the allocator. For ranking every process of a large node
  /// each second without stopping anyone; a process that exits meanwhile may still be
  /// listed.
  public func processSamples(_ figure: ProcessFigure) -> [ProcessSample] {
    var out: [ProcessSample] = []
    out.reserveCapacity(table.count + 64)
    if figure == .reductions {
      // Atomics only: read in place, under each shard's lock in turn.
      table.forEach { p, slot in
        let r = p.reductions.load(ordering: .relaxed)
        out.append(ProcessSample(id: p.id, slot: slot, reductions: r, value: r))
      }
      return out
    }
    // These take each process's lock: copy the table first, then read outside its locks.
    var cores: [(ProcessCore, Int32)] = []
    cores.reserveCapacity(table.count + 64)
    table.forEach { p, slot in cores.append((p, slot)) }
    for (p, slot) in cores {
      let reductions = p.reductions.load(ordering: .relaxed)
      let value = figure == .memory ? p.counters().memory : p.messageQueueLength
      out.append(ProcessSample(id: p.id, slot: slot, reductions: reductions, value: UInt64(max(0, value))))
    }
    return out
  }

  /// The process a sample was taken of, if it is still alive.
  public func process(_ sample: ProcessSample) -> Pid? {
    guard let core = table.find(id: sample.id, slot: sample.slot), core.isAlive else { return nil }
    return Pid(core)
  }

  /// The counters of every live process (what the observer ranks its top view by).
  /// Cheaper than `snapshot()`: nothing is copied out of a process but numbers.
  public func processCounters() -> [ProcessCounters] {
    table.all().map { $0.counters() }.filter { $0.status != .exited }
  }

  /// The live process numbered `id` (the middle number of `<0.id.0>`), if any.
  public func pid(id: UInt64) -> Pid? {
    guard let core = table.find(id: id), core.isAlive else { return nil }
    return Pid(core)
  }

  /// Node-wide figures.
  public func stats() -> NodeStats {
    NodeStats(
      name: name, uptime: Double(monotonicNanos() &- startedAt) / 1e9, processCount: table.count,
      processesSpawned: table.spawned.load(ordering: .relaxed),
      schedulers: schedulers.map { s in
        SchedulerStats(
          index: s.index, runQueueLength: s.load.load(ordering: .relaxed),
          busyNanoseconds: s.busyNanos.load(ordering: .relaxed),
          dispatches: s.dispatches.load(ordering: .relaxed), jobs: s.jobsRun.load(ordering: .relaxed),
          dispatcherTasks: s.dispatcherTasks.load(ordering: .relaxed), timers: s.timers.count,
          ioEvents: s.ioEvents.load(ordering: .relaxed), ioSources: s.ioSourceCount.load(ordering: .relaxed))
      },
      residentBytes: otter_rss_bytes(), mallocBytes: otter_malloc_in_use(),
      fileDescriptorLimit: fileDescriptorLimit, registeredNames: registry.all().count,
      reductions: table.totalReductions(), openSockets: openSockets().count)
  }
}

extension Node {
  /// Asks `pid` to describe its state (Erlang's `sys:get_status`): the process answers
  /// itself when it next reads its mailbox, so a busy process answers late and a process
  /// stuck in a long computation not at all — hence the timeout. Returns nil if the
  /// process keeps no description (only handler processes spawned with `describe:` do).
  /// Throws `CallError.noproc` for a dead process, `.timeout` if it does not answer.
  public func describeState(of pid: Pid, timeout: Duration = .seconds(5)) async throws(CallError) -> String? {
    let cell = ReplyCell<String?>(waiter: nil)
    guard pid.core.pushSignal(.describe(cell)) else { throw .noproc }
    await cell.waitExternally(timeoutNanos: timeout.clampedNanoseconds, node: self)
    switch cell.outcome {
    case .success(let text)?: return text
    case .failure(let e)?: throw e
    case nil: throw .timeout
    }
  }
}

extension Node {
  /// Every open socket (the observer's network view).
  public func sockets() -> [SocketInfo] {
    openSockets().map { $0.info() }.sorted { $0.id < $1.id }
  }

  /// The open sockets, gathered from the processes that own them: every socket has an
  /// owner from its creation, and its owner's exit closes it, so no node-wide table is
  /// kept (it cost every connection a slot and every accept and close a global lock).
  func openSockets() -> [Socket] {
    var out: [Socket] = []
    for p in table.all() {
      // The process's lock only while copying its list: `isOpen` takes the socket's
      // lock, which must not be taken inside a process's (lock order: socket, process).
      let owned = p.lock.withLock { p.ownedSockets.elements }
      out.append(contentsOf: owned)
    }
    return out.filter(\.isOpen)
  }
}
