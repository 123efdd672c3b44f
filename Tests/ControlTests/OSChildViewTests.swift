import Glibc
import OtterTestSupport
import XCTest

@testable import Actors
@testable import Control
@testable import GenServer
@testable import ObserverUI
@testable import Supervision

/// An OS process child as the observer sees it: the OS process's pid, CPU, resident set,
/// uptime and restarts in the tree, and kill and restart from it.
final class OSChildViewTests: XCTestCase {
  func worker(_ tree: SupervisionTree) -> TreeNode? { tree.roots.first?.children.first { $0.id == "worker" } }

  func testTheTreeShowsAnOSChildAndRestartsAndKillsIt() async throws {
    let dir = temporaryDirectory()
    defer { removeDirectory(dir) }
    var spec = OSProcessSpec(
      try builtExecutable("otter-test-child"), arguments: ["grow", "8", "notify", "STATUS=serving", "ready", "forever"])
    spec.readiness = .notify(timeout: .seconds(5))
    spec.shutdownTimeout = .seconds(2)
    try await withNode { node in
      let app = try await node.start(
        Supervisor(
          SupervisorFlags(intensity: 5),
          children: [.osProcess(id: "worker", spec, backoff: Backoff.none), Control.endpoint(path: "\(dir)/control.sock")]),
        name: "app")!
      let client = try ControlClient(path: "\(dir)/control.sock")
      let first = try client.snapshot(processes: false, sockets: false)
      let node0 = try XCTUnwrap(worker(try XCTUnwrap(first.tree)))
      let os = try XCTUnwrap(node0.os, "the tree node of an OS child carries its OS process")
      let owner = try await pid(of: "worker", in: app, node)!
      XCTAssertEqual(os.osPid, OSProcess.status(of: owner)?.osPid)
      XCTAssertEqual(node0.pid, ProcessID(owner), "the row's process is the owner")
      XCTAssertGreaterThanOrEqual(os.residentBytes, 8 << 20, "it touched 8 MB")
      XCTAssertTrue(os.ready)
      XCTAssertEqual(os.status, "serving")
      XCTAssertGreaterThanOrEqual(os.cpuPercent, 0)
      XCTAssertGreaterThanOrEqual(os.uptime, 0)
      XCTAssertEqual(try TreeNode(json: node0.json), node0, "the os field crosses the wire")

      // The tree view's row for it.
      var model = ObserverModel(target: "test")
      model.width = 200
      model.update(first, now: 0)
      let row = Screen.lines(&model, now: 0).map(\.text).first { $0.contains("worker") && $0.contains("os \(os.osPid)") }
      XCTAssertNotNil(row, Screen.lines(&model, now: 0).map(\.text).joined(separator: "\n"))
      XCTAssertTrue(row?.contains("rss ") == true && row?.contains("up ") == true && row?.contains("\"serving\"") == true, row ?? "")

      // X on the worker's row, confirmed: a restart by its supervisor.
      _ = model.handle(.down, now: 0)
      XCTAssertEqual(model.handle(.char("X"), now: 0), .none)
      XCTAssertEqual(model.handle(.char("y"), now: 0), .restart(supervisor: try XCTUnwrap(first.tree?.roots[0].pid), child: "worker"))
      try client.restart(supervisor: try XCTUnwrap(first.tree?.roots[0].pid), child: "worker")
      let restarted = try await eventuallyValue("the worker restarted") { () -> TreeNode? in
        let now = try client.snapshot(processes: false, sockets: false)
        return worker(now.tree!).flatMap { $0.os?.osPid != os.osPid && $0.os?.ready == true ? $0 : nil }
      }
      XCTAssertTrue(isGone(os.osPid))
      XCTAssertEqual(restarted.restarts, 0, "a restart asked for is not a crash")
      XCTAssertThrowsError(try client.restart(supervisor: try XCTUnwrap(first.tree?.roots[0].pid), child: "nobody")) { error in
        XCTAssertTrue("\(error)".contains("has no child \"nobody\""), "\(error)")
      }

      // K on it: its owner killed, the OS process with it, and its supervisor restarts it.
      try client.kill(try XCTUnwrap(restarted.pid))
      let again = try await eventuallyValue("the worker restarted after the kill") { () -> TreeNode? in
        let now = try client.snapshot(processes: false, sockets: false)
        return worker(now.tree!).flatMap { $0.os != nil && $0.os?.osPid != restarted.os?.osPid ? $0 : nil }
      }
      XCTAssertEqual(again.restarts, 1)
      XCTAssertEqual(again.lastRestart?.reason, "killed")
      try await eventually("the killed OS process is gone") { isGone(restarted.os!.osPid) }
      try await node.stop(app, reason: .shutdown)
    }
  }

  func isGone(_ pid: Int32) -> Bool {
    guard let file = fopen("/proc/\(pid)/stat", "r") else { return true }
    defer { fclose(file) }
    var buffer = [CChar](repeating: 0, count: 512)
    guard fgets(&buffer, Int32(buffer.count), file) != nil else { return true }
    let line = String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    return line.split(separator: ")").last?.trimmingPrefix(" ").first == "Z"
  }

  func pid(of id: String, in sup: GenServerRef<Supervisor>, _ node: Node) async throws -> Pid? {
    try await node.whichChildren(sup).first { $0.id == id }?.pid
  }
}
