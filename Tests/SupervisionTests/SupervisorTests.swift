import OtterTestSupport
import XCTest

@testable import Actors
@testable import GenServer
@testable import Supervision

/// Intensity, shutdown order and timeouts, rollback, the child API, auto shutdown.
final class SupervisorTests: XCTestCase {
  func crash(_ id: String, _ sup: GenServerRef<Supervisor>, _ node: Node) async throws -> Pid {
    let p = try await pid(of: id, in: sup, node)!
    p.address(as: WorkerCommand.self)!.send(.exit(.custom("crash")))
    return p
  }

  func testIntensityExactlyAtTheLimitAndOnePast() async throws {
    try await withNode { node in
      let journal = Journal()
      let sup = try await node.start(
        Supervisor(
          SupervisorFlags(intensity: 3, period: .seconds(10)), children: [worker("w", journal: journal)]))!
      for n in 1...3 {
        let old = try await crash("w", sup, node)
        try await eventually("restart \(n) of 3, within the budget") { try await pid(of: "w", in: sup, node).map { $0 != old } ?? false }
      }
      let report = try await node.report(sup)
      XCTAssertEqual(report.restartsInPeriod, 3)
      XCTAssertEqual(report.budgetLeft, 0)
      XCTAssertEqual(report.recentRestarts.count, 3)
      let last = try await pid(of: "w", in: sup, node)!
      let reason = try await exitReason(of: sup.pid, node) {
        last.address(as: WorkerCommand.self)!.send(.exit(.custom("crash")))
      }
      XCTAssertEqual(reason, .shutdownWith(Supervisor.gaveUp), "the 4th restart within the period is one too many")
      XCTAssertEqual(journal.count("start w"), 4)
    }
  }

  func testRestartsOutsideThePeriodDoNotCount() async throws {
    try await withNode { node in
      let journal = Journal()
      let sup = try await node.start(
        Supervisor(
          SupervisorFlags(intensity: 1, period: .milliseconds(100)), children: [worker("w", journal: journal)]))!
      for _ in 1...3 {
        let old = try await crash("w", sup, node)
        try await eventually("w restarted") { try await pid(of: "w", in: sup, node).map { $0 != old } ?? false }
        try await Task.sleep(for: .milliseconds(150))
      }
      XCTAssertTrue(sup.pid.isAlive)
      let awaited1 = try await node.report(sup).totalRestarts
      XCTAssertEqual(awaited1, 3)
    }
  }

  func testStartLeftToRightStopRightToLeft() async throws {
    try await withNode { node in
      let journal = Journal()
      let sup = try await node.start(Supervisor(children: ["a", "b", "c"].map { worker($0, journal: journal, trap: true) }))!
      XCTAssertEqual(journal.all, ["start a", "start b", "start c"])
      try await node.stop(sup, reason: .shutdown)
      XCTAssertEqual(Array(journal.all.dropFirst(3)), ["stop c", "stop b", "stop a"])
    }
  }

  func testChildThatIgnoresShutdownIsKilledAfterItsTimeout() async throws {
    try await withNode { node in
      let journal = Journal()
      let sup = try await node.start(
        Supervisor(children: [
          worker("stubborn", journal: journal, shutdown: .timeout(.milliseconds(80)), trap: true, ignoreShutdown: true),
          worker("brutal", journal: journal, shutdown: .brutalKill, trap: true),
        ]))!
      let stubborn = try await pid(of: "stubborn", in: sup, node)!
      let t0 = ContinuousClock.now
      try await node.stop(sup, reason: .shutdown)
      let took = ContinuousClock.now - t0
      XCTAssertGreaterThanOrEqual(took, .milliseconds(80))
      XCTAssertLessThan(took, .seconds(2))
      XCTAssertFalse(stubborn.isAlive)
      // The brutal one never saw a shutdown signal; the stubborn one did and ignored it.
      XCTAssertEqual(journal.all.filter { $0.hasPrefix("stop") }, ["stop stubborn"])
    }
  }

  func testAFailedStartRollsBackTheStartedChildren() async throws {
    try await withNode { node in
      let journal = Journal()
      let failing = ChildSpec(id: "c") { _ in throw Oops() }
      do {
        _ = try await node.start(
          Supervisor(children: [
            worker("a", journal: journal, trap: true), worker("b", journal: journal, trap: true), failing,
          ]))
        XCTFail("start should fail")
      } catch let e as StartError {
        guard case .failed(.shutdownWith(let detail)) = e else { return XCTFail("\(e)") }
        XCTAssertTrue(detail.contains("failed to start child c"), detail)
      }
      XCTAssertEqual(journal.all, ["start a", "start b", "stop b", "stop a"])
    }
  }

  func testInvalidSpecsAreRefused() async throws {
    try await withNode { node in
      let journal = Journal()
      do {
        _ = try await node.start(Supervisor(children: [worker("x", journal: journal, restart: .permanent, significant: true)]))
        XCTFail()
      } catch let e as StartError {
        guard case .failed(.shutdownWith(let d)) = e else { return XCTFail() }
        XCTAssertTrue(d.contains("significant"))
      }
      do {
        _ = try await node.start(Supervisor(children: [worker("x", journal: journal), worker("x", journal: journal)]))
        XCTFail()
      } catch let e as StartError {
        guard case .failed(.shutdownWith(let d)) = e else { return XCTFail() }
        XCTAssertTrue(d.contains("duplicate"))
      }
    }
  }

  func testChildAPI() async throws {
    try await withNode { node in
      let journal = Journal()
      let sup = try await node.start(Supervisor(children: [worker("a", journal: journal)]))!
      let b = try await node.startChild(sup, worker("b", journal: journal))
      XCTAssertNotNil(b)
      do {
        _ = try await node.startChild(sup, worker("b", journal: journal))
        XCTFail()
      } catch {
        XCTAssertEqual(error as? SupervisorError, .alreadyStarted(b!))
      }
      try await node.terminateChild(sup, id: "b")
      XCTAssertFalse(b!.isAlive)
      do {
        _ = try await node.startChild(sup, worker("b", journal: journal))
        XCTFail()
      } catch {
        XCTAssertEqual(error as? SupervisorError, .alreadyPresent)
      }
      let counts = try await node.countChildren(sup)
      XCTAssertEqual(counts, ChildCounts(specs: 2, active: 1, supervisors: 0, workers: 2))
      do {
        _ = try await node.restartChild(sup, id: "a")
        XCTFail()
      } catch { XCTAssertEqual(error as? SupervisorError, .running) }
      do {
        try await node.deleteChild(sup, id: "a")
        XCTFail()
      } catch { XCTAssertEqual(error as? SupervisorError, .running) }
      let b2 = try await node.restartChild(sup, id: "b")
      XCTAssertNotNil(b2)
      XCTAssertNotEqual(b2, b)
      try await node.terminateChild(sup, id: "b")
      try await node.deleteChild(sup, id: "b")
      do {
        _ = try await node.childSpec(sup, id: "b")
        XCTFail()
      } catch { XCTAssertEqual(error as? SupervisorError, .notFound) }
      let awaited2 = try await node.childSpec(sup, id: "a").id
      XCTAssertEqual(awaited2, "a")
      do {
        try await node.terminateChild(sup, id: "zz")
        XCTFail()
      } catch { XCTAssertEqual(error as? SupervisorError, .notFound) }
      let ignored = try await node.startChild(sup, ChildSpec(id: "i") { _ in nil })
      XCTAssertNil(ignored)
      let listing = try await node.whichChildren(sup)
      XCTAssertEqual(listing.map(\.id), ["a", "i"])
      XCTAssertEqual(listing.map(\.status), [.running, .stopped])
      do {
        _ = try await node.startChild(sup, ChildSpec(id: "f") { _ in throw Oops() })
        XCTFail()
      } catch {
        guard case .startFailed? = error as? SupervisorError else { return XCTFail("\(error)") }
      }
    }
  }

  func testAnySignificantChildEndingStopsTheSupervisor() async throws {
    try await withNode { node in
      let journal = Journal()
      let sup = try await node.start(
        Supervisor(
          SupervisorFlags(autoShutdown: .anySignificant),
          children: [worker("plain", journal: journal), worker("key", journal: journal, restart: .transient, significant: true)]))!
      let key = try await pid(of: "key", in: sup, node)!
      let reason = try await exitReason(of: sup.pid, node) { key.address(as: WorkerCommand.self)!.send(.exit(.normal)) }
      XCTAssertEqual(reason, .shutdown)
    }
  }

  func testAllSignificantWaitsForTheLastOne() async throws {
    try await withNode { node in
      let journal = Journal()
      let sup = try await node.start(
        Supervisor(
          SupervisorFlags(autoShutdown: .allSignificant),
          children: [
            worker("k1", journal: journal, restart: .temporary, significant: true),
            worker("k2", journal: journal, restart: .transient, significant: true),
          ]))!
      let k1 = try await pid(of: "k1", in: sup, node)!
      let k2 = try await pid(of: "k2", in: sup, node)!
      k1.address(as: WorkerCommand.self)!.send(.exit(.normal))
      try await Task.sleep(for: .milliseconds(30))
      XCTAssertTrue(sup.pid.isAlive, "one significant child is still running")
      let reason = try await exitReason(of: sup.pid, node) { k2.address(as: WorkerCommand.self)!.send(.exit(.shutdown)) }
      XCTAssertEqual(reason, .shutdown)
    }
  }

  func testBackoffSpacesRestartsOut() async throws {
    try await withNode { node in
      let journal = Journal()
      let sup = try await node.start(
        Supervisor(
          SupervisorFlags(
            intensity: 10, period: .seconds(10), backoff: Backoff(initial: .milliseconds(20), maximum: .milliseconds(200), jitter: 0)),
          children: [worker("w", journal: journal)]))!
      var times: [ContinuousClock.Instant] = []
      for _ in 0..<4 {
        let old = try await crash("w", sup, node)
        let t0 = ContinuousClock.now
        try await eventually("w restarted") { try await pid(of: "w", in: sup, node).map { $0 != old } ?? false }
        times.append(t0)
        let status = try await node.whichChildren(sup)[0].status
        XCTAssertEqual(status, .running)
      }
      // Delays 20, 40, 80, 160 ms: the whole sequence takes at least their sum.
      XCTAssertGreaterThanOrEqual(ContinuousClock.now - times[0], .milliseconds(20 + 40 + 80))
      let report = try await node.report(sup)
      XCTAssertEqual(report.totalRestarts, 4)
    }
  }

  func testRestartingStatusDuringBackoff() async throws {
    try await withNode { node in
      let journal = Journal()
      let sup = try await node.start(
        Supervisor(
          SupervisorFlags(intensity: 10, backoff: Backoff(initial: .milliseconds(300), jitter: 0)),
          children: [worker("w", journal: journal)]))!
      _ = try await crash("w", sup, node)
      try await eventually("w to be restarting") { try await node.whichChildren(sup)[0].status == .restarting }
      do {
        _ = try await node.restartChild(sup, id: "w")
        XCTFail()
      } catch { XCTAssertEqual(error as? SupervisorError, .restarting) }
    }
  }

  func testFailingRestartIsRetriedAndCountsAgainstIntensity() async throws {
    try await withNode { node in
      let attempts = Journal()
      let flaky = ChildSpec(id: "flaky") { ctx in
        attempts.add("try")
        if attempts.count("try") > 1 && attempts.count("try") < 4 { throw Oops() }
        return ctx.spawnLink(WorkerCommand.self, state: ()) { _, message, _ in
          if case .message(.exit(let r)) = message { return .stop(r) }
          return .continue
        }.pid
      }
      let sup = try await node.start(Supervisor(SupervisorFlags(intensity: 10, period: .seconds(10)), children: [flaky]))!
      let first = try await pid(of: "flaky", in: sup, node)!
      first.address(as: WorkerCommand.self)!.send(.exit(.custom("crash")))
      try await eventually("flaky restarted") { try await pid(of: "flaky", in: sup, node).map { $0 != first } ?? false }
      XCTAssertEqual(attempts.count("try"), 4, "first start, then two failed restarts and a good one")
      let awaited3 = try await node.report(sup).totalRestarts
      XCTAssertEqual(awaited3, 3)
    }
  }
}

struct Oops: Error {}
