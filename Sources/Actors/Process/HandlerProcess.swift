// A process that is a message handler plus a state: Erlang's process idle at its
// top-level receive, without a stack. Between messages it is just this object and its
// mailbox — no Task, no stack.
//
// A synchronous handler is called straight from the scheduler thread: the cheapest
// possible message hop. An async handler may suspend (receive, call, sleep); it runs in
// a dispatcher Task and holds that Task only while it is suspended.

/// A message handler that may suspend: gets the process state, the message and the
/// process context, and says what happens next.
public typealias MessageHandler<M: Sendable, S> = nonisolated(nonsending) @Sendable (inout S, Message<M>, Context<M>) async throws -> Next

/// A message handler that never suspends (no `await`): the fastest kind.
public typealias SyncMessageHandler<M: Sendable, S> = @Sendable (inout S, Message<M>, Context<M>) throws -> Next

/// Runs once before the first message (like a gen_server's init); may set a timeout.
public typealias StartHandler<M: Sendable, S> = nonisolated(nonsending) @Sendable (inout S, Context<M>) async throws -> Next

/// The synchronous form of `StartHandler`.
public typealias SyncStartHandler<M: Sendable, S> = @Sendable (inout S, Context<M>) throws -> Next

@usableFromInline
// `@unchecked Sendable`: the state, code and idle timer are owned by the process while it
// runs (one thread at a time; hand-offs go through the process lock), as in ProcessCore.
final class HandlerProcess<M: Sendable, S>: Process<M>, @unchecked Sendable {
  @usableFromInline enum Code {
    case sync(start: SyncStartHandler<M, S>?, handler: SyncMessageHandler<M, S>)
    case async(start: StartHandler<M, S>?, handler: MessageHandler<M, S>)
  }

  /// The state with a non-empty neighbour: an `inout` access to a zero-sized stored
  /// property is recorded by Thread Sanitizer at the object's first bytes (its header,
  /// which other threads read), a false report; inside this cell it is not.
  /// Optional so that the state can be let go when the process ends (`exited()`): it
  /// may hold the process's own address or sockets, which hold the process.
  @usableFromInline struct StateCell {
    @usableFromInline var value: S?
    @usableFromInline var spacer: UInt32 = 0
    @inlinable init(_ value: sending S) { self.value = value }
  }

  // owner
  @exclusivity(unchecked) @usableFromInline var cell: StateCell
  @exclusivity(unchecked) @usableFromInline var code: Code?
  @exclusivity(unchecked) @usableFromInline var started = false
  @exclusivity(unchecked) @usableFromInline var idleTimeout: UInt64?
  @exclusivity(unchecked) @usableFromInline var idleTimer: TimerEntry?
  /// Describes the state for `sys:get_status`-style introspection (nil: not described).
  @usableFromInline let describer: (@Sendable (S) -> String)?

  @inlinable init(
    node: Node, parent: Pid?, home: Scheduler, state: sending S,
    start: SyncStartHandler<M, S>?, handler: @escaping SyncMessageHandler<M, S>,
    describe: (@Sendable (S) -> String)? = nil
  ) {
    self.cell = StateCell(state)
    self.describer = describe
    self.code = .sync(start: start, handler: handler)
    super.init(
      node: node, parent: parent, home: home, startsRunnable: start != nil,
      runner: .sync({ core, budget in
        unsafeDowncast(core, to: HandlerProcess<M, S>.self).runSliceSync(budget: budget)
      }), control: { core, op in unsafeDowncast(core, to: HandlerProcess<M, S>.self).control(op) })
  }

  @inlinable init(
    node: Node, parent: Pid?, home: Scheduler, state: sending S,
    start: StartHandler<M, S>?, handler: @escaping MessageHandler<M, S>,
    describe: (@Sendable (S) -> String)? = nil
  ) {
    self.cell = StateCell(state)
    self.describer = describe
    self.code = .async(start: start, handler: handler)
    super.init(
      node: node, parent: parent, home: home, startsRunnable: start != nil,
      runner: .async({ core, budget in
        await unsafeDowncast(core, to: HandlerProcess<M, S>.self).runSliceAsync(budget: budget)
      }), control: { core, op in unsafeDowncast(core, to: HandlerProcess<M, S>.self).control(op) })
  }

  /// Applies what a handler returned; false if the process ended.
  @inlinable func apply(_ next: Next) -> Bool {
    switch next {
    case .continue:
      idleTimeout = nil
      return !terminated
    case .continueWithTimeout(let d):
      idleTimeout = d.clampedNanoseconds
      return !terminated
    case .stop(let reason):
      if !terminated { terminate(reason) }
      return false
    }
  }

  /// Ends the process after its code threw.
  @inlinable func fail(_ error: any Error) {
    if terminated { return }
    if let exit = error as? ProcessExit {
      terminate(exit.reason)
    } else {
      terminate(.error(error))
    }
  }

  /// What `next` found.
  @usableFromInline enum Step {
    case message(Message<M>)
    /// The mailbox was empty and the process went idle: it may already be running on
    /// another thread, so the slice must end without touching it.
    case idle
    /// A signal ended the process.
    case exited
  }

  /// The next message, or how the slice ends.
  @inlinable func next(handled: Int) -> Step {
    do {
      // Going idle: the reductions and the idle timeout are set up under the lock,
      // before the process is marked idle, because from then on it is not ours.
      let taken = try nextForHandler(beforeIdle: {
        addReductions(handled)
        armIdleTimeout()
        // The reusable wait timer (kept cancelled between the waits of one run) is let
        // go, not held by every idle process.
        waitTimer = nil
        // So are requests already answered (or given up): each names its caller, which
        // may have ended since.
        if !pendingReplies.isEmpty { pendingReplies.removeAll { $0.isSettled } }
      })
      guard let m = taken else { return .idle }
      if let t = idleTimer {
        idleTimer = nil
        t.cancelQuietly()
      }
      idleGeneration &+= 1
      return .message(m)
    } catch {
      return .exited
    }
  }

  @inlinable func runSliceSync(budget: Int) -> RunOutcome {
    guard case .sync(let start, let handler) = code else { return exited() }
    slice = 0
    if !started {
      started = true
      if let start {
        // The start handler runs once: drop it and what it captured.
        code = .sync(start: nil, handler: handler)
        do {
          if !apply(try start(&cell.value!, Context(self))) { return exited() }
        } catch {
          fail(error)
          return exited()
        }
      }
    }
    var handled = 0
    var sliceStart: UInt64 = 0
    while handled < budget {
      if handled & 31 == 31 && sliceOver(&sliceStart) { break }
      let message: Message<M>
      switch next(handled: handled) {
      case .message(let m): message = m
      case .idle: return .idle
      case .exited: return exited()
      }
      handled += 1
      do {
        if !apply(try handler(&cell.value!, message, Context(self))) { return exited() }
      } catch {
        fail(error)
        return exited()
      }
    }
    return endSlice(handled)
  }

  @inlinable func runSliceAsync(budget: Int) async -> RunOutcome {
    guard case .async(let start, let handler) = code else { return exited() }
    slice = 0
    if !started {
      started = true
      if let start {
        // The start handler runs once: drop it and what it captured.
        code = .async(start: nil, handler: handler)
        do {
          if !apply(try await start(&cell.value!, Context(self))) { return exited() }
        } catch {
          fail(error)
          return exited()
        }
      }
    }
    var handled = 0
    var sliceStart: UInt64 = 0
    while handled < budget {
      if handled & 31 == 31 && sliceOver(&sliceStart) { break }
      let message: Message<M>
      switch next(handled: handled) {
      case .message(let m): message = m
      case .idle: return .idle
      case .exited: return exited()
      }
      handled += 1
      do {
        if !apply(try await handler(&cell.value!, message, Context(self))) { return exited() }
      } catch {
        fail(error)
        return exited()
      }
    }
    return endSlice(handled)
  }

  /// True once a slice has run for more than a millisecond since the first check (the
  /// clock is read only every 32 messages, so short slices never pay for it).
  @inlinable func sliceOver(_ start: inout UInt64) -> Bool {
    let now = monotonicNanos()
    if start == 0 {
      start = now
      return false
    }
    return now &- start > 1_000_000
  }

  /// The slice ends with the process's exit: the state goes. Not done in `terminate`,
  /// which may run while a handler still has the state `inout` (a kill taken by a
  /// `receive` inside it); here the handler has returned.
  @inlinable func exited() -> RunOutcome {
    cell.value = nil
    return .exited
  }

  /// The budget is used up: back to the end of the run queue.
  @inlinable func endSlice(_ handled: Int) -> RunOutcome {
    addReductions(handled)
    lock.withLock { runState = .scheduled }
    return .requeue
  }

  /// Called under the lock as the process goes idle (see `next`). Takes the timer wheel's
  /// lock inside ours, the same order as a timed `suspend`.
  @inlinable func armIdleTimeout() {
    guard let ns = idleTimeout else { return }
    idleGeneration &+= 1
    idleTimer = home.timers.schedule(afterNanos: ns, action: .idleTimeout(self, generation: idleGeneration))
  }

  @inlinable func control(_ op: ControlOp) -> ControlResult {
    if case .describe = op { return .text(code == nil ? nil : cell.value.flatMap { describer?($0) }) }
    guard case .release = op else { return mailboxControl(op) }
    code = nil
    if let t = idleTimer {
      idleTimer = nil
      t.cancel()
    }
    return .done
  }

  override func stateBytes() -> Int { MemoryLayout<S>.size }
  override var kindName: String { "handler" }
}

/// A process that runs an async body from start to end (Erlang's spawn of a function
/// that loops in `receive`). Simple to write; while it waits in `receive` it holds a Task.
@usableFromInline
// `@unchecked Sendable`: the body is owned by the process while it
// runs (one thread at a time; hand-offs go through the process lock), as in ProcessCore.
final class BodyProcess<M: Sendable>: Process<M>, @unchecked Sendable {
  @exclusivity(unchecked) @usableFromInline var body: (nonisolated(nonsending) @Sendable (Context<M>) async throws -> Void)?

  @inlinable init(
    node: Node, parent: Pid?, home: Scheduler,
    body: nonisolated(nonsending) @escaping @Sendable (Context<M>) async throws -> Void
  ) {
    self.body = body
    super.init(
      node: node, parent: parent, home: home, startsRunnable: true,
      runner: .async({ core, _ in
        await unsafeDowncast(core, to: BodyProcess<M>.self).runBody()
      }), control: { core, op in unsafeDowncast(core, to: BodyProcess<M>.self).control(op) })
  }

  @inlinable func runBody() async -> RunOutcome {
    slice = 0
    guard let body else { return .exited }
    do {
      try await body(Context(self))
      if !terminated { terminate(.normal) }
    } catch let exit as ProcessExit {
      if !terminated { terminate(exit.reason) }
    } catch {
      if !terminated { terminate(.error(error)) }
    }
    return .exited
  }

  @inlinable func control(_ op: ControlOp) -> ControlResult {
    guard case .release = op else { return mailboxControl(op) }
    body = nil
    return .done
  }
  override var kindName: String { "body" }
}
