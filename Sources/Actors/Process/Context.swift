// What process code can do: the process's view of itself and of the runtime.
//
// A `Context` is handed to a process's handler or body and is valid only inside that
// process (it is not Sendable, so the compiler keeps it from escaping to another).

/// The running process's handle on the runtime: receive, send, link, monitor, timers,
/// names, spawning. Valid only inside its own process.
public struct Context<M: Sendable> {
  @usableFromInline unowned(unsafe) let process: Process<M>

  @inlinable init(_ process: Process<M>) { self.process = process }

  /// This process.
  @inlinable public var pid: Pid { Pid(process) }
  /// This process's typed address.
  @inlinable public var address: Address<M> { Address(process) }
  /// The node this process runs on.
  @inlinable public var node: Node { process.node }

  // MARK: - Receiving

  /// Takes the oldest message of any kind; waits up to `timeout`. Nil on timeout.
  /// Throws `ProcessExit` if the process is told to exit while waiting.
  @inlinable public func receive(timeout: Timeout = .infinity) async throws(ProcessExit) -> Message<M>? {
    try await process.receive(timeout: timeout) { $0 }
  }

  /// Selective receive: takes the oldest message for which `match` returns a value,
  /// leaving the others in the mailbox in their order. Nil on timeout.
  @inlinable public func receive<T>(timeout: Timeout = .infinity, _ match: (Message<M>) -> T?) async throws(ProcessExit) -> T? {
    try await process.receive(timeout: timeout, match)
  }

  /// Waits for the next message of type `M`, leaving system messages (EXIT, DOWN, timers)
  /// in the mailbox. Nil on timeout.
  @inlinable public func next(timeout: Timeout = .infinity) async throws(ProcessExit) -> M? {
    try await process.receive(timeout: timeout) { $0.value }
  }

  /// Sleeps without taking messages (Erlang's `receive after T -> ok end`). Exit signals
  /// still apply.
  @inlinable public func sleep(for duration: Duration) async throws(ProcessExit) {
    try await process.sleep(nanoseconds: duration.clampedNanoseconds)
  }

  /// Lets other processes run if this one has used its budget; call it in long loops
  /// that neither receive nor wait.
  @inlinable public func yield() async throws(ProcessExit) {
    try process.checkAlive()
    await process.chargeReduction()
    try process.absorbSignals()
  }

  // MARK: - Flags and identity

  /// Erlang's `trap_exit` flag: when set, exit signals (except an explicit kill) arrive
  /// as `.exit` messages instead of ending the process.
  @inlinable public var trapExit: Bool {
    get { process.trapExit }
    nonmutating set { process.lock.withLock { process.trapExit = newValue } }
  }

  /// A label shown by introspection and the observer (Erlang's `proc_lib:set_label`).
  /// Reading it gives the text shown now (a computed label is computed).
  public var label: String? {
    get { process.lock.withLock { process.label }.resolved }
    nonmutating set { process.lock.withLock { process.label = ProcessLabel(newValue) } }
  }

  /// Labels this process with `source.processLabel`, computed whenever introspection
  /// reads the label: a label that follows what `source` publishes, for no more memory
  /// than the reference. The source is let go when the process exits.
  public func setLabel(from source: any ProcessLabelSource) {
    process.lock.withLock { process.label = .computed(source) }
  }

  /// The name this process is registered under, if any.
  public var registeredName: String? { process.lock.withLock { process.registeredName } }

  /// The process that spawned this one (`<0.0.0>` if spawned from outside the node).
  public var parent: Pid? { process.parent }

  /// Registers this process under `name`.
  public func register(_ name: String) throws(ProcessError) { try process.node.registry.register(name, process) }

  /// Releases this process's registered name, if it has one.
  public func unregister() {
    if let name = process.lock.withLock({ process.registeredName }) {
      try? process.node.registry.unregister(name)
    }
  }

  /// Runs `hook` when this process exits, whatever the reason (after links and monitors
  /// have been told). Hooks run newest first. For resources the process owns. The
  /// result identifies the hook for `removeExitHook`.
  @discardableResult
  public func onExit(_ hook: @escaping (ExitReason) -> Void) -> ExitHook {
    let id = process.nextExitHookID
    process.nextExitHookID &+= 1
    process.exitHooks.append(id, hook)
    return ExitHook(id: id)
  }

  /// Removes a hook added by `onExit`, releasing what it holds: it will not run. False if
  /// it was already removed (or has run).
  @discardableResult
  public func removeExitHook(_ hook: ExitHook) -> Bool { process.exitHooks.remove(hook.id) }

  // MARK: - Links, monitors, exit signals

  /// Links this process with `pid` (both directions). Linking a dead process gives an
  /// exit signal `noproc`.
  @inlinable public func link(_ pid: Pid) { process.link(pid.core) }

  /// Removes the link with `pid`, if any. No exit signal from it arrives afterwards.
  @inlinable public func unlink(_ pid: Pid) { process.unlink(pid.core) }

  /// Monitors `pid`: a `.down` message comes when it ends (at once with `noproc` if it
  /// is already dead). Each call makes an independent monitor.
  @inlinable @discardableResult public func monitor(_ pid: Pid) -> Ref { process.monitor(pid.core) }

  /// Monitors the process registered under `name` (resolved once, now). Nil if the name
  /// is not registered.
  public func monitor(name: String) -> Ref? {
    guard let core = process.node.registry.whereis(name) else { return nil }
    return process.monitor(core)
  }

  /// Removes a monitor. After this returns no `.down` for `ref` will arrive; with `flush`
  /// one already in the mailbox is removed too. Returns true if the monitor was still
  /// active (the monitored process had not been reported down).
  @discardableResult
  public func demonitor(_ ref: Ref, flush: Bool = false) -> Bool {
    let active = process.demonitor(ref)
    if flush {
      var i = 0
      while i < process.saved.count {
        if case .down(let r, _, _) = process.saved[i], r == ref {
          _ = process.saved.remove(at: i)
          break
        }
        i += 1
      }
    }
    return active
  }

  /// Sends an exit signal to `pid` (Erlang's `exit/2`). `.kill` cannot be trapped.
  @inlinable public func exit(_ pid: Pid, reason: ExitReason) {
    ProcessCore.sendExit(to: pid.core, from: process, reason: reason)
  }

  /// Ends this process with `reason` (Erlang's `exit/1`).
  public func exit(_ reason: ExitReason) throws(ProcessExit) -> Never {
    throw ProcessExit(reason: reason)
  }

  // MARK: - Sending

  /// Sends to a registered name. Throws if the name is not registered or takes
  /// messages of another type.
  public func send<T: Sendable>(to name: String, _ message: T) throws(ProcessError) {
    try process.node.send(to: name, message)
  }

  // MARK: - Timers

  /// Delivers `message` to `target` after `delay` (Erlang's `send_after`). Cancelled
  /// automatically if `target` exits first.
  @discardableResult
  public func sendAfter<T: Sendable>(_ delay: Duration, to target: Address<T>, _ message: T) -> TimerRef {
    Timers.sendAfter(delay, to: target.process, node: process.node, message)
  }

  /// Delivers `.timer(ref, message)` to this process after `delay` (`start_timer`).
  @discardableResult
  public func startTimer(_ delay: Duration, _ message: M) -> TimerRef {
    Timers.startTimer(delay, to: process, node: process.node, message)
  }

  /// Cancels a timer; returns the time that was left, or nil if it had already fired
  /// or been cancelled (`erlang:cancel_timer`).
  @discardableResult
  public func cancelTimer(_ timer: TimerRef) -> Duration? { Timers.cancel(timer) }

  // MARK: - Requests (the call protocol under GenServer)

  /// Sends a request built by `make` to `target` and waits for the reply. Fails with
  /// `CallError.noproc` if `target` is dead, `.exited(reason)` if it ends before
  /// replying, `.timeout`, or `.callingSelf`. A reply after the timeout is dropped.
  @inlinable
  public func request<T: Sendable, R: Sendable>(
    _ target: Address<T>, timeout: Timeout = .seconds(5), _ make: (ReplyTo<R>) -> T
  ) async throws -> R {
    if target.process === process { throw CallError.callingSelf }
    let cell = ReplyCell<R>(waiter: process)
    target.process.pushRequest(make(ReplyTo(cell: cell)), cell: cell)
    return try await process.awaitReply(cell, timeout: timeout).get()
  }

  /// Sends a request without waiting (Erlang's `send_request`); collect the reply with
  /// `receiveResponse`.
  @inlinable
  public func sendRequest<T: Sendable, R: Sendable>(_ target: Address<T>, _ make: (ReplyTo<R>) -> T) -> RequestID<R> {
    let cell = ReplyCell<R>(waiter: process)
    if target.process === process {
      cell.fail(.serverExited(.custom("calling_self")))
    } else {
      target.process.pushRequest(make(ReplyTo(cell: cell)), cell: cell)
    }
    return RequestID(cell: cell)
  }

  /// Waits for the reply to `request`. On timeout the request is abandoned: a later
  /// reply is dropped.
  @inlinable
  public func receiveResponse<R>(_ request: RequestID<R>, timeout: Timeout = .seconds(5)) async throws -> R {
    try await process.awaitReply(request.cell, timeout: timeout).get()
  }

  /// The reply to `request` if it is there, without waiting (`check_response`).
  @inlinable
  public func checkResponse<R>(_ request: RequestID<R>) -> Result<R, CallError>? {
    request.cell.outcome
  }
}

extension Context {
  /// A reply slot made by this process: give `replyTo` to whoever will answer (inside a
  /// message, or captured by a process being spawned), and wait with
  /// `receiveResponse(request)`.
  @inlinable
  public func makeReply<R: Sendable>(_ type: R.Type = R.self) -> (replyTo: ReplyTo<R>, request: RequestID<R>) {
    let cell = ReplyCell<R>(waiter: process)
    return (ReplyTo(cell: cell), RequestID(cell: cell))
  }

  /// Gives up unused mailbox storage (gen_server's `hibernate`): an idle server with a
  /// burst behind it keeps no large buffers.
  public func hibernate() {
    if process.pending.isEmpty { process.pending.releaseStorage() }
    if process.saved.isEmpty { process.saved.releaseStorage() }
  }
}

extension Node {
  /// A reply slot for code outside any process; wait with `receiveResponse`.
  public func makeReply<R: Sendable>(_ type: R.Type = R.self) -> (replyTo: ReplyTo<R>, request: RequestID<R>) {
    let cell = ReplyCell<R>(waiter: nil)
    return (ReplyTo(cell: cell), RequestID(cell: cell))
  }

  /// Waits, outside any process, for the reply to `request`. On timeout the request is
  /// abandoned: a later reply is dropped.
  public func receiveResponse<R>(_ request: RequestID<R>, timeout: Timeout = .seconds(5)) async throws(CallError) -> R {
    if request.cell.outcome == nil {
      await request.cell.waitExternally(timeoutNanos: timeout.nanoseconds, node: self)
    }
    if let outcome = request.cell.outcome { return try outcome.get() }
    if request.cell.abandon() { throw .timeout }
    return try request.cell.outcome!.get()
  }

  /// `Context.request` for code outside any process (tests, `main`).
  public func request<T: Sendable, R: Sendable>(
    _ target: Address<T>, timeout: Timeout = .seconds(5), _ make: (ReplyTo<R>) -> T
  ) async throws(CallError) -> R {
    let cell = ReplyCell<R>(waiter: nil)
    target.process.pushRequest(make(ReplyTo(cell: cell)), cell: cell)
    return try await receiveResponse(RequestID(cell: cell), timeout: timeout)
  }
}

/// An outstanding request made with `sendRequest`.
public struct RequestID<R: Sendable>: Hashable, Sendable {
  @usableFromInline let cell: ReplyCell<R>
  @inlinable init(cell: ReplyCell<R>) { self.cell = cell }
  public static func == (a: RequestID, b: RequestID) -> Bool { a.cell === b.cell }
  public func hash(into h: inout Hasher) { h.combine(ObjectIdentifier(cell)) }
}
