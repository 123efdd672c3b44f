import Foundation
import OtterTestSupport
import XCTest

@testable import Actors
@testable import GenServer
@testable import Supervision

/// An Application stops its tree gracefully on a signal and reports how it ended.
final class ApplicationTests: XCTestCase {
  func testRequestedStopRunsEveryTerminateAndReturnsZero() async throws {
    let journal = Journal()
    let app = try await Application.start(
      Supervisor(children: [
        worker("a", journal: journal, trap: true),
        .supervisor(id: "inner", Supervisor(children: [worker("b", journal: journal, trap: true)])),
        worker("c", journal: journal, trap: true),
      ]), on: try Node(schedulers: 2))
    app.stop()
    let status = await app.run(shutdownTimeout: .seconds(5))
    XCTAssertEqual(status, 0)
    XCTAssertEqual(journal.all.filter { $0.hasPrefix("stop") }, ["stop c", "stop b", "stop a"])
    XCTAssertEqual(app.node.processCount, 0)
  }

  func testSignalStopsTheApplication() async throws {
    let journal = Journal()
    let app = try await Application.start(Supervisor(children: [worker("a", journal: journal, trap: true)]), on: try Node(schedulers: 2))
    let running = Task { await app.run() }
    try await Task.sleep(for: .milliseconds(20))
    kill(getpid(), SIGTERM)
    let status = await running.value
    XCTAssertEqual(status, 0)
    XCTAssertEqual(journal.all, ["start a", "stop a"])
  }

  func testRootGivingUpExitsNonZero() async throws {
    let journal = Journal()
    let app = try await Application.start(
      Supervisor(SupervisorFlags(intensity: 0), children: [worker("a", journal: journal)]), on: try Node(schedulers: 2))
    let a = try await app.node.whichChildren(app.root)[0].pid!
    a.address(as: WorkerCommand.self)!.send(.exit(.custom("crash")))
    let status = await app.run()
    XCTAssertEqual(status, 1)
  }

  func testAStopPastTheShutdownTimeoutKillsTheRestAndSaysSo() async throws {
    let journal = Journal()
    // A child that ignores its shutdown signal and has no kill deadline of its own: only
    // the application's timeout ends it.
    let app = try await Application.start(
      Supervisor(children: [worker("stubborn", journal: journal, shutdown: .infinity, trap: true, ignoreShutdown: true)]),
      on: try Node(schedulers: 2))
    app.stop()
    let status = await app.run(shutdownTimeout: .milliseconds(200))
    XCTAssertEqual(status, Application.shutdownTimedOutStatus)
    // Asked by its supervisor, then by the node, then killed.
    XCTAssertEqual(journal.all.first, "start stubborn")
    XCTAssertTrue(journal.all.dropFirst().allSatisfy { $0 == "stop stubborn" }, "\(journal.all)")
    XCTAssertEqual(app.node.processCount, 0)
  }
}
