import OtterTestSupport
import XCTest

@testable import Actors
@testable import GenServer
@testable import Supervision

/// Starting an OS child: readiness (sd_notify), its timeout, and starts that cannot work,
/// each failing with a reason a person can act on.
final class OSProcessStartTests: XCTestCase {
  func startFailure(_ spec: ChildSpec, logger: Logger? = nil) async throws -> String {
    try await withNode(logger: logger) { node in
      let sup = try await node.start(Supervisor(children: []))!
      defer { _ = sup }
      do {
        _ = try await node.startChild(sup, spec)
        XCTFail("\(spec.id) started")
        return ""
      } catch SupervisorError.startFailed(let reason) {
        let children = try await node.whichChildren(sup)
        XCTAssertTrue(children.isEmpty, "a failed start leaves no child: \(children)")
        XCTAssertTrue(sup.pid.isAlive, "and no EXIT reached the supervisor")
        return reason.description
      }
    }
  }

  func testStartChildWaitsForReady() async throws {
    try await withNode { node in
      let sup = try await node.start(Supervisor(children: []))!
      let t0 = ContinuousClock.now
      let spec = try testChild(
        ["notify", "STATUS=warming up", "sleep", "300", "ready", "notify", "STATUS=serving", "forever"],
        readiness: .notify(timeout: .seconds(5)))
      let owner = try await node.startChild(sup, .osProcess(id: "slow", spec))!
      XCTAssertGreaterThanOrEqual(ContinuousClock.now - t0, .milliseconds(300), "startChild returned only once READY=1 came")
      let status = OSProcess.status(of: owner)!
      XCTAssertTrue(status.ready)
      XCTAssertGreaterThan(status.osPid, 0)
      try await eventually("STATUS= is kept") { OSProcess.status(of: owner)?.statusText == "serving" }
      try await node.terminateChild(sup, id: "slow")
      XCTAssertTrue(isGone(status.osPid))
    }
  }

  func testWithoutReadinessStartedMeansSpawned() async throws {
    try await withNode { node in
      let sup = try await node.start(Supervisor(children: [.osProcess(id: "c", try testChild(["sleep", "5000"]))]))!
      let status = try await node.whichChildren(sup)[0].os
      XCTAssertEqual(status?.ready, true)
      try await node.stop(sup, reason: .shutdown)
    }
  }

  func testExtendTimeoutLetsASlowStartFinish() async throws {
    try await withNode { node in
      let sup = try await node.start(Supervisor(children: []))!
      let spec = try testChild(
        ["sleep", "200", "notify", "EXTEND_TIMEOUT_USEC=2000000", "sleep", "400", "ready", "forever"],
        readiness: .notify(timeout: .milliseconds(400)))
      let owner = try await node.startChild(sup, .osProcess(id: "extended", spec))
      XCTAssertNotNil(owner)
      try await node.stop(sup, reason: .shutdown)
    }
  }

  func testStartTimeoutKillsTheProcessAndFails() async throws {
    let capture = LogCapture()
    let spec = try testChild(["pid", "forever"], readiness: .notify(timeout: .milliseconds(300)))
    let why = try await startFailure(.osProcess(id: "mute", spec), logger: capture.logger(level: .info))
    XCTAssertEqual(why, "did not send READY=1 within 300ms; killed")
    let line = try await capture.waitFor("the child's pid line") { $0.message.hasPrefix("pid ") }
    XCTAssertEqual(line["child"], "mute")
    let osPid = Int32(line.message.dropFirst(4))!
    XCTAssertTrue(isGone(osPid), "the OS process was killed")
  }

  func testExitBeforeReadyIsAStartFailure() async throws {
    let why = try await startFailure(.osProcess(id: "quitter", try testChild(["exit", "4"], readiness: .notify(timeout: .seconds(5)))))
    XCTAssertEqual(why, "exited with status 4 before it was ready")
  }

  func testStartsThatCannotWorkSayWhy() async throws {
    let missing = try await startFailure(.osProcess(id: "x", OSProcessSpec("/nonexistent/program")))
    XCTAssertEqual(missing, "cannot execute /nonexistent/program: No such file or directory")
    let unnamed = try await startFailure(.osProcess(id: "x", OSProcessSpec("otter-no-such-program-anywhere")))
    XCTAssertTrue(unnamed.hasPrefix("no program named otter-no-such-program-anywhere in PATH ("), unnamed)
    var elsewhere = try testChild(["exit", "0"])
    elsewhere.workingDirectory = "/nonexistent/directory"
    let directory = try await startFailure(.osProcess(id: "x", elsewhere))
    XCTAssertEqual(directory, "cannot enter the working directory /nonexistent/directory: No such file or directory")
    var twice = try testChild(["exit", "0"])
    twice.listeners = [InheritedListener(fd: 0)]
    twice.descriptors = [PassedDescriptor(fd: 0, as: 3)]
    let clash = try await startFailure(.osProcess(id: "x", twice))
    XCTAssertEqual(clash, "invalid OS process spec: descriptor number 3 is given twice (listeners take 3…3)")
    var closed = try testChild(["exit", "0"])
    closed.descriptors = [PassedDescriptor(fd: 999, as: 5)]
    let badDescriptor = try await startFailure(.osProcess(id: "x", closed))
    XCTAssertEqual(badDescriptor, "cannot pass the descriptors to the child (not open here: 999): Bad file descriptor")
  }

  func testAFailedChildStopsTheSupervisorsOwnStart() async throws {
    try await withNode { node in
      do {
        _ = try await node.start(
          Supervisor(children: [
            .osProcess(id: "fine", try testChild(["forever"])),
            .osProcess(id: "broken", OSProcessSpec("/nonexistent/program")),
          ]))
        XCTFail("the supervisor started")
      } catch StartError.failed(let reason) {
        XCTAssertEqual(
          reason, .shutdownWith("failed to start child broken: cannot execute /nonexistent/program: No such file or directory"))
      }
      try await eventually("the first child's owner (and OS process) is gone") { OSProcess.ownerCount == 0 }
    }
  }
}

/// A child that says READY=1 as the first thing it does: its datagram may reach the
/// owner before the spawner's answer does, and must still count.
final class OSProcessEarlyReadyTests: XCTestCase {
  func testReadyBeforeTheSpawnIsAnsweredStillCounts() async throws {
    let spec = try testChild(["ready", "forever"], readiness: .notify(timeout: .seconds(2)))
    // The spawner answers 300 ms late: the child's READY=1 comes first.
    Spawner.shared.answerDelayForTests.store(300_000, ordering: .relaxed)
    defer { Spawner.shared.answerDelayForTests.store(0, ordering: .relaxed) }
    try await withNode { node in
      let sup = try await node.start(Supervisor(children: []))!
      let owner = try await node.startChild(sup, .osProcess(id: "eager", spec))
      XCTAssertEqual(owner.flatMap { OSProcess.status(of: $0)?.ready }, true)
      try await node.stop(sup, reason: .shutdown)
    }
  }
}
