import OtterTestSupport
import XCTest

@testable import Actors
@testable import GenServer
@testable import Supervision

/// The restart bookkeeping both kinds of supervisor share: intensity, log, give-up, report.
final class RestartHistoryTests: XCTestCase {
  let second: UInt64 = 1_000_000_000

  func testRestartsWithinTheBudgetThenGivesUpAndLogsIt() {
    var history = RestartHistory(intensity: 2, period: .seconds(5))
    XCTAssertTrue(history.recordRestart(of: "a", reason: .custom("crash"), at: 1 * second))
    XCTAssertTrue(history.recordRestart(of: "b", reason: .custom("crash"), at: 2 * second))
    XCTAssertFalse(history.recordRestart(of: "a", reason: .custom("again"), at: 3 * second), "the third within 5 s")
    XCTAssertEqual(history.log.map(\.child), ["a", "b", "a"])
    XCTAssertEqual(history.log.map(\.gaveUp), [false, false, true])
    XCTAssertEqual(history.log.last?.reason, ExitReason.custom("again").description)
    XCTAssertEqual(history.total, 3)
  }

  func testRestartsOlderThanThePeriodNoLongerCount() {
    var history = RestartHistory(intensity: 1, period: .seconds(5))
    XCTAssertTrue(history.recordRestart(of: "a", reason: .normal, at: 1 * second))
    XCTAssertTrue(history.recordRestart(of: "a", reason: .normal, at: 7 * second), "the first has left the window")
    XCTAssertFalse(history.recordRestart(of: "a", reason: .normal, at: 8 * second))
  }

  func testTheLogKeepsTheLastRestartsOldestFirst() {
    var history = RestartHistory(intensity: 1000, period: .seconds(5))
    for i in 0..<(RestartHistory.logLimit + 8) {
      _ = history.recordRestart(of: "c\(i)", reason: .normal, at: UInt64(i))
    }
    XCTAssertEqual(history.log.count, RestartHistory.logLimit)
    XCTAssertEqual(history.log.first?.child, "c8")
    XCTAssertEqual(history.log.last?.child, "c\(RestartHistory.logLimit + 7)")
  }

  func testRetriesCountAgainstTheBudgetButAreNotLogged() {
    var history = RestartHistory(intensity: 2, period: .seconds(5))
    XCTAssertTrue(history.recordRestart(of: "a", reason: .custom("crash"), at: second))
    XCTAssertTrue(history.recordRetry(at: second + 1))
    XCTAssertFalse(history.recordRetry(at: second + 2))
    XCTAssertEqual(history.log.count, 1)
    XCTAssertEqual(history.total, 3)
  }

  func testTheReportShowsBudgetAndLog() {
    var history = RestartHistory(intensity: 3, period: .milliseconds(2500))
    _ = history.recordRestart(of: "a", reason: .custom("crash"), at: 10 * second)
    _ = history.recordRestart(of: "b", reason: .custom("crash"), at: 11 * second)
    let counts = ChildCounts(specs: 2, active: 2, supervisors: 0, workers: 2)
    let report = history.report(strategy: "one_for_all", children: [], counts: counts, autoShutdown: .anySignificant, now: 12 * second)
    XCTAssertEqual(report.strategy, "one_for_all")
    XCTAssertEqual(report.intensity, 3)
    XCTAssertEqual(report.period, 2.5)
    XCTAssertEqual(report.restartsInPeriod, 2)
    XCTAssertEqual(report.budgetLeft, 1)
    XCTAssertEqual(report.totalRestarts, 2)
    XCTAssertEqual(report.recentRestarts.map(\.child), ["a", "b"])
    XCTAssertEqual(report.counts, counts)
    XCTAssertEqual(report.autoShutdown, "any_significant")
    XCTAssertEqual(report.now, 12 * second)
    let later = history.report(strategy: "one_for_all", children: [], counts: counts, autoShutdown: .never, now: 13 * second)
    XCTAssertEqual(later.restartsInPeriod, 1, "the restart at 10 s has left the 2.5 s window")
    XCTAssertEqual(later.recentRestarts.count, 2, "the log keeps it")
  }

  func testWhichExitsRestartWhichChildren() {
    let reasons: [ExitReason] = [.normal, .shutdown, .shutdownWith("bye"), .custom("crash"), .killed]
    XCTAssertEqual(reasons.map { Restart.permanent.restarts(after: $0) }, [true, true, true, true, true])
    XCTAssertEqual(reasons.map { Restart.transient.restarts(after: $0) }, [false, false, false, true, true])
    XCTAssertEqual(reasons.map { Restart.temporary.restarts(after: $0) }, [false, false, false, false, false])
  }

  func testADynamicSupervisorReportsItsRestartsAndGivesUpLikeAStaticOne() async throws {
    try await withNode { node in
      let sup = try await node.start(
        DynamicSupervisor(
          intensity: 1, period: .seconds(30),
          template: DynamicChildSpec<Int> { ctx, _ in
            ctx.spawnLink(Int.self, state: ()) { _, _, _ in .stop(.custom("crash")) }.pid
          }))!
      let first = try await node.startChild(sup, 1)!
      first.address(as: Int.self)!.send(0)
      try await eventually("a restart") { ((try? await node.report(sup))?.totalRestarts ?? 0) == 1 }
      let report = try await node.report(sup)
      XCTAssertEqual(report.strategy, "simple_one_for_one")
      XCTAssertEqual(report.budgetLeft, 0)
      XCTAssertEqual(report.recentRestarts.map(\.child), [first.description])
      XCTAssertEqual(report.recentRestarts.map(\.gaveUp), [false])
      let second = try await node.whichChildren(sup)[0].pid!
      let reason = try await exitReason(of: sup.pid, node) { second.address(as: Int.self)!.send(0) }
      XCTAssertEqual(reason, .restartIntensityReached)
    }
  }
}
