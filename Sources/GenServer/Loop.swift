// The generic part of every server: the process state around the user's state, the
// start handshake, message routing, `then` actions, system requests and termination.
//
// `ServerLoop` holds what does not depend on whether callbacks are async; `Loop` drives
// a `GenServer` (an async handler process: a callback may call another server without
// blocking a thread) and `SyncLoop` a `SyncGenServer` (a synchronous handler process,
// run straight on the scheduler thread). Everything is @inlinable so it is specialised
// for each server type in the module that starts it.
import Actors

/// What the server process keeps: the user's server value and state, and its parent.
@usableFromInline
struct ServerBox<S: ServerTypes> {
  @usableFromInline var server: S
  /// nil until `initialize` has returned.
  @usableFromInline var state: S.State?
  /// The process that started (and is linked to) the server: an EXIT from it while
  /// trapping exits stops the server.
  @usableFromInline var parent: Pid?

  @inlinable init(server: S, parent: Pid?) {
    self.server = server
    self.parent = parent
  }
}

/// How the start handshake ends, told to the starter.
@usableFromInline
enum StartAck: Sendable {
  case started
  case ignored
  case alreadyStarted(Pid)
  case failed(ExitReason)
}

/// What a start that does not succeed will tell the starter, once the process has
/// exited (so that `start` returns only after the process has ended). Owned by the
/// starting process; read by its exit hook on the same process.
@usableFromInline
final class PendingAck {
  @usableFromInline var outcome: StartAck?
  /// The exit hook that tells the starter; removed once the start has succeeded, so a
  /// running server does not keep the handshake's reply cell and closure (about 200
  /// bytes per process).
  @usableFromInline var hook: ExitHook?
  @inlinable init() {}
}

/// What a message means to a server.
@usableFromInline
enum Event<S: ServerTypes> {
  case call(S.Request, From<S.Reply>)
  case cast(S.Cast)
  case info(Message<S.Info>)
  case system(SystemRequest<S>)
  /// The parent ended while the server traps exits: stop with its reason.
  case parentExit(ExitReason)
}

@usableFromInline
enum ServerLoop<S: ServerTypes> {
  @inlinable
  static func route(_ message: Message<ServerMessage<S>>, _ box: ServerBox<S>) -> Event<S> {
    switch message {
    case .message(.call(let request, let from)): return .call(request, from)
    case .message(.cast(let cast)): return .cast(cast)
    case .message(.info(let value)): return .info(.message(value))
    case .message(.system(let request)): return .system(request)
    case .exit(let from, let reason) where from == box.parent: return .parentExit(reason)
    case .exit(let from, let reason): return .info(.exit(from: from, reason: reason))
    case .down(let ref, let pid, let reason): return .info(.down(ref, pid: pid, reason: reason))
    case .timer(let ref, .info(let value)): return .info(.timer(ref, value))
    case .timer(_, let other): return route(.message(other), box)  // a timer carrying a call/cast
    case .timeout: return .info(.timeout)
    case .io(let socket, let event): return .info(.io(socket, event))
    }
  }

  /// The start handshake's first part: arrange for the starter to hear of an early
  /// death, and register the name. Returns how to end the process if it must not start.
  @inlinable
  static func prepare(_ box: ServerBox<S>, _ ctx: ServerContext<S>, name: String?, ack: From<StartAck>, pending: PendingAck) -> Next? {
    // Every outcome but success is told from here, once the process has exited (or died:
    // killed, or a callback trap). After a successful start this does nothing.
    pending.hook = ctx.onExit { reason in ack.reply(pending.outcome ?? .failed(reason)) }
    guard let name else { return nil }
    do {
      try ctx.register(name)
      return nil
    } catch .nameTaken {
      if let holder = ctx.node.whereis(name) {
        leaveParent(box, ctx)
        pending.outcome = .alreadyStarted(holder)
        return .stop(.normal)
      }
      // The holder exited in the meantime: one more try.
      do {
        try ctx.register(name)
        return nil
      } catch {
        leaveParent(box, ctx)
        return .stop(.error(error))
      }
    } catch {
      leaveParent(box, ctx)
      return .stop(.error(error))
    }
  }

  /// The handshake's end, once `initialize` has returned.
  @inlinable
  static func started(_ result: InitResult<S>, _ box: inout ServerBox<S>, _ ctx: ServerContext<S>, ack: From<StartAck>, pending: PendingAck)
    -> Then<S>?
  {
    switch result {
    case .ok(let state, let then):
      box.state = state
      ack.reply(.started)
      if let hook = pending.hook {
        ctx.removeExitHook(hook)
        pending.hook = nil
      }
      return then
    case .ignore:
      leaveParent(box, ctx)
      pending.outcome = .ignored
      return nil
    case .stop:
      leaveParent(box, ctx)
      return nil
    }
  }

  /// A server that fails to start unlinks from its parent first, so the parent gets an
  /// error from `start` and never an exit signal (OTP 26's guarantee).
  @inlinable
  static func leaveParent(_ box: ServerBox<S>, _ ctx: ServerContext<S>) {
    if let parent = box.parent { ctx.unlink(parent) }
  }

  /// The exit reason for an error thrown by a callback.
  @inlinable
  static func reason(for error: any Error) -> ExitReason {
    (error as? ProcessExit)?.reason ?? .error(error)
  }

  @inlinable
  static func then(_ then: Then<S>, _ ctx: ServerContext<S>) -> Next? {
    switch then {
    case .wait: return .continue
    case .timeout(let d): return .continueWithTimeout(d)
    case .hibernate:
      ctx.hibernate()
      return .continue
    case .continue: return nil  // the driver runs handleContinue
    }
  }

  @inlinable
  static func status(_ box: ServerBox<S>, _ ctx: ServerContext<S>) -> ServerStatus {
    let name = ctx.node.registered().first { $0.value == ctx.pid }?.key
    return ServerStatus(
      pid: ctx.pid, module: String(describing: S.self), registeredName: name,
      state: box.state.map { box.server.formatStatus($0) } ?? "(initializing)")
  }

  /// The description the observer shows (via `Node.describeState`).
  @inlinable
  static func describe(_ box: ServerBox<S>) -> String {
    "\(S.self): " + (box.state.map { box.server.formatStatus($0) } ?? "(initializing)")
  }
}

/// Drives a `GenServer`: async callbacks.
@usableFromInline
enum Loop<S: GenServer> {
  @inlinable
  static func start(_ box: inout ServerBox<S>, _ ctx: ServerContext<S>, name: String?, ack: From<StartAck>) async throws -> Next {
    let pending = PendingAck()
    if let end = ServerLoop.prepare(box, ctx, name: name, ack: ack, pending: pending) { return end }
    let result: InitResult<S>
    do {
      result = try await box.server.initialize(ctx)
    } catch {
      ServerLoop.leaveParent(box, ctx)
      let reason = ServerLoop<S>.reason(for: error)
      ServerLoop.reportCrash(reason, last: nil, box, ctx)
      return .stop(reason)
    }
    guard let then = ServerLoop.started(result, &box, ctx, ack: ack, pending: pending) else {
      if case .stop(let reason) = result {
        ServerLoop.reportCrash(reason, last: nil, box, ctx)
        return .stop(reason)
      }
      return .stop(.normal)
    }
    return try await apply(then, &box, ctx, nil)
  }

  @inlinable
  static func handle(_ box: inout ServerBox<S>, _ message: Message<ServerMessage<S>>, _ ctx: ServerContext<S>) async throws -> Next {
    switch ServerLoop.route(message, box) {
    case .call(let request, let from):
      let result: CallResult<S>
      do {
        result = try await box.server.handleCall(request, from: from, state: &box.state!, ctx)
      } catch {
        return await crash(error, &box, ctx, message)
      }
      switch result {
      case .reply(let reply, let then):
        from.reply(reply)
        return try await apply(then, &box, ctx, message)
      case .noreply(let then):
        return try await apply(then, &box, ctx, message)
      case .stop(let reason, let reply):
        let next = await stop(reason, &box, ctx, message)
        if let reply { from.reply(reply) }
        return next
      }
    case .cast(let cast):
      return try await handled(&box, ctx, message) { box in try await box.server.handleCast(cast, state: &box.state!, ctx) }
    case .info(let info):
      return try await handled(&box, ctx, message) { box in try await box.server.handleInfo(info, state: &box.state!, ctx) }
    case .system(let request):
      return await system(request, &box, ctx)
    case .parentExit(let reason):
      return await stop(reason, &box, ctx, message)
    }
  }

  @inlinable
  static func handled(
    _ box: inout ServerBox<S>, _ ctx: ServerContext<S>, _ last: Message<ServerMessage<S>>?,
    _ callback: (inout ServerBox<S>) async throws -> HandleResult<S>
  ) async throws -> Next {
    let result: HandleResult<S>
    do {
      result = try await callback(&box)
    } catch {
      return await crash(error, &box, ctx, last)
    }
    switch result {
    case .noreply(let then): return try await apply(then, &box, ctx, last)
    case .stop(let reason): return await stop(reason, &box, ctx, last)
    }
  }

  @inlinable
  static func apply(_ then: Then<S>, _ box: inout ServerBox<S>, _ ctx: ServerContext<S>, _ last: Message<ServerMessage<S>>?)
    async throws -> Next
  {
    if let next = ServerLoop.then(then, ctx) { return next }
    guard case .continue(let value) = then else { return .continue }
    return try await handled(&box, ctx, last) { box in try await box.server.handleContinue(value, state: &box.state!, ctx) }
  }

  /// A callback threw: terminate with the error as reason. If the process is already
  /// dead (killed while suspended in the callback), terminate does not run.
  @inlinable
  static func crash(_ error: any Error, _ box: inout ServerBox<S>, _ ctx: ServerContext<S>, _ last: Message<ServerMessage<S>>?) async
    -> Next
  {
    let reason = ServerLoop<S>.reason(for: error)
    if !ctx.pid.isAlive { return .stop(reason) }
    return await stop(reason, &box, ctx, last)
  }

  /// Runs terminate, then reports the end if it is a crash (`last`: the message being
  /// handled).
  @inlinable
  static func stop(_ reason: ExitReason, _ box: inout ServerBox<S>, _ ctx: ServerContext<S>, _ last: Message<ServerMessage<S>>?) async
    -> Next
  {
    if box.state != nil { await box.server.terminate(reason, state: &box.state!, ctx) }
    ServerLoop.reportCrash(reason, last: last, box, ctx)
    return .stop(reason)
  }

  @inlinable
  static func system(_ request: SystemRequest<S>, _ box: inout ServerBox<S>, _ ctx: ServerContext<S>) async -> Next {
    switch request {
    case .stop(let reason, _):
      // The caller's reply cell is held by this process: it fails with `reason` once the
      // process has exited, which is what `stop` waits for.
      return await stop(reason, &box, ctx, .message(.system(request)))
    case .inspect(let body):
      body(&box.state!)
      return .continue
    case .status(let from):
      from.reply(ServerLoop.status(box, ctx))
      return .continue
    }
  }
}

/// Drives a `SyncGenServer`: the same steps as `Loop`, with synchronous callbacks.
@usableFromInline
enum SyncLoop<S: SyncGenServer> {
  @inlinable
  static func start(_ box: inout ServerBox<S>, _ ctx: ServerContext<S>, name: String?, ack: From<StartAck>) throws -> Next {
    let pending = PendingAck()
    if let end = ServerLoop.prepare(box, ctx, name: name, ack: ack, pending: pending) { return end }
    let result: InitResult<S>
    do {
      result = try box.server.initialize(ctx)
    } catch {
      ServerLoop.leaveParent(box, ctx)
      let reason = ServerLoop<S>.reason(for: error)
      ServerLoop.reportCrash(reason, last: nil, box, ctx)
      return .stop(reason)
    }
    guard let then = ServerLoop.started(result, &box, ctx, ack: ack, pending: pending) else {
      if case .stop(let reason) = result {
        ServerLoop.reportCrash(reason, last: nil, box, ctx)
        return .stop(reason)
      }
      return .stop(.normal)
    }
    return apply(then, &box, ctx, nil)
  }

  @inlinable
  static func handle(_ box: inout ServerBox<S>, _ message: Message<ServerMessage<S>>, _ ctx: ServerContext<S>) -> Next {
    switch ServerLoop.route(message, box) {
    case .call(let request, let from):
      let result: CallResult<S>
      do {
        result = try box.server.handleCall(request, from: from, state: &box.state!, ctx)
      } catch {
        return crash(error, &box, ctx, message)
      }
      switch result {
      case .reply(let reply, let then):
        from.reply(reply)
        return apply(then, &box, ctx, message)
      case .noreply(let then):
        return apply(then, &box, ctx, message)
      case .stop(let reason, let reply):
        let next = stop(reason, &box, ctx, message)
        if let reply { from.reply(reply) }
        return next
      }
    case .cast(let cast):
      return handled(&box, ctx, message) { box in try box.server.handleCast(cast, state: &box.state!, ctx) }
    case .info(let info):
      return handled(&box, ctx, message) { box in try box.server.handleInfo(info, state: &box.state!, ctx) }
    case .system(let request):
      switch request {
      case .stop(let reason, _): return stop(reason, &box, ctx, message)
      case .inspect(let body):
        body(&box.state!)
        return .continue
      case .status(let from):
        from.reply(ServerLoop.status(box, ctx))
        return .continue
      }
    case .parentExit(let reason):
      return stop(reason, &box, ctx, message)
    }
  }

  @inlinable
  static func handled(
    _ box: inout ServerBox<S>, _ ctx: ServerContext<S>, _ last: Message<ServerMessage<S>>?,
    _ callback: (inout ServerBox<S>) throws -> HandleResult<S>
  ) -> Next {
    let result: HandleResult<S>
    do {
      result = try callback(&box)
    } catch {
      return crash(error, &box, ctx, last)
    }
    switch result {
    case .noreply(let then): return apply(then, &box, ctx, last)
    case .stop(let reason): return stop(reason, &box, ctx, last)
    }
  }

  @inlinable
  static func apply(_ then: Then<S>, _ box: inout ServerBox<S>, _ ctx: ServerContext<S>, _ last: Message<ServerMessage<S>>?) -> Next {
    if let next = ServerLoop.then(then, ctx) { return next }
    guard case .continue(let value) = then else { return .continue }
    return handled(&box, ctx, last) { box in try box.server.handleContinue(value, state: &box.state!, ctx) }
  }

  @inlinable
  static func crash(_ error: any Error, _ box: inout ServerBox<S>, _ ctx: ServerContext<S>, _ last: Message<ServerMessage<S>>?) -> Next {
    stop(ServerLoop<S>.reason(for: error), &box, ctx, last)
  }

  /// Runs terminate, then reports the end if it is a crash.
  @inlinable
  static func stop(_ reason: ExitReason, _ box: inout ServerBox<S>, _ ctx: ServerContext<S>, _ last: Message<ServerMessage<S>>?) -> Next {
    if box.state != nil { box.server.terminate(reason, state: &box.state!, ctx) }
    ServerLoop.reportCrash(reason, last: last, box, ctx)
    return .stop(reason)
  }
}
