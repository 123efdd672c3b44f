import OtterTestSupport
import XCTest

@testable import Actors
@testable import Control
@testable import ObserverUI
@testable import Supervision

/// A dynamic supervisor's child is named by its pid, so its restart makes a new name:
/// the restart log says what it was restarted as, a registered name stays the same, and
/// the observer shows the child restarted — in the tree, and in the process view, which
/// follows the new process — as it does a static child.
final class DynamicRestartTests: XCTestCase {
  func sessions(_ tree: SupervisionTree) -> TreeNode { tree.roots[0].children[2] }

  func testARestartedDynamicChildIsShownRestartedAndFollowed() async throws {
    let dir = temporaryDirectory()
    defer { removeDirectory(dir) }
    try await withNode { node in
      let known = try await KnownTree.start(on: node, path: "\(dir)/control.sock")
      let client = try ControlClient(path: known.path)
      let before = try client.snapshot(processes: false, sockets: false)
      let ann = try XCTUnwrap(sessions(try XCTUnwrap(before.tree)).children.first { $0.process?.label == "session ann" })
      let oldPid = try XCTUnwrap(ann.pid)

      // A tree view, and a process view on session ann (the seventh line of the tree).
      var treeView = ObserverModel(target: "test")
      treeView.width = 160
      treeView.update(before, now: 0)
      var processView = ObserverModel(target: "test")
      processView.update(before, now: 0)
      for _ in 0..<6 { _ = processView.handle(.down, now: 0) }
      XCTAssertEqual(processView.handle(.enter, now: 0), .refresh)
      XCTAssertEqual(processView.plan, FetchPlan(top: nil, tree: false, process: oldPid))

      try client.kill(oldPid)
      let after = try await eventuallyValue("session ann to be restarted") { () -> Snapshot? in
        let s = try client.snapshot(processes: false, sockets: false)
        let now = self.sessions(s.tree!).children.first { $0.process?.label == "session ann" }
        return now?.pid != nil && now?.pid != oldPid ? s : nil
      }
      let restarted = try XCTUnwrap(sessions(try XCTUnwrap(after.tree)).children.first { $0.process?.label == "session ann" })
      let newPid = try XCTUnwrap(restarted.pid)
      // The restart log names the old pid and the new one; the new child carries it.
      XCTAssertEqual(restarted.lastRestart?.child, oldPid.description)
      XCTAssertEqual(restarted.lastRestart?.replacement, newPid)
      XCTAssertEqual(restarted.lastRestart?.reason, "killed")
      XCTAssertEqual(sessions(after.tree!).supervisor?.recentRestarts.last?.replacement, newPid)

      // The tree view announces it and marks the row, as for a static child.
      treeView.update(after, now: 1)
      var lines = Screen.lines(&treeView, now: 1).map(\.text)
      XCTAssertEqual(lines[22], "↻ restarted: session ann \(oldPid) → \(newPid)")
      XCTAssertTrue(
        lines.contains { $0.contains("session ann  \(newPid)  transient  running") && $0.contains("↻ ") && $0.hasSuffix("ago (killed)") },
        lines.joined(separator: "\n"))
      // So does the text of `observer --once`.
      XCTAssertTrue(
        OneShot.text(after).split(separator: "\n").contains { $0.contains("session ann  \(newPid)") && $0.contains("ago (killed)") },
        OneShot.text(after))

      // The process view: its process is gone; the next tree shows what replaced it.
      processView.processGone(oldPid, now: 2)
      XCTAssertEqual(processView.plan.tree, true, "a tree is fetched to look for a restart")
      processView.update(try client.snapshot(tree: (100, .seconds(1)), processes: false, sockets: false), now: 2)
      XCTAssertEqual(processView.view, .process)
      XCTAssertEqual(processView.detailPid, newPid)
      XCTAssertEqual(processView.plan, FetchPlan(top: nil, tree: false, process: newPid))
      lines = Screen.lines(&processView, now: 2).map(\.text)
      XCTAssertEqual(lines[22], "↻ session ann restarted: \(oldPid) → \(newPid) (killed); showing the new process")
    }
  }
}
