import Foundation
import OtterTestSupport
import XCTest

@testable import Actors
@testable import GenServer
@testable import Supervision

/// Stopping OS children: the stop signal, SIGKILL after the timeout, an owner killed
/// outright, the child's own children, and no orphans when the supervising OS process is
/// killed with SIGKILL.
final class OSProcessStopTests: XCTestCase {
  func testShutdownIsSIGTERMAndCleanWhenTheChildEndsOnIt() async throws {
    let capture = LogCapture()
    try await withNode(logger: capture.logger(level: .info)) { node in
      let sup = try await node.start(
        Supervisor(children: [
          .osProcess(id: "plain", try testChild(["forever"])), .osProcess(id: "polite", try testChild(["term-exit", "0", "forever"])),
        ]))!
      let pids = try await node.whichChildren(sup).map { $0.os!.osPid }
      let t0 = ContinuousClock.now
      try await node.stop(sup, reason: .shutdown)
      XCTAssertLessThan(ContinuousClock.now - t0, .seconds(2), "no one waited for a timeout")
      XCTAssertTrue(pids.allSatisfy(isGone))
      XCTAssertTrue(capture.reports("supervisor").isEmpty, "\(capture.all)")
    }
  }

  func testAChildIgnoringSIGTERMIsKilledAfterItsTimeout() async throws {
    let capture = LogCapture()
    try await withNode(logger: capture.logger(level: .info)) { node in
      let sup = try await node.start(Supervisor(children: []))!
      let spec = try testChild(
        ["ignore-term", "ready", "forever"], readiness: .notify(timeout: .seconds(5)), shutdownTimeout: .milliseconds(300))
      _ = try await node.startChild(sup, .osProcess(id: "stubborn", spec))
      let stubborn = try await osPid(of: "stubborn", in: sup, node)!
      let t0 = ContinuousClock.now
      try await node.terminateChild(sup, id: "stubborn")
      XCTAssertGreaterThanOrEqual(ContinuousClock.now - t0, .milliseconds(300), "SIGKILL came only after the timeout")
      XCTAssertTrue(isGone(stubborn))
      let report = try await capture.waitFor("the shutdown error") { $0["action"] == "shutdown_error" }
      XCTAssertEqual(report["reason"], "killed by SIGKILL: still running 300ms after SIGTERM")
      XCTAssertEqual(report["child"], "stubborn")
      try await node.stop(sup, reason: .shutdown)
    }
  }

  func testAnOwnerKilledOutrightTakesItsOSProcessAlong() async throws {
    try await withNode { node in
      let sup = try await node.start(
        Supervisor(SupervisorFlags(intensity: 5), children: [.osProcess(id: "c", try testChild(["forever"]), backoff: Backoff.none)]))!
      let owner = try await pid(of: "c", in: sup, node)!
      let killed = OSProcess.status(of: owner)!.osPid
      node.exit(owner, reason: .kill)
      try await eventually("the OS process died with its owner", timeout: .seconds(2)) { isGone(killed) }
      try await eventually("and was restarted") { try await osPid(of: "c", in: sup, node).map { $0 != killed } ?? false }
      try await node.stop(sup, reason: .shutdown)
      try await eventually("the killed one is reaped too (not left a zombie)") { parentPid(of: killed) != getpid() }
    }
  }

  func testWhatAChildLeavesRunningInItsGroupGoesWithIt() async throws {
    let capture = LogCapture()
    try await withNode(logger: capture.logger(level: .info)) { node in
      let sup = try await node.start(
        Supervisor(children: [.osProcess(id: "parent", try testChild(["spawn-sleeper", "sleep", "200", "exit", "0"]), restart: .temporary)])
      )!
      let line = try await capture.waitFor("the grandchild's pid") { $0.message.hasPrefix("sleeper ") }
      // (`sleep 1000` would outlive the test: its end is the group's kill.)
      let sleeper = Int32(line.message.dropFirst(8))!
      try await eventually("the child ended and its sleeper with it", timeout: .seconds(3)) { isGone(sleeper) }
      try await node.stop(sup, reason: .shutdown)
    }
  }

  /// otter-test-child as a supervising node with `n` OS children: the process and its
  /// children's pids (from its "children" line).
  func startSupervising(_ n: Int, runtime: String) throws -> (Foundation.Process, [Int32]) {
    let supervising = Foundation.Process()
    supervising.executableURL = URL(fileURLWithPath: try testChildPath())
    supervising.arguments = ["supervise", String(n)]
    // Its notify sockets' directories go here (a killed process leaves them behind).
    supervising.environment = ProcessInfo.processInfo.environment.merging(["OTTER_RUNTIME_DIR": runtime]) { $1 }
    let output = Pipe()
    supervising.standardOutput = output
    try withNoSignalsBlocked { try supervising.run() }
    var text = ""
    let deadline = Date().addingTimeInterval(20)
    while !text.contains("\n") && Date() < deadline {
      let chunk = output.fileHandleForReading.availableData
      if chunk.isEmpty { break }
      text += String(decoding: chunk, as: UTF8.self)
    }
    let line = text.split(separator: "\n").first { $0.hasPrefix("children ") }
    let children = line.map { $0.split(separator: " ").dropFirst().compactMap { Int32($0) } } ?? []
    XCTAssertEqual(children.count, n, "the supervising process said: \(text)")
    return (supervising, children)
  }

  /// The supervising OS process (otter-test-child in its `supervise` mode: a node with a
  /// supervisor of three OS children) is killed with SIGKILL; its children must not
  /// outlive it. What it left in its runtime directory is swept by the next one.
  func testNoOrphansWhenTheSupervisingProcessIsKilled() throws {
    let runtime = temporaryDirectory("os-orphans")
    defer { removeDirectory(runtime) }
    let (supervising, children) = try startSupervising(3, runtime: runtime)
    defer {
      if supervising.isRunning { kill(supervising.processIdentifier, SIGKILL) }
      supervising.waitUntilExit()
    }
    XCTAssertTrue(children.allSatisfy { !isGone($0) && parentPid(of: $0) == supervising.processIdentifier })
    kill(supervising.processIdentifier, SIGKILL)
    let killedAt = Date()
    while Date().timeIntervalSince(killedAt) < 1 && !children.allSatisfy(isGone) { usleep(10_000) }
    XCTAssertTrue(
      children.allSatisfy(isGone), "children still running 1 s after kill -9 of their supervisor: \(children.filter { !isGone($0) })")

    supervising.waitUntilExit()
    let left = try FileManager.default.contentsOfDirectory(atPath: runtime)
    XCTAssertEqual(left.count, 3, "a notify directory per child, left behind: \(left)")
    let (next, _) = try startSupervising(1, runtime: runtime)
    defer {
      kill(next.processIdentifier, SIGKILL)
      next.waitUntilExit()
    }
    let now = try FileManager.default.contentsOfDirectory(atPath: runtime)
    XCTAssertEqual(now, ["otter-notify-\(next.processIdentifier)-" + (now.first?.split(separator: "-").last ?? "")], "only the new one's")
  }
}
