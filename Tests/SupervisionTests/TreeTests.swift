import OtterTestSupport
import XCTest

@testable import Actors
@testable import GenServer
@testable import Supervision

/// Trees: escalation exactly at the budget, and a chaos test.
final class TreeTests: XCTestCase {
  func testEscalationHappensExactlyWhenTheBudgetIsExceeded() async throws {
    try await withNode { node in
      let journal = Journal()
      let leaf = Supervisor(SupervisorFlags(intensity: 2, period: .seconds(30)), children: [worker("w", journal: journal)])
      let root = try await node.start(
        Supervisor(
          SupervisorFlags(intensity: 5, period: .seconds(30)), children: [.supervisor(id: "leaf", leaf)]))!
      func leafRef() async throws -> GenServerRef<Supervisor> {
        let pid = try await node.whichChildren(root)[0].pid!
        return GenServerRef(pid.address(as: ServerMessage<Supervisor>.self)!)
      }
      let leaf1 = try await leafRef()
      // Two crashes: within the leaf's budget, the leaf survives.
      for n in 1...2 {
        let old = try await pid(of: "w", in: leaf1, node)!
        old.address(as: WorkerCommand.self)!.send(.exit(.custom("crash")))
        try await eventually("w restarted after crash \(n)") { try await pid(of: "w", in: leaf1, node).map { $0 != old } ?? false }
        XCTAssertTrue(leaf1.pid.isAlive, "the leaf is within its budget after \(n) restarts")
      }
      let awaited1 = try await node.report(root).totalRestarts
      XCTAssertEqual(awaited1, 0, "nothing escalated yet")
      // The third crash exceeds it: the leaf gives up and the root restarts it.
      let last = try await pid(of: "w", in: leaf1, node)!
      let reason = try await exitReason(of: leaf1.pid, node) { last.address(as: WorkerCommand.self)!.send(.exit(.custom("crash"))) }
      XCTAssertEqual(reason, .shutdownWith(Supervisor.gaveUp))
      try await eventually("the leaf supervisor replaced") { try await leafRef().pid != leaf1.pid }
      let report = try await node.report(root)
      XCTAssertEqual(report.totalRestarts, 1)
      XCTAssertEqual(report.recentRestarts.first?.child, "leaf")
      XCTAssertEqual(journal.count("start w"), 4, "1 + 2 restarts, then 1 in the new leaf")
    }
  }

  func testChaosOnAThousandWorkersConvergesBackToFullHealth() async throws {
    try await withNode { node in
      let journal = Journal()
      // root → 10 supervisors → 10 supervisors → 10 workers = 1,000 workers.
      func leaf(_ i: Int, _ j: Int) -> Supervisor {
        Supervisor(
          SupervisorFlags(intensity: 1000, period: .seconds(60)),
          children: (0..<10).map { worker("w\(i).\($0)", journal: journal) })
      }
      func middle(_ i: Int) -> Supervisor {
        Supervisor(
          SupervisorFlags(strategy: .oneForOne, intensity: 1000, period: .seconds(60)),
          children: (0..<10).map { ChildSpec.supervisor(id: "s\(i).\($0)", leaf(i, $0)) })
      }
      let root = try await node.start(
        Supervisor(
          SupervisorFlags(intensity: 1000, period: .seconds(60)),
          children: (0..<10).map { ChildSpec.supervisor(id: "m\($0)", middle($0)) }))!
      let workers = { node.snapshot().filter { $0.kind == "handler" && ($0.label ?? "").hasPrefix("w") } }
      XCTAssertEqual(workers().count, 1000)
      let supervisorsBefore = node.processCount - 1000
      var rng = SystemRandomNumberGenerator()
      // 300 random kills, some of workers, some of supervisors at both levels.
      for round in 0..<300 {
        let all = node.snapshot().filter { $0.pid != root.pid && $0.kind == "handler" }
        guard let victim = all.randomElement(using: &rng) else { break }
        node.exit(victim.pid, reason: round % 3 == 0 ? .kill : .custom("chaos"))
        if round % 10 == 0 { try await Task.sleep(for: .milliseconds(1)) }
      }
      try await eventually("workers \(workers().count)/1000, processes \(node.processCount)", timeout: .seconds(20)) {
        workers().count == 1000 && node.processCount == supervisorsBefore + 1000
      }
      XCTAssertTrue(root.pid.isAlive)
      // Every worker answers.
      for w in workers().prefix(50) { XCTAssertTrue(w.pid.isAlive) }
    }
  }
}
