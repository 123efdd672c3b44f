// A dynamic supervisor (OTP's simple_one_for_one, Elixir's DynamicSupervisor): children
// are started only through `startChild`, each from one template with its own arguments,
// up to `maxChildren`; restarts are one-for-one; at shutdown all children are stopped
// at once rather than one by one.
import Actors
import GenServer

/// Where a dynamic supervisor's template runs.
public typealias DynamicSupervisorContext<Args: Sendable> = ServerContext<DynamicSupervisor<Args>>

/// The template of a dynamic supervisor's children.
public struct DynamicChildSpec<Args: Sendable>: Sendable {
  public var restart: Restart
  public var shutdown: Shutdown
  public var type: ChildType
  /// Starts one child, linked to the supervisor, with its arguments.
  public var start: @Sendable (DynamicSupervisorContext<Args>, Args) async throws -> Pid?

  public init(
    restart: Restart = .permanent, shutdown: Shutdown? = nil, type: ChildType = .worker,
    start: @escaping @Sendable (DynamicSupervisorContext<Args>, Args) async throws -> Pid?
  ) {
    self.restart = restart
    self.type = type
    self.shutdown = shutdown ?? (type == .supervisor ? .infinity : .timeout(.seconds(5)))
    self.start = start
  }
}

/// A supervisor of many children made from one template.
public struct DynamicSupervisor<Args: Sendable>: GenServer {
  public let template: DynamicChildSpec<Args>
  public let intensity: Int
  public let period: Duration
  public let maxChildren: Int?

  /// OTP's defaults for intensity and period (1 in 5 s); Elixir uses 3 in 5 s.
  public init(intensity: Int = 1, period: Duration = .seconds(5), maxChildren: Int? = nil, template: DynamicChildSpec<Args>) {
    self.template = template
    self.intensity = intensity
    self.period = period
    self.maxChildren = maxChildren
  }

  public enum Request: Sendable {
    case startChild(Args)
    case terminateChild(Pid)
    case whichChildren
    case countChildren
    /// Restart history, budget and children — at most `childLimit` of them (the oldest
    /// pids; all if nil).
    case report(childLimit: Int?)
  }

  public enum Reply: Sendable {
    case started(Pid?)
    case done
    case children([ChildInfo])
    case counts(ChildCounts)
    case report(SupervisorReport)
    case failed(SupervisorError)
  }

  /// Retry of a failed restart, sent to itself.
  public enum Info: Sendable {
    case retry(Args)
  }

  public struct State {
    var children: [Pid: Args] = [:]
    var history: RestartHistory
    var retrying = 0
  }

  public func initialize(_ ctx: ServerContext<Self>) async throws -> InitResult<Self> {
    ctx.trapExit = true
    let me = GenServerRef(ctx.address)
    SupervisorDirectory.shared.enter(ctx.pid) { caller, limit, timeout throws(SupervisorError) in
      try await caller.report(me, childLimit: limit, timeout: timeout)
    }
    return .ok(State(history: RestartHistory(intensity: intensity, period: period)))
  }

  public func handleCall(_ request: Request, from: From<Reply>, state: inout State, _ ctx: ServerContext<Self>) async throws -> CallResult<
    Self
  > {
    switch request {
    case .startChild(let args):
      if let maxChildren, state.children.count >= maxChildren { return .reply(.failed(.maxChildren)) }
      do {
        let pid = try await template.start(ctx, args)
        if let pid { state.children[pid] = args }
        SupervisorLog.started(pid?.description ?? "", pid: pid, ctx)
        return .reply(.started(pid))
      } catch {
        return .reply(.failed(.startFailed(startFailure(error))))
      }
    case .terminateChild(let pid):
      guard state.children.removeValue(forKey: pid) != nil else { return .reply(.failed(.notFound)) }
      let reason = try await shutdown(pid, template.shutdown, ctx)
      SupervisorLog.checkShutdown(pid.description, pid: pid, reason: reason, shutdown: template.shutdown, restart: template.restart, ctx)
      return .reply(.done)
    case .whichChildren:
      return .reply(.children(state.children.keys.sorted().map(info)))
    case .countChildren:
      return .reply(.counts(counts(state)))
    case .report(let limit):
      let pids = limit.map { smallest($0, of: state.children.keys) } ?? state.children.keys.sorted()
      return .reply(
        .report(
          state.history.report(
            strategy: "simple_one_for_one", children: pids.map(info), counts: counts(state), autoShutdown: .never)))
    }
  }

  public func handleInfo(_ message: Message<Info>, state: inout State, _ ctx: ServerContext<Self>) async throws -> HandleResult<Self> {
    switch message {
    case .exit(let pid, let reason):
      guard let args = state.children.removeValue(forKey: pid) else { return .noreply() }
      guard template.restart.restarts(after: reason) else {
        if !reason.isOrderly { SupervisorLog(ctx).child(pid.description, pid: pid, reason: reason, action: .notRestarted) }
        return .noreply()
      }
      let now = MonotonicClock.nanoseconds()
      if !state.history.recordRestart(of: pid.description, reason: reason, at: now) {
        SupervisorLog(ctx).child(pid.description, pid: pid, reason: reason, action: .giveUp, restarts: state.history.usage(now: now))
        return await giveUp(&state, ctx)
      }
      SupervisorLog(ctx).child(pid.description, pid: pid, reason: reason, action: .restart, restarts: state.history.usage(now: now))
      return await restart(args, replacing: pid, &state, ctx)
    case .message(.retry(let args)):
      state.retrying -= 1
      if !state.history.recordRetry(at: MonotonicClock.nanoseconds()) {
        SupervisorLog(ctx).child(
          "a child", pid: nil, reason: .custom("could not be restarted"), action: .giveUp, restarts: state.history.usage())
        return await giveUp(&state, ctx)
      }
      return await restart(args, &state, ctx)
    default:
      return .noreply()
    }
  }

  /// Starts a child again with `args`; the restart log notes the new pid against the old.
  func restart(_ args: Args, replacing old: Pid? = nil, _ state: inout State, _ ctx: ServerContext<Self>) async -> HandleResult<Self> {
    do {
      if let pid = try await template.start(ctx, args) {
        state.children[pid] = args
        if let old { state.history.noteReplacement(pid, of: old.description) }
        SupervisorLog.started(pid.description, pid: pid, ctx)
      }
    } catch {
      SupervisorLog(ctx).child("a child", pid: nil, reason: startFailure(error), action: .retry, restarts: state.history.usage())
      state.retrying += 1
      ctx.address.send(.info(.retry(args)))
    }
    return .noreply()
  }

  /// Past the restart intensity: stops every child, then exits (see GiveUp.swift).
  func giveUp(_ state: inout State, _ ctx: ServerContext<Self>) async -> HandleResult<Self> {
    await stopAll(&state, ctx)
    return .stop(.restartIntensityReached)
  }

  public func terminate(_ reason: ExitReason, state: inout State, _ ctx: ServerContext<Self>) async {
    await stopAll(&state, ctx)
    SupervisorDirectory.shared.leave(ctx.pid)
  }

  func counts(_ state: State) -> ChildCounts {
    let n = state.children.count
    return ChildCounts(specs: n, active: n, supervisors: template.type == .supervisor ? n : 0, workers: template.type == .worker ? n : 0)
  }

  /// Stops every child at once: all get the shutdown signal, then the supervisor waits
  /// for each; those still alive when their timeout is up are killed.
  func stopAll(_ state: inout State, _ ctx: ServerContext<Self>) async {
    var refs: [Ref: Pid] = [:]
    let expected: ExitReason = template.shutdown == .brutalKill ? .killed : .shutdown
    for pid in state.children.keys {
      refs[ctx.monitor(pid)] = pid
      ctx.unlink(pid)
      ctx.exit(pid, reason: template.shutdown == .brutalKill ? .kill : .shutdown)
    }
    state.children = [:]
    var deadline: ContinuousClock.Instant?
    if case .timeout(let d) = template.shutdown { deadline = .now + d }
    while !refs.isEmpty {
      let timeout: Timeout = deadline.map { .after(max(.zero, $0 - .now)) } ?? .infinity
      let got = try? await ctx.receive(timeout: timeout) { message -> (Ref, ExitReason)? in
        if case .down(let r, _, let reason) = message, refs[r] != nil { return (r, reason) }
        return nil
      }
      if let (ref, reason) = got {
        if let pid = refs.removeValue(forKey: ref), reason != expected {
          SupervisorLog.checkShutdown(
            pid.description, pid: pid, reason: reason, shutdown: template.shutdown, restart: template.restart, ctx)
        }
        continue
      }
      // Timeout (or we are being killed): kill the rest and wait for them.
      for pid in refs.values { ctx.exit(pid, reason: .kill) }
      deadline = nil
      if got == nil && !ctx.pid.isAlive { return }
    }
  }

  func info(_ pid: Pid) -> ChildInfo {
    ChildInfo(
      id: pid.description, pid: pid, status: .running, type: template.type, restart: template.restart,
      shutdown: template.shutdown.description)
  }

  public func formatStatus(_ state: State) -> String {
    "simple_one_for_one, \(state.children.count) children, \(state.history.total) restarts"
  }
}

extension ServerCaller {
  func ask<Args>(_ supervisor: GenServerRef<DynamicSupervisor<Args>>, _ request: DynamicSupervisor<Args>.Request, timeout: Timeout)
    async throws(SupervisorError) -> DynamicSupervisor<Args>.Reply
  {
    let reply: DynamicSupervisor<Args>.Reply
    do {
      reply = try await call(supervisor, request, timeout: timeout)
    } catch let e as CallError {
      throw .unreachable(e)
    } catch {
      throw .unreachable(.exited((error as? ProcessExit)?.reason ?? .error(error)))
    }
    if case .failed(let e) = reply { throw e }
    return reply
  }

  /// Starts a child from the template with `args`. Nil if its start ignored.
  /// Throws `.maxChildren` at the limit, `.startFailed` if the start failed.
  public func startChild<Args>(_ supervisor: GenServerRef<DynamicSupervisor<Args>>, _ args: Args, timeout: Timeout = .infinity)
    async throws(SupervisorError) -> Pid?
  {
    guard case .started(let pid) = try await ask(supervisor, .startChild(args), timeout: timeout) else { return nil }
    return pid
  }

  /// Stops a child (by pid, as for simple_one_for_one) with the template's shutdown.
  public func terminateChild<Args>(_ supervisor: GenServerRef<DynamicSupervisor<Args>>, pid: Pid, timeout: Timeout = .infinity)
    async throws(SupervisorError)
  {
    _ = try await ask(supervisor, .terminateChild(pid), timeout: timeout)
  }

  public func whichChildren<Args>(_ supervisor: GenServerRef<DynamicSupervisor<Args>>, timeout: Timeout = .seconds(5))
    async throws(SupervisorError) -> [ChildInfo]
  {
    guard case .children(let list) = try await ask(supervisor, .whichChildren, timeout: timeout) else { return [] }
    return list
  }

  public func countChildren<Args>(_ supervisor: GenServerRef<DynamicSupervisor<Args>>, timeout: Timeout = .seconds(5))
    async throws(SupervisorError) -> ChildCounts
  {
    guard case .counts(let c) = try await ask(supervisor, .countChildren, timeout: timeout) else {
      return ChildCounts(specs: 0, active: 0, supervisors: 0, workers: 0)
    }
    return c
  }

  /// Restart history and budget, with at most `childLimit` children listed (the oldest
  /// pids; all if nil; `counts` always covers all).
  public func report<Args>(_ supervisor: GenServerRef<DynamicSupervisor<Args>>, childLimit: Int? = nil, timeout: Timeout = .seconds(5))
    async throws(SupervisorError) -> SupervisorReport
  {
    guard case .report(let r) = try await ask(supervisor, .report(childLimit: childLimit), timeout: timeout) else { throw .notFound }
    return r
  }
}
