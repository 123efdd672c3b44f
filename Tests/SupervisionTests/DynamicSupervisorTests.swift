import OtterTestSupport
import XCTest

@testable import Actors
@testable import GenServer
@testable import Supervision

/// Dynamic supervisors: children from a template with arguments, limits, concurrent shutdown.
final class DynamicSupervisorTests: XCTestCase {
  /// Children that remember their argument and can be told to exit; they trap exits and
  /// take `stopDelay` to stop.
  func template(_ journal: Journal, restart: Restart = .permanent, stopDelay: Duration = .zero) -> DynamicChildSpec<String> {
    DynamicChildSpec(restart: restart, shutdown: .timeout(.seconds(2))) { ctx, name in
      journal.add("start \(name)")
      return ctx.spawnLink(WorkerCommand.self, state: (), options: SpawnOptions(label: name, trapExit: true)) { _, message, c in
        switch message {
        case .message(.exit(let r)): return .stop(r)
        case .exit(_, let r):
          try await c.sleep(for: stopDelay)
          journal.add("stop \(name)")
          return .stop(r)
        default: return .continue
        }
      }.pid
    }
  }

  func testStartChildWithArgumentsAndRestartWithTheSame() async throws {
    try await withNode { node in
      let journal = Journal()
      let sup = try await node.start(DynamicSupervisor(intensity: 5, template: template(journal)))!
      let a = try await node.startChild(sup, "alpha")!
      _ = try await node.startChild(sup, "beta")
      let awaited1 = try await node.countChildren(sup).active
      XCTAssertEqual(awaited1, 2)
      a.address(as: WorkerCommand.self)!.send(.exit(.custom("crash")))
      try await eventually("a restart with the same argument") { journal.count("start alpha") == 2 }
      let children = try await node.whichChildren(sup)
      XCTAssertEqual(children.count, 2)
      XCTAssertFalse(children.contains { $0.pid == a })
    }
  }

  func testMaxChildren() async throws {
    try await withNode { node in
      let journal = Journal()
      let sup = try await node.start(DynamicSupervisor(maxChildren: 2, template: template(journal)))!
      _ = try await node.startChild(sup, "1")
      _ = try await node.startChild(sup, "2")
      do {
        _ = try await node.startChild(sup, "3")
        XCTFail()
      } catch { XCTAssertEqual(error as? SupervisorError, .maxChildren) }
    }
  }

  func testTerminateChildByPidAndTemporaryChildrenAreNotRestarted() async throws {
    try await withNode { node in
      let journal = Journal()
      let sup = try await node.start(DynamicSupervisor(template: template(journal, restart: .temporary)))!
      let a = try await node.startChild(sup, "a")!
      let b = try await node.startChild(sup, "b")!
      try await node.terminateChild(sup, pid: a)
      XCTAssertFalse(a.isAlive)
      XCTAssertTrue(journal.all.contains("stop a"))
      do {
        try await node.terminateChild(sup, pid: a)
        XCTFail()
      } catch { XCTAssertEqual(error as? SupervisorError, .notFound) }
      b.address(as: WorkerCommand.self)!.send(.exit(.custom("crash")))
      try await eventually("no active children") { try await node.countChildren(sup).active == 0 }
      XCTAssertEqual(journal.count("start b"), 1)
    }
  }

  func testShutdownStopsAllChildrenConcurrently() async throws {
    try await withNode { node in
      let journal = Journal()
      let sup = try await node.start(DynamicSupervisor(template: template(journal, stopDelay: .milliseconds(100))))!
      for i in 0..<10 { _ = try await node.startChild(sup, "c\(i)") }
      let t0 = ContinuousClock.now
      try await node.stop(sup, reason: .shutdown)
      let took = ContinuousClock.now - t0
      XCTAssertEqual(journal.all.filter { $0.hasPrefix("stop") }.count, 10)
      XCTAssertLessThan(took, .milliseconds(600), "ten 100 ms stops in parallel, not in sequence")
    }
  }

  func testGivesUpPastItsIntensity() async throws {
    try await withNode { node in
      let journal = Journal()
      let sup = try await node.start(DynamicSupervisor(intensity: 1, period: .seconds(10), template: template(journal)))!
      let a = try await node.startChild(sup, "a")!
      a.address(as: WorkerCommand.self)!.send(.exit(.custom("crash")))
      try await eventually("a restart of a") { journal.count("start a") == 2 }
      let second = try await node.whichChildren(sup)[0].pid!
      let reason = try await exitReason(of: sup.pid, node) { second.address(as: WorkerCommand.self)!.send(.exit(.custom("crash"))) }
      XCTAssertEqual(reason, .shutdownWith(Supervisor.gaveUp))
    }
  }
}
