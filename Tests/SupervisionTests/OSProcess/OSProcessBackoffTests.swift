import OtterTestSupport
import XCTest

@testable import Actors
@testable import GenServer
@testable import Supervision

/// pm2's restart policy on OS children: an exponential delay (× 1.5) reset by a run
/// longer than the minimum uptime, a maximum of restarts in a row, and give-ups that say
/// what the child's last exits were.
final class OSProcessBackoffTests: XCTestCase {
  func testPm2DelaysGrowByHalfUpToTheCap() {
    let backoff = Backoff.pm2(resetAfter: .seconds(1))
    let delays = (1...4).map { backoff.delay(attempt: $0, random: 0.7) }
    XCTAssertEqual(delays, [.milliseconds(100), .milliseconds(150), .milliseconds(225), .microseconds(337_500)])
    XCTAssertEqual(backoff.delay(attempt: 40, random: 0), .seconds(15))
    XCTAssertEqual(Backoff().delay(attempt: 3, random: 0.5), .milliseconds(400), "the supervisor's own backoff still doubles")
    XCTAssertEqual(Backoff.none.delay(attempt: 9, random: 0.5), .zero)
  }

  /// A script that crashes at once three times, then runs 400 ms (longer than its
  /// minimum uptime of 250 ms) before crashing, then crashes at once again: the delays
  /// are 100, 150, 225 ms, then back to 100 and 150. The restarts are spaced at least by
  /// those delays (a lower bound only: a loaded machine makes them later, never sooner).
  func testDelaysGrowWhileItCrashesAndResetAfterALongEnoughRun() async throws {
    let capture = LogCapture()
    let dir = temporaryDirectory("os-backoff")
    let script = """
      n=$(cat "\(dir)/runs" 2>/dev/null || echo 0); n=$((n + 1)); echo $n > "\(dir)/runs"
      if [ "$n" -eq 4 ]; then sleep 0.4; fi
      exit 1
      """
    var spec = OSProcessSpec("/bin/sh", arguments: ["-c", script])
    spec.minUptime = .milliseconds(250)
    try await withNode(logger: capture.logger(level: .error)) { node in
      let sup = try await node.start(
        Supervisor(SupervisorFlags(intensity: 20, period: .seconds(30)), children: [.osProcess(id: "flaky", spec)]))!
      let history = try await eventuallyValue("six restarts", timeout: .seconds(10)) { () -> [RestartRecord]? in
        let log = try await node.report(sup).recentRestarts
        return log.count >= 6 ? Array(log.prefix(6)) : nil
      }
      try await node.stop(sup, reason: .shutdown)
      let delays = capture.reports("supervisor").filter { $0["child"] == "flaky" && $0["action"] == "restart" }.prefix(6).map {
        $0.message.components(separatedBy: "restarting it in ").last!.components(separatedBy: " (backoff)").first!
      }
      XCTAssertEqual(delays, ["100ms", "150ms", "225ms", "100ms", "150ms", "225ms"])
      // Between two crashes: the delay after the first, and the second run (400 ms for the 4th).
      let expected: [Duration] = [.milliseconds(100), .milliseconds(150), .milliseconds(625), .milliseconds(100), .milliseconds(150)]
      for (i, least) in expected.enumerated() {
        let gap = Duration.nanoseconds(Int64(history[i + 1].at - history[i].at))
        XCTAssertGreaterThanOrEqual(gap, least, "restart \(i + 2) came \(gap) after the one before")
      }
      XCTAssertTrue(history.allSatisfy { $0.reason == "exited with status 1" })
    }
  }

  func testATransientChildExitingCleanlyAtOnceIsRestarted() async throws {
    try await withNode { node in
      let dir = temporaryDirectory("os-min-uptime")
      let quick = try testChild(["once", "\(dir)/quick", "exit", "0"], minUptime: .seconds(1))
      let sup = try await node.start(
        Supervisor(SupervisorFlags(intensity: 5), children: [.osProcess(id: "quick", quick, restart: .transient)]))!
      try await eventually("restarted despite status 0") { try await node.report(sup).totalRestarts == 1 }
      let record = try await node.report(sup).recentRestarts[0]
      XCTAssertTrue(record.reason.contains("under the minimum uptime of 1s"), record.reason)
      try await node.stop(sup, reason: .shutdown)
    }
  }

  func testMaxRestartsLeavesTheChildStoppedAndSaysWhy() async throws {
    let capture = LogCapture()
    try await withNode(logger: capture.logger(level: .error)) { node in
      let sup = try await node.start(
        Supervisor(
          SupervisorFlags(intensity: 10),
          children: [
            .osProcess(id: "doomed", try testChild(["exit", "3"]), backoff: Backoff.none, maxRestarts: 2),
            .osProcess(id: "sibling", try testChild(["forever"])),
          ]))!
      let report = try await capture.waitFor("the max restarts report") { $0["action"] == "max_restarts" }
      XCTAssertEqual(report["child"], "doomed")
      XCTAssertEqual(report["last_exits"], "exited with status 3; exited with status 3; exited with status 3")
      XCTAssertTrue(
        report.message.hasSuffix(
          "2 restarts in a row, the most it may have is 2; not restarting it any more (last exits: exited with status 3; exited with status 3; exited with status 3)"
        ), report.message)
      let children = try await node.whichChildren(sup)
      XCTAssertEqual(children.map(\.status), [.stopped, .running], "the sibling and the supervisor go on")
      XCTAssertEqual(children[0].restarts, 2)
      let again = try await node.restartChild(sup, id: "doomed")
      XCTAssertNotNil(again, "restartChild brings it back")
      try await node.stop(sup, reason: .shutdown)
    }
  }

  func testTheIntensityGiveUpNamesTheLastExits() async throws {
    let capture = LogCapture()
    try await withNode(logger: capture.logger(level: .error)) { node in
      let sup = try await node.start(
        Supervisor(
          SupervisorFlags(intensity: 2, period: .seconds(10)),
          children: [.osProcess(id: "crasher", try testChild(["sleep", "20", "raise", "ABRT"]), backoff: Backoff.none)]))!
      let reason = try await exitReason(of: sup.pid, node)
      XCTAssertEqual(reason, .shutdownWith(Supervisor.gaveUp))
      let giveUp = try await capture.waitFor("the give-up") { $0["action"] == "give_up" }
      XCTAssertEqual(giveUp["child"], "crasher")
      XCTAssertEqual(giveUp["last_exits"], "killed by SIGABRT; killed by SIGABRT; killed by SIGABRT")
      XCTAssertTrue(giveUp.message.contains("(last exits: killed by SIGABRT; killed by SIGABRT; killed by SIGABRT)"), giveUp.message)
    }
  }
}
