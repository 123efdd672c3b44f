// The typed half of a process: its mailbox and the two things that read it — the
// scheduler-driven handler loop and the selective `receive` of async code.
//
// Mailbox layout (oldest first): `saved` (messages a selective receive looked at and
// left), `pending` (a batch taken from `inbound`, not yet looked at), `inbound` (what
// senders appended; the only part under `lock`). A reader takes the whole of `inbound` in
// one swap, so senders and the reader meet once per batch, not once per message.
//
// Everything on the message path is @inlinable so that it is specialised for the
// message type in the module that spawns the process.
import Synchronization

/// A process whose messages are of type `M`. Reach it through `Address<M>` or `Pid`.
///
/// `@unchecked Sendable`: `inbound` and `inboundSignals` are guarded by `lock`;
/// `pending`, `saved` and the counters are owned by the running process (see ProcessCore).
public class Process<M: Sendable>: ProcessCore, @unchecked Sendable {
  // lock
  @exclusivity(unchecked) @usableFromInline final var inbound = Ring<Inbound<M>>()
  // owner
  @exclusivity(unchecked) @usableFromInline final var pending = Ring<Inbound<M>>()
  @exclusivity(unchecked) @usableFromInline final var pendingSignals = 0
  @exclusivity(unchecked) @usableFromInline final var saved = Ring<Message<M>>()
  @exclusivity(unchecked) @usableFromInline final var terminated = false

  @inlinable override init(
    node: Node, parent: Pid?, home: Scheduler, startsRunnable: Bool,
    runner: ProcessRunner, control: @escaping @Sendable (ProcessCore, ControlOp) -> ControlResult, id: UInt64? = nil
  ) {
    super.init(node: node, parent: parent, home: home, startsRunnable: startsRunnable, runner: runner, control: control, id: id)
  }

  /// The mailbox part of `ControlOp`; the concrete class adds `.release`.
  @inlinable final func mailboxControl(_ op: ControlOp) -> ControlResult {
    switch op {
    case .pushSignal(let s, let urgent):
      // Socket events are messages for the mailbox's purposes (see `Inbound.io`).
      if case .io(let socket, let event) = s { return .accepted(push(.io(socket, event), isSignal: false, urgent: urgent)) }
      return .accepted(push(.signal(s), isSignal: true, urgent: urgent))
    case .drainAtExit: return .signals(drainMailbox())
    case .release: return .done
    case .describe: return .text(nil)
    case .peek(let limit): return .mailbox(peekMailbox(limit: limit))
    }
  }

  // MARK: - Sending

  @inlinable final func deliver(_ message: M) {
    if _slowPath(isRemote) { return deliverRemote(message) }
    push(.message(message), isSignal: false)
  }

  /// Sends to the process behind a proxy (overridden by RemoteProcess).
  @usableFromInline func deliverRemote(_ message: M) {}

  /// Sends a request to the process behind a proxy (overridden by RemoteProcess).
  @usableFromInline func requestRemote(_ message: M, cell: AnyReplyCell) { cell.fail(.noproc) }

  /// Appends an entry; schedules or wakes the process as needed. False if it is dead.
  @inlinable @discardableResult
  final func push(_ item: Inbound<M>, isSignal: Bool, urgent: Bool = false) -> Bool {
    var wake = WakeUp.none
    let alive: Bool = lock.withLock {
      if runState == .dead { return false }
      inbound.append(item)
      if isSignal { inboundSignals += 1 }
      wake = wakeUpLocked(isSignal: isSignal)
      return true
    }
    perform(wake, urgent: urgent)
    return alive
  }

  /// Appends a request whose reply goes to `cell`, and records the cell so that this
  /// process's exit fails it. False (and the cell failed with noproc) if it is dead.
  @inlinable @discardableResult
  final func pushRequest(_ message: M, cell: AnyReplyCell) -> Bool {
    if _slowPath(isRemote) {
      requestRemote(message, cell: cell)
      return true
    }
    var wake = WakeUp.none
    let alive: Bool = lock.withLock {
      if runState == .dead { return false }
      inbound.append(.message(message))
      trackPendingReplyLocked(cell)
      wake = wakeUpLocked(isSignal: false)
      return true
    }
    if alive {
      perform(wake)
    } else {
      cell.fail(.noproc)
    }
    return alive
  }

  @usableFromInline override final var inboundCountLocked: Int { inbound.count }

  // MARK: - Reading the mailbox (owner only)

  /// Moves `inbound` into `pending` if `pending` is used up. Returns false when there
  /// was nothing to take; with `goIdle` the process is then marked idle in the same step,
  /// after `beforeIdle` has run (under the lock).
  ///
  /// Going idle hands the process over: once the lock is released with `.idle`, a sender
  /// may schedule it and another scheduler thread run it while this one is still
  /// unwinding its slice. So whatever the slice still has to do to the process goes in
  /// `beforeIdle`, and after `refill(goIdle: true)` returns false the caller must not
  /// touch the process again — not even read `terminated`. (That lock release is the
  /// hand-off; the next run's first access is ordered after it by the sender's lock.)
  @inlinable final func refill(goIdle: Bool, beforeIdle: () -> Void = {}) -> Bool {
    if !pending.isEmpty { return true }
    if pending.capacity > 1024 { pending.releaseStorage() }
    let got: Bool = lock.withLock {
      if inbound.isEmpty {
        if goIdle {
          // `pending` is empty, and so is `saved` when a handler goes idle.
          privateQueueLength.store(0, ordering: .relaxed)
          beforeIdle()
          // An idle process keeps one ring buffer, in `inbound` for the next arrival:
          // the empty `pending` hands its buffer over or frees it (one to three slots
          // less per idle process). Done before `idle` is published: from then on
          // another scheduler may run this process.
          if inbound.buffer == nil {
            Ring.exchange(&pending, &inbound)
          } else if pending.buffer != nil {
            pending.releaseStorage()
          }
          // Nor a buffer a burst grew: a second burst that arrived while the first was
          // handled leaves the first one's buffer here (the exchange above), and a
          // thousand idle connections would each keep theirs. The next arrival starts
          // small again; a busy process seldom goes idle, so it seldom regrows.
          if inbound.capacity > Ring<Inbound<M>>.idleCapacity { inbound.releaseStorage() }
          if saved.isEmpty && saved.buffer != nil { saved.releaseStorage() }
          runState = .idle
        }
        return false
      }
      Ring.exchange(&pending, &inbound)
      pendingSignals = inboundSignals
      inboundSignals = 0
      return true
    }
    if got || !goIdle { publishQueueLength() }
    return got
  }

  /// Turns the next pending entry into what process code sees; nil if the entry was
  /// a signal with no visible effect. Throws if the signal ended the process.
  @inlinable final func takePending() throws(ProcessExit) -> Message<M>? {
    let item = pending.popFirst().unsafelyUnwrapped
    switch item {
    case .message(let m): return .message(m)
    case .timer(let ref, let m): return .timer(ref, m)
    case .io(let socket, let event): return .io(socket, event)
    case .signal(let s):
      pendingSignals -= 1
      switch handleSignal(s) {
      case .none: return nil
      case .exitMessage(let from, let reason): return .exit(from: from, reason: reason)
      case .downMessage(let ref, let pid, let reason): return .down(ref, pid: pid, reason: reason)
      case .timeoutMessage: return .timeout
      case .ioMessage(let socket, let event): return .io(socket, event)
      case .terminated: throw ProcessExit(reason: exitReason ?? .killed)
      }
    }
  }

  /// The next message for a top-level handler; nil when the mailbox is empty: the
  /// process is then idle and no longer the caller's (see `refill`), `beforeIdle` having
  /// been the last thing done to it. Throws if a signal ended the process.
  @inlinable final func nextForHandler(beforeIdle: () -> Void) throws(ProcessExit) -> Message<M>? {
    while true {
      if let m = saved.popFirst() {
        publishQueueLength()
        return m
      }
      while !pending.isEmpty {
        if let m = try takePending() {
          publishQueueLength()
          return m
        }
      }
      if !refill(goIdle: true, beforeIdle: beforeIdle) { return nil }
    }
  }

  /// Makes the number of taken-but-unhandled messages visible to introspection.
  @inlinable final func publishQueueLength() {
    privateQueueLength.store(pending.count &- pendingSignals &+ saved.count, ordering: .relaxed)
  }

  /// Applies signals that are waiting in the mailbox (so a kill or an exit signal takes
  /// effect while the process waits for something else), moving messages in front of
  /// them to `saved` so their order is kept.
  @inlinable final func absorbSignals() throws(ProcessExit) {
    while true {
      if pendingSignals == 0 {
        let more = lock.withLock { inboundSignals > 0 }
        if !more { return }
        // Put the rest of the current batch behind the saved messages, then take inbound.
        while !pending.isEmpty {
          if let m = try takePending() { saved.append(m) }
        }
        _ = refill(goIdle: false)
      }
      while !pending.isEmpty {
        if let m = try takePending() { saved.append(m) }
      }
    }
  }

  @inlinable final func checkAlive() throws(ProcessExit) {
    if terminated { throw ProcessExit(reason: exitReason ?? .killed) }
  }

  // MARK: - Suspending (owner only)

  /// Suspends the running process until something of `kind` arrives, `deadline` passes
  /// (absolute monotonic ns), or — for `.reply` — `cell` settles. Returns at once when
  /// that is already the case.
  @inlinable final func suspend(kind: WaitKind, deadline: UInt64?, cell: AnyReplyCell? = nil) async -> WakeReason {
    var timer: TimerEntry?
    let reason: WakeReason = await withUnsafeContinuation { (c: UnsafeContinuation<WakeReason, Never>) in
      var immediate: WakeReason?
      lock.withLock {
        waitGeneration &+= 1
        if inboundSignals > 0 || (kind == .messages && !inbound.isEmpty) {
          immediate = .arrival
        } else if let cell, cell.isSettled {
          immediate = .reply
        } else {
          runState = .waiting
          waitKind = kind
          continuation = c
          if let deadline {
            // Under our lock: the timer cannot fire into this wait before it is set up.
            // A deadline already past fires at the scheduler's next timer check.
            if let reusable = waitTimer {
              reusable.service.rearm(reusable, at: deadline, generation: waitGeneration)
              timer = reusable
            } else {
              timer = home.timers.schedule(at: deadline, action: .waitTimeout(self), generation: waitGeneration)
            }
          }
        }
      }
      if let immediate { c.resume(returning: immediate) }
    }
    if let current = Scheduler.current { home = current }
    // Keep the timer for the next wait only if it was cancelled before firing: a timer
    // that fired (or is firing on another thread) is never reused.
    if let timer {
      waitTimer = (reason != .timeout && timer.cancelQuietly()) ? timer : nil
    }
    return reason
  }

  /// Yields the thread if this process has used its budget of reductions.
  @inlinable final func chargeReduction() async {
    slice &+= 1
    addReductions(1)
    if slice >= Scheduler.budget {
      slice = 0
      await Task.yield()
      if let current = Scheduler.current { home = current }
    }
  }

  // MARK: - Selective receive (owner only)

  /// Takes the oldest message for which `match` returns non-nil, leaving the others in
  /// order; waits for one up to `timeout`. Returns nil on timeout.
  @inlinable final func receive<T>(timeout: Timeout, _ match: (Message<M>) -> T?) async throws(ProcessExit) -> T? {
    try checkAlive()
    await chargeReduction()
    var index = 0
    while index < saved.count {
      if let r = match(saved[index]) {
        _ = saved.remove(at: index)
        publishQueueLength()
        return r
      }
      index += 1
    }
    var deadline: UInt64?
    while true {
      while !pending.isEmpty {
        guard let message = try takePending() else { continue }
        if let r = match(message) {
          publishQueueLength()
          return r
        }
        saved.append(message)
      }
      if refill(goIdle: false) { continue }
      guard let ns = timeout.nanoseconds else {
        _ = await suspend(kind: .messages, deadline: nil)
        try checkAlive()
        continue
      }
      if ns == 0 { return nil }
      if deadline == nil { deadline = monotonicNanos() &+ ns }
      let why = await suspend(kind: .messages, deadline: deadline)
      try checkAlive()
      if why == .timeout {
        // One last look: a message may have come in the same instant.
        try absorbSignals()
        if refill(goIdle: false) { continue }
        return nil
      }
    }
  }

  /// Waits for `cell` to settle (a reply, the server's exit) while applying signals.
  @inlinable final func awaitReply<R>(_ cell: ReplyCell<R>, timeout: Timeout) async throws(ProcessExit) -> Result<R, CallError> {
    do {
      return try await waitForReply(cell, timeout: timeout)
    } catch {
      // Ended while waiting (killed, an exit signal): the cell is given up, or the server
      // would keep it, and through it this process, until it answered or exited.
      _ = cell.abandon()
      throw error
    }
  }

  @inlinable final func waitForReply<R>(_ cell: ReplyCell<R>, timeout: Timeout) async throws(ProcessExit) -> Result<R, CallError> {
    try checkAlive()
    var deadline: UInt64?
    while true {
      if let outcome = cell.outcome { return outcome }
      try absorbSignals()
      if let outcome = cell.outcome { return outcome }
      if let ns = timeout.nanoseconds {
        if ns == 0 { return cell.abandon() ? .failure(.timeout) : cell.outcome! }
        // One clock read per call: the timer fires at once if the deadline has passed.
        if deadline == nil { deadline = monotonicNanos() &+ ns }
      }
      let why = await suspend(kind: .reply, deadline: deadline, cell: cell)
      if why == .timeout {
        try absorbSignals()
        return cell.abandon() ? .failure(.timeout) : cell.outcome!
      }
    }
  }

  /// Sleeps for `nanoseconds`, applying signals (so the process can still be killed).
  @inlinable final func sleep(nanoseconds: UInt64) async throws(ProcessExit) {
    try checkAlive()
    let deadline = monotonicNanos() &+ nanoseconds
    while monotonicNanos() < deadline {
      try absorbSignals()
      _ = await suspend(kind: .signals, deadline: deadline)
      try checkAlive()
    }
    try absorbSignals()
  }

  // MARK: - Exit

  @inlinable final func drainMailbox() -> [Signal] {
    terminated = true
    var signals: [Signal] = []
    var rest = Ring<Inbound<M>>()
    lock.withLock {
      Ring.exchange(&rest, &inbound)
      inboundSignals = 0
    }
    while let item = pending.popFirst() {
      if case .signal(let s) = item { signals.append(s) }
    }
    while let item = rest.popFirst() {
      if case .signal(let s) = item { signals.append(s) }
    }
    pending.releaseStorage()
    pendingSignals = 0
    saved.removeAll()
    saved.releaseStorage()
    privateQueueLength.store(0, ordering: .relaxed)
    return signals
  }

  override var messageTypeName: String { String(describing: M.self) }

  /// Read from other threads: uses only the lock-guarded inbound ring and the published
  /// length of the owner's queues (their capacity is the owner's business).
  override func mailboxBytes() -> Int {
    let inboundBytes = lock.withLock { inbound.capacityBytes }
    return inboundBytes + privateQueueLength.load(ordering: .relaxed) * MemoryLayout<Message<M>>.stride
  }
}
