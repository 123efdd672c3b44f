// The supervisor API (supervisor.erl's start_child, terminate_child, ...), usable from a
// process (`Context`) and from outside (`Node`).
import Actors
import GenServer

extension ServerCaller {
  func ask(_ supervisor: GenServerRef<Supervisor>, _ request: Supervisor.Request, timeout: Timeout) async throws(SupervisorError)
    -> Supervisor.Reply
  {
    let reply: Supervisor.Reply
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

  /// Adds and starts a child. Returns its pid, or nil if its start ignored.
  public func startChild(_ supervisor: GenServerRef<Supervisor>, _ spec: ChildSpec, timeout: Timeout = .infinity)
    async throws(SupervisorError) -> Pid?
  {
    guard case .started(let pid) = try await ask(supervisor, .startChild(spec), timeout: timeout) else { return nil }
    return pid
  }

  /// Replaces the child `id` with `spec`, never leaving neither running: starts the new
  /// child first (waiting for it as `startChild` does — for an OS process with readiness,
  /// until it is ready), then stops the old one with its shutdown protocol and removes
  /// its spec. The new child takes the old one's place in the start order and may keep
  /// its id. A rolling reload does this child by child. If the new child fails to start
  /// (`.startFailed`), the old one is left as it was.
  public func replaceChild(_ supervisor: GenServerRef<Supervisor>, id: String, with spec: ChildSpec, timeout: Timeout = .infinity)
    async throws(SupervisorError) -> Pid?
  {
    guard case .started(let pid) = try await ask(supervisor, .replaceChild(id, spec), timeout: timeout) else { return nil }
    return pid
  }

  /// Stops a child with its shutdown protocol. Its spec is kept (unless temporary), so
  /// `restartChild` can start it again.
  public func terminateChild(_ supervisor: GenServerRef<Supervisor>, id: String, timeout: Timeout = .infinity) async throws(SupervisorError)
  {
    _ = try await ask(supervisor, .terminateChild(id), timeout: timeout)
  }

  /// Starts again a child that is not running.
  public func restartChild(_ supervisor: GenServerRef<Supervisor>, id: String, timeout: Timeout = .infinity) async throws(SupervisorError)
    -> Pid?
  {
    guard case .started(let pid) = try await ask(supervisor, .restartChild(id), timeout: timeout) else { return nil }
    return pid
  }

  /// Removes the spec of a child that is not running.
  public func deleteChild(_ supervisor: GenServerRef<Supervisor>, id: String, timeout: Timeout = .seconds(5)) async throws(SupervisorError)
  {
    _ = try await ask(supervisor, .deleteChild(id), timeout: timeout)
  }

  /// The children, in start order.
  public func whichChildren(_ supervisor: GenServerRef<Supervisor>, timeout: Timeout = .seconds(5)) async throws(SupervisorError)
    -> [ChildInfo]
  {
    guard case .children(let list) = try await ask(supervisor, .whichChildren, timeout: timeout) else { return [] }
    return list
  }

  public func countChildren(_ supervisor: GenServerRef<Supervisor>, timeout: Timeout = .seconds(5)) async throws(SupervisorError)
    -> ChildCounts
  {
    guard case .counts(let c) = try await ask(supervisor, .countChildren, timeout: timeout) else {
      return ChildCounts(specs: 0, active: 0, supervisors: 0, workers: 0)
    }
    return c
  }

  public func childSpec(_ supervisor: GenServerRef<Supervisor>, id: String, timeout: Timeout = .seconds(5)) async throws(SupervisorError)
    -> ChildSpec
  {
    guard case .spec(let spec) = try await ask(supervisor, .childSpec(id), timeout: timeout) else { throw .notFound }
    return spec
  }

  /// Restart history and budget, for the observer, with at most `childLimit` children
  /// listed (all if nil; `counts` always covers all).
  public func report(_ supervisor: GenServerRef<Supervisor>, childLimit: Int? = nil, timeout: Timeout = .seconds(5))
    async throws(SupervisorError) -> SupervisorReport
  {
    guard case .report(let r) = try await ask(supervisor, .report(childLimit: childLimit), timeout: timeout) else { throw .notFound }
    return r
  }
}
