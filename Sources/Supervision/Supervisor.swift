// The supervisor: a GenServer whose state is its children. It traps exits; a child's
// EXIT triggers the restart strategy, checked against the restart intensity; past the
// budget it stops every child and exits with `shutdown`, so the failure escalates to
// its own supervisor. Children start left to right and stop right to left, each with
// its shutdown protocol. Reference: erlang/otp lib/stdlib/src/supervisor.erl.
import Actors
import GenServer

/// A static supervisor (one_for_one, one_for_all, rest_for_one).
///
/// ```swift
/// let root = try await node.start(Supervisor(.init(strategy: .oneForAll, intensity: 3), children: [
///   .server(id: "db", Database()),
///   .server(id: "web", WebServer()),
/// ]))
/// ```
public struct Supervisor: GenServer {
  public let flags: SupervisorFlags
  public let children: [ChildSpec]

  public init(_ flags: SupervisorFlags = SupervisorFlags(), children: [ChildSpec]) {
    self.flags = flags
    self.children = children
  }

  public enum Request: Sendable {
    case startChild(ChildSpec)
    /// Starts the new spec, then stops and removes the child `id` (see `replaceChild`).
    case replaceChild(String, ChildSpec)
    case terminateChild(String)
    case restartChild(String)
    case deleteChild(String)
    case whichChildren
    case countChildren
    case childSpec(String)
    /// Restart history, budget and children — at most `childLimit` of them (all if nil).
    case report(childLimit: Int?)
  }

  public enum Reply: Sendable {
    case started(Pid?)
    case done
    case children([ChildInfo])
    case counts(ChildCounts)
    case spec(ChildSpec)
    case report(SupervisorReport)
    case failed(SupervisorError)
  }

  /// Sent by the supervisor to itself: a restart delayed by backoff (already counted
  /// against the intensity), or a retry after a failed restart (counted when it runs).
  public enum Info: Sendable {
    case delayedRestart([String])
    case retry([String])
  }

  public struct State {
    var children: [Child]
    var history: RestartHistory
    var random = SystemRandomNumberGenerator()
  }

  struct Child {
    var spec: ChildSpec
    var pid: Pid?
    var restarting = false
    /// Consecutive restarts (each after a short run), for the backoff delay and
    /// `maxRestarts`.
    var failures = 0
    var startedAt: UInt64 = 0
    /// Restarts since the supervisor started (for the observer).
    var restarts = 0
    /// The reasons of its last exits, newest last (for give-up reports).
    var recentExits: [String] = []

    mutating func noteExit(_ reason: ExitReason) {
      recentExits.append(reason.description)
      if recentExits.count > 3 { recentExits.removeFirst() }
    }
  }

  public func initialize(_ ctx: ServerContext<Self>) async throws -> InitResult<Self> {
    ctx.trapExit = true
    var state = State(children: [], history: RestartHistory(intensity: flags.intensity, period: flags.period))
    var seen = Set<String>()
    for spec in children {
      if let problem = validate(spec) { return .stop(.shutdownWith("invalid child spec \(spec.id): \(problem)")) }
      if !seen.insert(spec.id).inserted { return .stop(.shutdownWith("duplicate child id \(spec.id)")) }
    }
    let me = GenServerRef(ctx.address)
    let restart: SupervisorDirectory.Restart = { caller, id, timeout throws(SupervisorError) in
      try await caller.terminateChild(me, id: id, timeout: timeout)
      return try await caller.restartChild(me, id: id, timeout: timeout)
    }
    SupervisorDirectory.shared.enter(ctx.pid, restart: restart) { caller, limit, timeout throws(SupervisorError) in
      try await caller.report(me, childLimit: limit, timeout: timeout)
    }
    // Start left to right; on a failure, stop the ones already started (right to left).
    for spec in children {
      do {
        let pid = try await spec.start(ctx)
        SupervisorLog.started(spec.id, pid: pid, ctx)
        if pid == nil && spec.restart == .temporary { continue }
        state.children.append(Child(spec: spec, pid: pid, startedAt: MonotonicClock.nanoseconds()))
      } catch {
        SupervisorLog(ctx).child(spec.id, pid: nil, reason: startFailure(error), action: .stop)
        await terminateAll(&state, ctx)
        SupervisorDirectory.shared.leave(ctx.pid)
        return .stop(.shutdownWith("failed to start child \(spec.id): \(startFailure(error))"))
      }
    }
    return .ok(state)
  }

  public func handleCall(_ request: Request, from: From<Reply>, state: inout State, _ ctx: ServerContext<Self>) async throws -> CallResult<
    Self
  > {
    switch request {
    case .startChild(let spec):
      if let problem = validate(spec) { return .reply(.failed(.invalidSpec(problem))) }
      if let existing = state.children.first(where: { $0.spec.id == spec.id }) {
        return .reply(.failed(existing.pid.map(SupervisorError.alreadyStarted) ?? .alreadyPresent))
      }
      do {
        let pid = try await spec.start(ctx)
        SupervisorLog.started(spec.id, pid: pid, ctx)
        if pid != nil || spec.restart != .temporary {
          state.children.append(Child(spec: spec, pid: pid, startedAt: MonotonicClock.nanoseconds()))
        }
        return .reply(.started(pid))
      } catch {
        return .reply(.failed(.startFailed(startFailure(error))))
      }
    case .terminateChild(let id):
      guard let i = state.children.firstIndex(where: { $0.spec.id == id }) else { return .reply(.failed(.notFound)) }
      if let pid = state.children[i].pid {
        let spec = state.children[i].spec
        let reason = try await shutdown(pid, spec.shutdown, ctx)
        SupervisorLog.checkShutdown(spec.id, pid: pid, reason: reason, shutdown: spec.shutdown, restart: spec.restart, ctx)
      }
      state.children[i].pid = nil
      state.children[i].restarting = false
      if state.children[i].spec.restart == .temporary { state.children.remove(at: i) }
      return .reply(.done)
    case .replaceChild(let id, let spec):
      return .reply(try await replace(id, with: spec, &state, ctx))
    case .restartChild(let id):
      guard let i = state.children.firstIndex(where: { $0.spec.id == id }) else { return .reply(.failed(.notFound)) }
      if state.children[i].pid != nil { return .reply(.failed(.running)) }
      if state.children[i].restarting { return .reply(.failed(.restarting)) }
      do {
        let pid = try await state.children[i].spec.start(ctx)
        SupervisorLog.started(id, pid: pid, ctx)
        state.children[i].pid = pid
        state.children[i].startedAt = MonotonicClock.nanoseconds()
        state.children[i].failures = 0
        return .reply(.started(pid))
      } catch {
        return .reply(.failed(.startFailed(startFailure(error))))
      }
    case .deleteChild(let id):
      guard let i = state.children.firstIndex(where: { $0.spec.id == id }) else { return .reply(.failed(.notFound)) }
      if state.children[i].pid != nil { return .reply(.failed(.running)) }
      if state.children[i].restarting { return .reply(.failed(.restarting)) }
      state.children.remove(at: i)
      return .reply(.done)
    case .whichChildren:
      return .reply(.children(state.children.map(info)))
    case .countChildren:
      return .reply(.counts(counts(state.children)))
    case .childSpec(let id):
      guard let child = state.children.first(where: { $0.spec.id == id }) else { return .reply(.failed(.notFound)) }
      return .reply(.spec(child.spec))
    case .report(let limit):
      return .reply(.report(report(&state, childLimit: limit)))
    }
  }

  public func handleInfo(_ message: Message<Info>, state: inout State, _ ctx: ServerContext<Self>) async throws -> HandleResult<Self> {
    switch message {
    case .exit(let pid, let reason):
      guard let i = state.children.firstIndex(where: { $0.pid == pid }) else { return .noreply() }
      return try await childExited(at: i, pid: pid, reason: reason, &state, ctx)
    case .message(.delayedRestart(let ids)):
      let waiting = ids.filter { id in state.children.contains { $0.spec.id == id && $0.restarting } }
      return waiting.isEmpty ? .noreply() : try await startGroup(waiting, &state, ctx)
    case .message(.retry(let ids)):
      let waiting = ids.filter { id in state.children.contains { $0.spec.id == id && $0.restarting } }
      if waiting.isEmpty { return .noreply() }
      // A retry is another restart: it counts against the intensity.
      if !state.history.recordRetry(at: MonotonicClock.nanoseconds()) {
        SupervisorLog(ctx).child(
          waiting.joined(separator: ","), pid: nil, reason: .custom("could not be restarted"), action: .giveUp,
          restarts: state.history.usage())
        return await giveUp(&state, ctx)
      }
      return try await startGroup(waiting, &state, ctx)
    default:
      return .noreply()
    }
  }

  public func terminate(_ reason: ExitReason, state: inout State, _ ctx: ServerContext<Self>) async {
    await terminateAll(&state, ctx)
    SupervisorDirectory.shared.leave(ctx.pid)
  }

  public func formatStatus(_ state: State) -> String {
    let running = state.children.filter { $0.pid != nil }.count
    return "\(flags.strategy.rawValue), \(running)/\(state.children.count) children running, \(state.history.total) restarts"
  }

  // MARK: - Restarts

  func childExited(at i: Int, pid: Pid, reason: ExitReason, _ state: inout State, _ ctx: ServerContext<Self>) async throws
    -> HandleResult<Self>
  {
    state.children[i].pid = nil
    let child = state.children[i]
    guard child.spec.restart.restarts(after: reason) else {
      if !reason.isOrderly { SupervisorLog(ctx).child(child.spec.id, pid: pid, reason: reason, action: .notRestarted) }
      if child.spec.restart == .temporary { state.children.remove(at: i) }
      if child.spec.significant && autoShutdownDue(state) {
        await terminateAll(&state, ctx)
        return .stop(.shutdown)
      }
      return .noreply()
    }
    let t = MonotonicClock.nanoseconds()
    // Consecutive failures of a child that did not run long enough: what the backoff
    // delay grows with and `maxRestarts` bounds.
    let backoff = child.spec.backoff ?? flags.backoff
    if t &- child.startedAt >= (backoff?.resetAfter ?? flags.period).clampedNanoseconds { state.children[i].failures = 0 }
    state.children[i].failures += 1
    state.children[i].noteExit(reason)
    let exits = state.children[i].recentExits
    if let most = child.spec.maxRestarts, state.children[i].failures > most {
      SupervisorLog(ctx).child(
        child.spec.id, pid: pid, reason: reason, action: .maxRestarts, exits: exits, inARow: (state.children[i].failures - 1, most))
      if child.spec.significant && autoShutdownDue(state) {
        await terminateAll(&state, ctx)
        return .stop(.shutdown)
      }
      return .noreply()
    }
    if !state.history.recordRestart(of: child.spec.id, reason: reason, at: t) {
      SupervisorLog(ctx).child(
        child.spec.id, pid: pid, reason: reason, action: .giveUp, restarts: state.history.usage(now: t), exits: exits)
      return await giveUp(&state, ctx)
    }
    state.children[i].restarts += 1
    // The group to restart, by id (indices move as temporary children go).
    var group: [String]
    switch flags.strategy {
    case .oneForOne:
      group = [child.spec.id]
    case .oneForAll:
      group = state.children.map(\.spec.id)
      await terminate(range: 0..<state.children.count, except: i, &state, ctx)
    case .restForOne:
      group = state.children[i...].map(\.spec.id)
      await terminate(range: (i + 1)..<state.children.count, except: nil, &state, ctx)
    }
    // Temporary siblings stopped for the group are gone for good.
    group = group.filter { id in state.children.contains { $0.spec.id == id } }
    let usage = state.history.usage(now: t)
    let siblings = group.filter { $0 != child.spec.id }
    if let backoff, let failures = state.children.first(where: { $0.spec.id == child.spec.id })?.failures {
      let delay = backoff.delay(attempt: failures, random: Double.random(in: 0..<1, using: &state.random))
      if delay > .zero {
        SupervisorLog(ctx).child(child.spec.id, pid: pid, reason: reason, action: .restart, restarts: usage, also: siblings, delay: delay)
        for id in group { mark(id, restarting: true, &state) }
        ctx.sendAfter(delay, to: ctx.address, .info(.delayedRestart(group)))
        return .noreply()
      }
    }
    SupervisorLog(ctx).child(child.spec.id, pid: pid, reason: reason, action: .restart, restarts: usage, also: siblings)
    return try await startGroup(group, &state, ctx)
  }

  /// Starts the children `ids`, left to right. If one fails, it and the rest of the group
  /// wait in `restarting` and the supervisor retries them through a message to itself,
  /// so that it keeps reading its mailbox between attempts (supervisor.erl's
  /// try_again_restart).
  func startGroup(_ ids: [String], _ state: inout State, _ ctx: ServerContext<Self>) async throws -> HandleResult<Self> {
    for (n, id) in ids.enumerated() {
      guard let i = state.children.firstIndex(where: { $0.spec.id == id }) else { continue }
      do {
        let pid = try await state.children[i].spec.start(ctx)
        SupervisorLog.started(id, pid: pid, ctx)
        state.children[i].pid = pid
        state.children[i].restarting = false
        state.children[i].startedAt = MonotonicClock.nanoseconds()
        if pid == nil && state.children[i].spec.restart == .temporary { state.children.remove(at: i) }
      } catch {
        SupervisorLog(ctx).child(id, pid: nil, reason: startFailure(error), action: .retry, restarts: state.history.usage())
        let rest = Array(ids[n...])
        for r in rest { mark(r, restarting: true, &state) }
        ctx.address.send(.info(.retry(rest)))
        return .noreply()
      }
    }
    return .noreply()
  }

  /// Starts `spec`, then stops and removes the child `id`; the new child takes its place
  /// in the start order. The old child runs until the new one has started (for an OS
  /// process with readiness: is ready), so there is no moment with neither. Nothing is
  /// stopped if the new one fails to start. No EXIT is processed in between (this runs
  /// in one call), so an old child that ends meanwhile is simply gone when it is stopped.
  func replace(_ id: String, with spec: ChildSpec, _ state: inout State, _ ctx: ServerContext<Self>) async throws -> Reply {
    if let problem = validate(spec) { return .failed(.invalidSpec(problem)) }
    guard state.children.contains(where: { $0.spec.id == id }) else { return .failed(.notFound) }
    if spec.id != id, let existing = state.children.first(where: { $0.spec.id == spec.id }) {
      return .failed(existing.pid.map(SupervisorError.alreadyStarted) ?? .alreadyPresent)
    }
    let pid: Pid?
    do {
      pid = try await spec.start(ctx)
    } catch {
      return .failed(.startFailed(startFailure(error)))
    }
    SupervisorLog.started(spec.id, pid: pid, ctx)
    let i = state.children.firstIndex { $0.spec.id == id }!
    let old = state.children[i]
    if let oldPid = old.pid {
      let reason = try await shutdown(oldPid, old.spec.shutdown, ctx)
      SupervisorLog.checkShutdown(old.spec.id, pid: oldPid, reason: reason, shutdown: old.spec.shutdown, restart: old.spec.restart, ctx)
    }
    if pid == nil && spec.restart == .temporary {
      state.children.remove(at: i)
    } else {
      state.children[i] = Child(spec: spec, pid: pid, startedAt: MonotonicClock.nanoseconds())
    }
    return .started(pid)
  }

  /// Past the restart intensity: stops every child, then exits (see GiveUp.swift).
  func giveUp(_ state: inout State, _ ctx: ServerContext<Self>) async -> HandleResult<Self> {
    await terminateAll(&state, ctx)
    return .stop(.restartIntensityReached)
  }

  func autoShutdownDue(_ state: State) -> Bool {
    switch flags.autoShutdown {
    case .never: return false
    case .anySignificant: return true
    case .allSignificant: return !state.children.contains { $0.spec.significant && $0.pid != nil }
    }
  }

  // MARK: - Stopping children

  /// Stops every child, right to left.
  func terminateAll(_ state: inout State, _ ctx: ServerContext<Self>) async {
    await terminate(range: 0..<state.children.count, except: nil, &state, ctx)
  }

  /// Stops the running children in `range`, right to left; temporary ones are removed.
  func terminate(range: Range<Int>, except: Int?, _ state: inout State, _ ctx: ServerContext<Self>) async {
    for i in range.reversed() where i != except {
      if let pid = state.children[i].pid {
        let spec = state.children[i].spec
        if let reason = try? await shutdown(pid, spec.shutdown, ctx) {
          SupervisorLog.checkShutdown(spec.id, pid: pid, reason: reason, shutdown: spec.shutdown, restart: spec.restart, ctx)
        }
        state.children[i].pid = nil
      }
      state.children[i].restarting = false
    }
    state.children.removeAll { $0.spec.restart == .temporary && $0.pid == nil && !$0.restarting }
  }

  // MARK: - Reporting

  func info(_ child: Child) -> ChildInfo {
    var info = ChildInfo(
      id: child.spec.id, pid: child.pid,
      status: child.pid != nil ? .running : (child.restarting ? .restarting : .stopped),
      type: child.spec.type, restart: child.spec.restart, shutdown: child.spec.shutdown.description)
    info.restarts = child.restarts
    info.os = child.pid.flatMap { OSProcess.status(of: $0) }
    return info
  }

  func report(_ state: inout State, childLimit: Int? = nil) -> SupervisorReport {
    let shown = childLimit.map { state.children.prefix(max(0, $0)) } ?? state.children[...]
    return state.history.report(
      strategy: flags.strategy.rawValue, children: shown.map(info), counts: counts(state.children),
      autoShutdown: flags.autoShutdown)
  }

  func mark(_ id: String, restarting: Bool, _ state: inout State) {
    if let i = state.children.firstIndex(where: { $0.spec.id == id }) { state.children[i].restarting = restarting }
  }
}

// MARK: - Helpers shared with DynamicSupervisor

/// Checks OTP's rules on a spec; a description of the problem, or nil.
func validate(_ spec: ChildSpec) -> String? {
  if spec.id.isEmpty { return "empty id" }
  if spec.significant && spec.restart == .permanent { return "a significant child cannot be permanent" }
  return nil
}

/// Stops `pid` with `protocol` (shutdown signal, wait, then kill) and returns its exit
/// reason. The child is unlinked first and watched with a monitor, so no EXIT reaches
/// the supervisor for a child it stops itself.
func shutdown<M>(_ pid: Pid, _ protocol: Shutdown, _ ctx: Context<M>) async throws -> ExitReason {
  let ref = ctx.monitor(pid)
  ctx.unlink(pid)
  func down(_ timeout: Timeout) async throws -> ExitReason? {
    try await ctx.receive(timeout: timeout) { message -> ExitReason? in
      if case .down(let r, _, let reason) = message, r == ref { return reason }
      return nil
    }
  }
  switch `protocol` {
  case .brutalKill:
    ctx.exit(pid, reason: .kill)
    return try await down(.infinity) ?? .killed
  case .timeout(let d):
    ctx.exit(pid, reason: .shutdown)
    if let reason = try await down(.after(d)) { return reason }
    ctx.exit(pid, reason: .kill)
    return try await down(.infinity) ?? .killed
  case .infinity:
    ctx.exit(pid, reason: .shutdown)
    return try await down(.infinity) ?? .shutdown
  }
}

func startFailure(_ error: any Error) -> ExitReason {
  if let e = error as? StartError {
    switch e {
    case .failed(let r): return r
    case .timeout: return .custom("timeout")
    case .alreadyStarted(let pid): return .custom("already started: \(pid)")
    }
  }
  return (error as? ProcessExit)?.reason ?? .error(error)
}

func counts(_ children: [Supervisor.Child]) -> ChildCounts {
  ChildCounts(
    specs: children.count, active: children.filter { $0.pid != nil }.count,
    supervisors: children.filter { $0.spec.type == .supervisor }.count,
    workers: children.filter { $0.spec.type == .worker }.count)
}

func seconds(_ d: Duration) -> Double { Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18 }
