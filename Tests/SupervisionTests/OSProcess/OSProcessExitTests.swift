import OtterTestSupport
import XCTest

@testable import Actors
@testable import GenServer
@testable import Supervision

/// How an OS process's end becomes its owner's exit reason, and what restart types and
/// strategies then do with it.
final class OSProcessExitTests: XCTestCase {
  /// The reason an owner ends with once its OS process (running `steps`) ends: started
  /// as a supervisor starts it, linked to a process that traps exits, so even a child
  /// that ends at once is seen ending.
  func reason(_ steps: [String], minUptime: Duration = .milliseconds(100)) async throws -> ExitReason {
    let spec = try testChild(steps, minUptime: minUptime)
    return try await withNode { node in
      try await node.run(Never.self) { ctx -> ExitReason in
        ctx.trapExit = true
        let owner = try await OSProcessOwner.start(id: "c", spec, ctx)
        return try await ctx.receive { message -> ExitReason? in
          if case .exit(let from, let why) = message, from == owner { return why }
          return nil
        }!
      }
    }
  }

  func testStatusAndSignalsBecomeReadableReasons() async throws {
    let status = try await reason(["exit", "3"])
    XCTAssertEqual(status, .custom("exited with status 3"))
    let segv = try await reason(["raise", "SEGV"])
    XCTAssertEqual(segv, .custom("killed by SIGSEGV"))
    let ok = try await reason(["sleep", "150", "exit", "0"])
    XCTAssertEqual(ok, .normal)
  }

  func testACleanExitUnderTheMinimumUptimeIsACrash() async throws {
    let quick = try await reason(["exit", "0"], minUptime: .seconds(1))
    XCTAssertFalse(quick.isOrderly, "\(quick)")
    XCTAssertTrue(quick.description.hasPrefix("exited with status 0 after "), quick.description)
    XCTAssertTrue(quick.description.hasSuffix(", under the minimum uptime of 1s"), quick.description)
  }

  func testDescriptionsOfEveryEnd() {
    XCTAssertEqual(OSExit(code: Int32(CLD_EXITED), status: 3).description, "exited with status 3")
    XCTAssertEqual(OSExit(code: Int32(CLD_KILLED), status: SIGKILL).description, "killed by SIGKILL")
    XCTAssertEqual(OSExit(code: Int32(CLD_DUMPED), status: SIGSEGV).description, "killed by SIGSEGV (core dumped)")
    XCTAssertEqual(OSExit.signalName(42), "signal 42")
    XCTAssertTrue(OSExit.exited(143).isCleanStop(after: SIGTERM), "a shell's 128 + SIGTERM")
    XCTAssertTrue(OSExit.signaled(SIGTERM, coreDumped: false).isCleanStop(after: SIGTERM))
    XCTAssertFalse(OSExit.exited(1).isCleanStop(after: SIGTERM))
  }

  /// permanent: restarted after status 0; transient: not after status 0, but after 3;
  /// temporary: removed after 3.
  func testRestartTypesApplyToOSChildren() async throws {
    try await withNode { node in
      let dir = temporaryDirectory("os-restart")
      func child(_ id: String, _ restart: Restart, exit status: String) throws -> ChildSpec {
        .osProcess(
          id: id, try testChild(["once", "\(dir)/\(id)", "sleep", "150", "exit", status], minUptime: .milliseconds(50)),
          restart: restart, backoff: Backoff.none)
      }
      let sup = try await node.start(
        Supervisor(
          SupervisorFlags(intensity: 10),
          children: [
            try child("permanent", .permanent, exit: "0"), try child("transient-ok", .transient, exit: "0"),
            try child("transient-crash", .transient, exit: "3"), try child("temporary", .temporary, exit: "3"),
          ]))!
      try await eventually("the children ended and their supervisor acted") {
        let children = try await node.whichChildren(sup)
        let byID = Dictionary(uniqueKeysWithValues: children.map { ($0.id, $0) })
        guard let p = byID["permanent"], let ok = byID["transient-ok"], let crash = byID["transient-crash"] else { return false }
        return p.restarts == 1 && p.os != nil && ok.status == .stopped && crash.restarts == 1 && crash.os != nil
          && byID["temporary"] == nil
      }
      let restarted = try await node.report(sup).recentRestarts.map(\.child).sorted()
      XCTAssertEqual(restarted, ["permanent", "transient-crash"])
      let stopped = try await node.whichChildren(sup).first { $0.id == "transient-ok" }
      XCTAssertEqual(stopped?.restarts, 0)
      try await node.stop(sup, reason: .shutdown)
    }
  }

  /// rest_for_one: the OS child that dies and the one after it are restarted, in order,
  /// each waited for until it is ready; the one before keeps running.
  func testRestForOneRestartsTheRestInOrderOfReadiness() async throws {
    try await withNode { node in
      let ready = Readiness.notify(timeout: .seconds(5))
      let sup = try await node.start(
        Supervisor(
          SupervisorFlags(strategy: .restForOne, intensity: 5),
          children: [
            .osProcess(id: "a", try testChild(["ready", "forever"], readiness: ready)),
            .osProcess(id: "b", try testChild(["sleep", "300", "ready", "forever"], readiness: ready), backoff: Backoff.none),
            .osProcess(id: "c", try testChild(["ready", "forever"], readiness: ready)),
          ]))!
      let before = try await node.whichChildren(sup)
      let b = before[1].os!
      let c = before[2].os!
      XCTAssertTrue(b.ready && c.ready)
      XCTAssertLessThanOrEqual(c.uptime + .milliseconds(250), b.uptime, "c was started once b said READY=1, 300 ms after its spawn")
      XCTAssertTrue(OSProcess.signal(before[1].pid!, SIGKILL))
      try await eventually("b and c restarted", timeout: .seconds(10)) {
        let now = try await node.whichChildren(sup)
        return now[1].os.map { $0.osPid != b.osPid && $0.ready } == true && now[2].os.map { $0.osPid != c.osPid } == true
      }
      let after = try await node.whichChildren(sup)
      XCTAssertEqual(after[0].os?.osPid, before[0].os?.osPid, "a is before b: untouched")
      XCTAssertLessThanOrEqual(after[2].os!.uptime + .milliseconds(250), after[1].os!.uptime, "c again waited for b's READY=1")
      XCTAssertTrue(isGone(c.osPid), "the old c was stopped")
      let last = try await node.report(sup).recentRestarts.last
      XCTAssertEqual(last?.child, "b")
      XCTAssertEqual(last?.reason, "killed by SIGKILL")
      try await node.stop(sup, reason: .shutdown)
    }
  }
}
