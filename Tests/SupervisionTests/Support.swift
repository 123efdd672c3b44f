import Foundation
import XCTest
@testable import Actors
@testable import GenServer
@testable import Supervision

func withNode<R>(schedulers: Int = 2, _ body: (Node) async throws -> R) async throws -> R {
  let node = try Node(schedulers: schedulers)
  defer { node.shutdown(timeout: .milliseconds(500)) }
  return try await body(node)
}

/// Records events in order, from any process.
final class Journal: @unchecked Sendable {
  // Guarded by `lock`.
  private let lock = NSLock()
  private var items: [String] = []
  func add(_ s: String) { lock.lock(); items.append(s); lock.unlock() }
  var all: [String] { lock.lock(); defer { lock.unlock() }; return items }
  func count(_ s: String) -> Int { all.filter { $0 == s }.count }
  func reset() { lock.lock(); items = []; lock.unlock() }
}

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

/// Polls until `condition` holds.
func eventually(timeout: Double = 5, _ condition: () async throws -> Bool) async rethrows -> Bool {
  let deadline = Date().addingTimeInterval(timeout)
  while Date() < deadline {
    if try await condition() { return true }
    try? await Task.sleep(for: .milliseconds(2))
  }
  return false
}

/// Monitors `pid`, runs `trigger`, and returns the reason `pid` exits with.
func exitReason(of pid: Pid, _ node: Node, after trigger: @escaping @Sendable () -> Void = {}) async throws -> ExitReason {
  try await node.run(Never.self) { ctx -> ExitReason in
    let ref = ctx.monitor(pid)
    trigger()
    return try await ctx.receive { if case .down(let r, _, let why) = $0, r == ref { return why }; return nil }!
  }
}
