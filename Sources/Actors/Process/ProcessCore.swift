// The part of a process that does not depend on its message type: identity, run state,
// links, monitors, trap_exit, name, and the exit path. `Process<M>` adds the typed mailbox.
//
// Concurrency: fields marked "lock" are read and written under `lock`. Fields marked
// "owner" are touched only by the process itself while it runs (one thread at a time; the
// hand-over between threads goes through the scheduler's queues, which synchronise, and
// through `lock`: a process that goes idle or waits publishes `.idle`/`.waiting` under it,
// and the thread that did so must not touch owner fields afterwards — the next sender may
// already have it running elsewhere; see `Process.refill(goIdle:beforeIdle:)`).
// The link and monitor tables are written by the owner under `lock` and read by the owner
// without it, so introspection from other threads can take `lock` and read them safely.
import COtterSys
import Synchronization

@usableFromInline
enum RunState: UInt8, Sendable {
  /// Waiting at its top-level receive with an empty mailbox; in no queue.
  case idle
  /// In a run queue.
  case scheduled
  /// Being executed by a scheduler.
  case running
  /// Suspended inside async code (a receive, a call, a sleep) with a continuation.
  case waiting
  /// Exited.
  case dead
}

/// What may wake a process suspended in `waiting`.
@usableFromInline
enum WaitKind: UInt8, Sendable {
  /// Any message or signal (receive).
  case messages
  /// Signals or a reply to a pending request (call).
  case reply
  /// Signals only (sleep).
  case signals
}

@usableFromInline
enum WakeReason: UInt8, Sendable {
  case arrival
  case timeout
  case reply
}

/// How one run of a process on a scheduler ended.
@usableFromInline
enum RunOutcome: Sendable {
  /// It has nothing more to do and went idle.
  case idle
  /// It used its budget and still has work: put it back at the end of the run queue.
  case requeue
  /// It exited.
  case exited
}

/// How the scheduler runs one slice of a process: directly on the scheduler thread for
/// processes whose code never suspends (synchronous handlers), or inside a dispatcher
/// Task for those that may.
@usableFromInline
enum ProcessRunner: Sendable {
  @usableFromInline typealias Sync = @Sendable (ProcessCore, Int) -> RunOutcome
  @usableFromInline typealias Async = nonisolated(nonsending) @Sendable (ProcessCore, Int) async -> RunOutcome
  case sync(Sync)
  case async(Async)
}

/// Operations on a process that depend on its message and state types. Each concrete
/// process class passes a closure that performs them, written in its inlinable
/// initializer, so the closure is compiled specialised for the spawn site's types: a
/// vtable that is never generic at run time (an overridden method of a generic class
/// would run unspecialised, looking type metadata up on every call).
@usableFromInline
enum ControlOp: Sendable {
  /// Append a signal to the mailbox; answers `.accepted(false)` if the process is dead.
  /// `urgent`: a timer or I/O wake-up (see `Scheduler.enqueueLocal`).
  case pushSignal(Signal, urgent: Bool)
  /// At exit: empty the mailbox, answering the signals that were in it.
  case drainAtExit
  /// At exit: drop the body, handler and state.
  case release
  /// Describe the state (owner only); `.text(nil)` if the process has no describer.
  case describe
  /// The first messages waiting, described (any thread; see MailboxPeek.swift).
  case peek(limit: Int)
}

@usableFromInline
enum ControlResult: Sendable {
  case accepted(Bool)
  case signals([Signal])
  case text(String?)
  case mailbox(MailboxPeek)
  case done
}

/// The untyped core of a process. Not used directly: see `Pid`, `Address` and `Context`.
///
/// `@unchecked Sendable`: every mutable field is either guarded by `lock` or owned by the
/// process while it runs, as documented per field; pids to it are shared across threads.
public class ProcessCore: @unchecked Sendable {
  /// Process number, unique for the node's lifetime.
  public let id: UInt64
  @usableFromInline final let node: Node
  /// Runs one slice of this process: handlers for up to `budget` messages, or the body.
  @usableFromInline final let runner: ProcessRunner
  @usableFromInline final let control: @Sendable (ProcessCore, ControlOp) -> ControlResult
  final let parent: Pid?
  final let createdAt: UInt64

  @usableFromInline final let lock = Lock()
  // lock
  @exclusivity(unchecked) @usableFromInline final var runState: RunState
  @exclusivity(unchecked) @usableFromInline final var waitKind: WaitKind = .messages
  @exclusivity(unchecked) @usableFromInline final var waitGeneration: UInt64 = 0
  @exclusivity(unchecked) @usableFromInline final var continuation: UnsafeContinuation<WakeReason, Never>?
  @exclusivity(unchecked) @usableFromInline final var inboundSignals = 0
  @exclusivity(unchecked) @usableFromInline final var exitReason: ExitReason?
  @exclusivity(unchecked) final var timers: [ObjectIdentifier: TimerEntry] = [:]
  @exclusivity(unchecked) @usableFromInline final var pendingReplies: [AnyReplyCell] = []
  @exclusivity(unchecked) @usableFromInline final var pendingRepliesLimit = 32
  // written by the owner under lock, read by the owner freely
  // (first entry inline: see SmallTables.swift)
  @exclusivity(unchecked) final var links: PidSet = .empty
  @exclusivity(unchecked) final var monitors: RefTable = .empty
  @exclusivity(unchecked) final var monitoredBy: RefTable = .empty
  /// Before `trapExit`: its 17 bytes and that one byte share a 24-byte slot.
  @exclusivity(unchecked) final var label: ProcessLabel = .none
  @exclusivity(unchecked) @usableFromInline final var trapExit = false
  @exclusivity(unchecked) final var registeredName: String?  // also guarded by the registry's lock
  /// Sockets this process owns; each knows its index here (`Socket.ownerSlot`).
  @exclusivity(unchecked) final var ownedSockets: SocketList = .empty
  final var socketCount: Int { ownedSockets.count }
  // the process table's shard lock
  @exclusivity(unchecked) final var tableSlot: Int32 = -1
  // owner
  @exclusivity(unchecked) @usableFromInline final unowned(unsafe) var home: Scheduler
  /// Runs on `home` only (`SpawnOptions.scheduler`); set before the process is published.
  @exclusivity(unchecked) @usableFromInline final var bound = false
  @exclusivity(unchecked) @usableFromInline final var idleGeneration: UInt64 = 0
  /// The timer used for receive and reply timeouts, reused from wait to wait while each
  /// wait ends by cancelling it (owner).
  @exclusivity(unchecked) @usableFromInline final var waitTimer: TimerEntry?
  @exclusivity(unchecked) @usableFromInline final var slice = 0
  @exclusivity(unchecked) final var exitHooks: ExitHookList = .empty
  /// The number the next exit hook gets (owner).
  @exclusivity(unchecked) final var nextExitHookID: UInt32 = 0
  @exclusivity(unchecked) final var completion: (@Sendable (ExitReason) -> Void)?
  /// Reductions: messages handled plus receives. Written by the owner, read by anyone.
  @usableFromInline final let reductions = Atomic<UInt64>(0)
  /// Messages already taken from `inbound` but not yet handled (owner writes, anyone reads).
  @usableFromInline final let privateQueueLength = Atomic<Int>(0)

  @usableFromInline
  init(
    node: Node, parent: Pid?, home: Scheduler, startsRunnable: Bool,
    runner: ProcessRunner, control: @escaping @Sendable (ProcessCore, ControlOp) -> ControlResult, id: UInt64? = nil
  ) {
    self.id = id ?? node.nextProcessID()
    self.node = node
    self.parent = parent
    self.home = home
    self.runner = runner
    self.control = control
    self.runState = startsRunnable ? .scheduled : .idle
    self.createdAt = otter_coarse_monotonic_ns()
  }

  // MARK: - Typed operations (see ControlOp)

  /// Appends a signal to the mailbox; false if the process is dead.
  @inlinable @discardableResult
  final func pushSignal(_ signal: Signal, urgent: Bool = false) -> Bool {
    if case .accepted(let ok) = control(self, .pushSignal(signal, urgent: urgent)) { return ok }
    return false
  }

  /// Takes every not-yet-handled entry out of the mailbox at exit and returns the signals
  /// among them (the messages are dropped). Called by the owner after `runState = .dead`.
  final func drainAtExit() -> [Signal] {
    if case .signals(let s) = control(self, .drainAtExit) { return s }
    return []
  }

  /// Number of entries in `inbound` (call with `lock` held). Introspection only.
  @usableFromInline var inboundCountLocked: Int { 0 }

  /// The Swift type of the messages the process takes (introspection).
  var messageTypeName: String { "-" }
  /// "handler", "body" or "system".
  var kindName: String { "system" }

  /// Approximate heap bytes held by the mailbox.
  func mailboxBytes() -> Int { 0 }
  /// The state's inline size: part of the object's own allocation, not more.
  func stateBytes() -> Int { 0 }

  // MARK: - State

  /// A snapshot of whether the process is alive (for a process of another node: whether
  /// its node is connected, as far as this one knows).
  public var isAlive: Bool {
    if _slowPath(isRemote) { return remoteIdentity?.isReachable ?? false }
    return lock.withLock { runState != .dead }
  }

  /// The bit of `id` that marks a proxy for a process of another node (see
  /// RemoteProcess.swift). Local ids never reach it.
  @usableFromInline static let remoteBit: UInt64 = 1 << 63

  /// Whether this is a proxy for a process of another node: one test on a field the
  /// send path reads anyway.
  @inlinable final var isRemote: Bool { id & ProcessCore.remoteBit != 0 }

  /// Where the process behind a proxy lives; nil for a local process.
  var remoteIdentity: RemoteIdentity? { nil }

  @inlinable var pid: Pid { Pid(self) }

  @inlinable func addReductions(_ n: Int) {
    reductions.store(reductions.load(ordering: .relaxed) &+ UInt64(n), ordering: .relaxed)
  }

  // MARK: - Scheduling

  /// Puts this process (just made `scheduled`) on a run queue: the current thread's
  /// scheduler when called from one of this node's scheduler threads, else its home's.
  @usableFromInline func enqueueRunnable(urgent: Bool = false) {
    if let current = Scheduler.current, current.node === node, !bound || current === home {
      current.enqueueLocal(self, urgent: urgent)
    } else {
      home.enqueueRemote(self)
    }
  }

  /// Wakes the process if it waits for a reply (a request it made was answered).
  @usableFromInline func wakeForReply() {
    let wake = lock.withLock { runState == .waiting && waitKind == .reply ? takeWaiterLocked() : .none }
    perform(wake, reason: .reply)
  }

  /// Wakes the process if it still waits in the wait numbered `generation` (a receive timeout).
  func wakeForTimeout(generation: UInt64) {
    let wake = lock.withLock { runState == .waiting && waitGeneration == generation ? takeWaiterLocked() : .none }
    perform(wake, reason: .timeout)
  }

  // MARK: - Signals (applied by the owner)

  /// Applies one signal taken from the mailbox. May terminate the process.
  @usableFromInline func handleSignal(_ signal: Signal) -> SignalEffect {
    switch signal {
    case .link(let from):
      _ = lock.withLock { links.insert(Pid(from)) }
      return .none
    case .unlink(let from):
      _ = lock.withLock { links.remove(Pid(from)) }
      return .none
    case .exit(let from, let reason, let linked):
      if linked {
        let wasLinked = lock.withLock { links.remove(Pid(from)) }
        if !wasLinked { return .none }
      }
      if !linked, case .kill = reason {
        terminate(.killed)
        return .terminated
      }
      if trapExit { return .exitMessage(Pid(from), reason) }
      if case .normal = reason {
        if from === self {
          terminate(.normal)
          return .terminated
        }
        return .none
      }
      terminate(reason)
      return .terminated
    case .monitor(let ref, let watcher):
      lock.withLock { monitoredBy[ref] = watcher }
      return .none
    case .demonitor(let ref):
      _ = lock.withLock { monitoredBy.removeValue(forKey: ref) }
      return .none
    case .down(let ref, let of, let reason):
      let active = lock.withLock { monitors.removeValue(forKey: ref) != nil }
      return active ? .downMessage(ref, Pid(of), reason) : .none
    case .idleTimeout(let generation):
      return generation == idleGeneration ? .timeoutMessage : .none
    case .io(let socket, let event):
      return .ioMessage(socket, event)
    case .describe(let cell):
      if case .text(let text) = control(self, .describe) {
        cell.fulfill(text)
      } else {
        cell.fulfill(nil)
      }
      return .none
    }
  }

  // MARK: - Links and monitors (called by the owner)

  @usableFromInline func link(_ other: ProcessCore) {
    if other === self { return }
    let inserted = lock.withLock { links.insert(Pid(other)) }
    guard inserted else { return }
    if !other.pushSignal(.link(self)) {
      // Linking to a dead process: an exit signal `noproc` comes back, in order.
      pushSignal(.exit(from: other, reason: .noproc, linked: true))
    }
  }

  @usableFromInline func unlink(_ other: ProcessCore) {
    let removed = lock.withLock { links.remove(Pid(other)) }
    if removed { other.pushSignal(.unlink(self)) }
  }

  @usableFromInline func monitor(_ other: ProcessCore) -> Ref {
    let ref = node.makeRef()
    lock.withLock { monitors[ref] = other }
    if !other.pushSignal(.monitor(ref, watcher: self)) {
      pushSignal(.down(ref, of: other, reason: .noproc))
    }
    return ref
  }

  /// Removes a monitor; true if it was active (no DOWN had been taken for it).
  @usableFromInline func demonitor(_ ref: Ref) -> Bool {
    guard let target = lock.withLock({ monitors.removeValue(forKey: ref) }) else { return false }
    target.pushSignal(.demonitor(ref))
    return true
  }

  /// Sends an explicit exit signal (`exit(pid, reason)`) to `target`.
  @usableFromInline static func sendExit(to target: ProcessCore, from: ProcessCore, reason: ExitReason) {
    target.pushSignal(.exit(from: from, reason: reason, linked: false))
  }

  // MARK: - Exit path

  /// Ends the process: runs on the process's own thread, once. In order: the mailbox
  /// closes (sends are dropped from now on), the registered name is released, then exit
  /// signals go to links and DOWN messages to monitors, timers are cancelled, pending
  /// requests fail, exit hooks run (sockets close) and the process leaves the table.
  @usableFromInline func terminate(_ reason: ExitReason) {
    var timersToCancel: [TimerEntry] = []
    var replies: [AnyReplyCell] = []
    var named = false
    var myLinks: PidSet = .empty
    var watchers: RefTable = .empty
    var watched: RefTable = .empty
    var sockets: SocketList = .empty
    var labelSource: ProcessLabel = .none
    let alreadyDead: Bool = lock.withLock {
      if runState == .dead { return true }
      runState = .dead
      exitReason = reason
      // Emptied even when they hold nothing: their storage would stay with the dead core.
      if !timers.isEmpty { timersToCancel = Array(timers.values) }
      timers = [:]
      swap(&replies, &pendingReplies)
      named = registeredName != nil
      if !links.isEmpty { swap(&myLinks, &links) }
      if !monitoredBy.isEmpty { swap(&watchers, &monitoredBy) }
      if !monitors.isEmpty { swap(&watched, &monitors) }
      if !ownedSockets.isEmpty {
        swap(&sockets, &ownedSockets)
      }
      // A computed label's source may hold this process's pid: let it go (released
      // below, outside the lock, as its deinit may take locks of its own).
      if case .computed = label { swap(&labelSource, &label) }
      return false
    }
    if alreadyDead { return }
    let leftover = drainAtExit()
    // The name goes first: a restarted process may take it as soon as anyone hears of
    // this exit.
    if named { node.registry.releaseName(of: self) }
    for linked in myLinks.elements {
      linked.core.pushSignal(.exit(from: self, reason: reason, linked: true))
    }
    for (ref, watcher) in watchers.entries {
      watcher.pushSignal(.down(ref, of: self, reason: reason))
    }
    for (ref, target) in watched.entries {
      target.pushSignal(.demonitor(ref))
    }
    // Link and monitor requests that arrived but were never applied still get answered.
    for signal in leftover {
      switch signal {
      case .link(let from): from.pushSignal(.exit(from: self, reason: reason, linked: true))
      case .monitor(let ref, let watcher): watcher.pushSignal(.down(ref, of: self, reason: reason))
      case .describe(let cell): cell.fail(.serverExited(reason))
      default: break
      }
    }
    for timer in timersToCancel { timer.cancel() }
    // Sockets die with their owner.
    for socket in sockets.elements { socket.close() }
    for cell in replies { cell.fail(.serverExited(reason)) }
    if !exitHooks.isEmpty {
      let hooks = exitHooks.hooks
      exitHooks = .empty
      for hook in hooks.reversed() { hook(reason) }
    }
    node.table.remove(self)
    // The wait timer kept for the next receive or call names this process in its action:
    // held here, it would make the process its own owner for ever.
    waitTimer = nil
    _ = control(self, .release)
    if let done = completion {
      completion = nil
      done(reason)
    }
  }

  // MARK: - Sockets owned by this process

  /// Records a socket this process now owns; false if the process is dead (the caller
  /// then closes it).
  @discardableResult
  func adopt(_ socket: Socket) -> Bool {
    lock.withLock {
      if runState == .dead { return false }
      socket.ownerSlot.store(Int32(ownedSockets.count), ordering: .relaxed)
      ownedSockets.append(socket)
      return true
    }
  }

  func disown(_ socket: Socket) {
    lock.withLock {
      let i = Int(socket.ownerSlot.load(ordering: .relaxed))
      guard i >= 0, i < ownedSockets.count, ownedSockets[i] === socket else { return }
      let last = ownedSockets.removeLast()
      if i < ownedSockets.count {
        ownedSockets[i] = last
        last.ownerSlot.store(Int32(i), ordering: .relaxed)
      }
      socket.ownerSlot.store(-1, ordering: .relaxed)
    }
  }

  // MARK: - Timers aimed at this process

  /// Records a timer that must be cancelled if this process exits; false if it is dead.
  func attachTimer(_ timer: TimerEntry) -> Bool {
    lock.withLock {
      if runState == .dead { return false }
      // A timer that already fired must not be recorded (it would never be removed).
      if timer.state.load(ordering: .acquiring) == TimerEntry.pending {
        timers[ObjectIdentifier(timer)] = timer
      }
      return true
    }
  }

  func detachTimer(_ timer: TimerEntry) {
    _ = lock.withLock { timers.removeValue(forKey: ObjectIdentifier(timer)) }
  }

  /// Records a request this process has been sent and not yet answered, so that the
  /// caller learns of this process's exit (`lock` held, the process alive). Settled cells
  /// are let go whenever the list doubles, so a busy server's list stays about as long as
  /// the requests it really has outstanding.
  @inlinable final func trackPendingReplyLocked(_ cell: AnyReplyCell) {
    pendingReplies.append(cell)
    if pendingReplies.count >= pendingRepliesLimit {
      pendingReplies.removeAll { $0.isSettled }
      pendingRepliesLimit = max(32, pendingReplies.count * 2)
    }
  }
}
