// What the supervision tests share: workers that record their starts and stops, and
// ways to find a child's pid and wait for an exit.
import OtterTestSupport

@testable import Actors
@testable import GenServer
@testable import Supervision

/// What test workers can be told.
enum WorkerCommand: Sendable {
  case exit(ExitReason)
}

/// A worker child: records its start and how it is stopped; optionally traps exits
/// (then it records the shutdown signal and, if `ignoreShutdown`, ignores it).
func worker(
  _ id: String, journal: Journal, restart: Restart = .permanent, shutdown: Shutdown? = nil,
  trap: Bool = false, ignoreShutdown: Bool = false, significant: Bool = false
) -> ChildSpec {
  ChildSpec(id: id, restart: restart, shutdown: shutdown, significant: significant) { ctx in
    journal.add("start \(id)")
    return ctx.spawnLink(WorkerCommand.self, state: (), options: SpawnOptions(label: id, trapExit: trap)) { _, message, _ in
      switch message {
      case .message(.exit(let reason)):
        return .stop(reason)
      case .exit(_, let reason):
        journal.add("stop \(id)")
        return ignoreShutdown ? .continue : .stop(reason)
      default:
        return .continue
      }
    }.pid
  }
}

/// The current pid of child `id`.
func pid(of id: String, in sup: GenServerRef<Supervisor>, _ node: Node) async throws -> Pid? {
  try await node.whichChildren(sup).first { $0.id == id }?.pid
}

/// Monitors `pid`, runs `trigger`, and returns the reason `pid` exits with.
func exitReason(of pid: Pid, _ node: Node, after trigger: @escaping @Sendable () -> Void = {}) async throws -> ExitReason {
  try await node.run(Never.self) { ctx -> ExitReason in
    let ref = ctx.monitor(pid)
    trigger()
    return try await ctx.receive {
      if case .down(let r, _, let why) = $0, r == ref { return why }
      return nil
    }!
  }
}
