import OtterTestSupport
import Synchronization
import XCTest

@testable import Actors

/// Labels: a fixed text, or computed from a source each time introspection reads it —
/// a source that is let go when the process exits, even one that holds the process's pid.
final class ProcessLabelTests: XCTestCase {
  /// A label source that names a process after a value it publishes, and holds the
  /// process's pid (as a chat client's handle does).
  final class Badge: ProcessLabelSource {
    let name = Mutex("first")
    let pid = Mutex<Pid?>(nil)
    var processLabel: String { "badge \(name.withLock { $0 })" }
  }

  final class WeakBadge: Sendable {
    weak let badge: Badge?
    init(_ badge: Badge) { self.badge = badge }
  }

  func testAComputedLabelFollowsItsSourceAndIsLetGoAtExit() async throws {
    try await withNode { node in
      var badge: Badge? = Badge()
      let watched = WeakBadge(badge!)
      let labelled = Mutex<Badge?>(badge)
      badge = nil
      let pid = node.spawn(Int.self, state: ()) { _, message, ctx in
        if case .message(1) = message, let b = labelled.withLock({ $0 }) {
          b.pid.withLock { $0 = ctx.pid }
          ctx.setLabel(from: b)
        }
        if case .message(2) = message { return .stop(.normal) }
        return .continue
      }.pid
      pid.address(as: Int.self)?.send(1)
      try await eventually("the computed label") { node.processInfo(pid)?.label == "badge first" }
      watched.badge?.name.withLock { $0 = "second" }
      XCTAssertEqual(node.processInfo(pid)?.label, "badge second", "read when looked at")
      XCTAssertEqual(node.processSummary(pid)?.label, "badge second")
      labelled.withLock { $0 = nil }
      // The source holds the pid, the process holds the source: its exit breaks the cycle.
      pid.address(as: Int.self)?.send(2)
      try await eventually("the label's source to be freed after the exit") { watched.badge == nil }
    }
  }

  func testAFixedLabelAndNoLabel() async throws {
    try await withNode { node in
      let plain = node.spawn(Int.self, state: ()) { _, _, _ in .continue }.pid
      XCTAssertNil(node.processInfo(plain)?.label)
      let named = node.spawn(Int.self, state: (), options: SpawnOptions(label: "worker 7")) { _, message, ctx in
        if case .message(let n) = message { ctx.label = n == 0 ? nil : "worker \(n)" }
        return .continue
      }.pid
      XCTAssertEqual(node.processInfo(named)?.label, "worker 7")
      named.address(as: Int.self)?.send(8)
      try await eventually("the new label") { node.processInfo(named)?.label == "worker 8" }
      named.address(as: Int.self)?.send(0)
      try await eventually("the label removed") { node.processInfo(named)?.label == nil }
    }
  }

  func testTheLabelTakesNoMoreRoomThanAnOptionalString() {
    // 17 bytes, laid out before `trapExit`'s one byte: the pair fills the 24 bytes that
    // an 8-aligned `String?` and a padded Bool took before.
    XCTAssertLessThanOrEqual(MemoryLayout<ProcessLabel>.size, MemoryLayout<String?>.size + 1)
  }
}
