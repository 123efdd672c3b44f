import OtterTestSupport
import Synchronization
import XCTest

@testable import Actors

/// What waits in a mailbox, seen from outside without stopping the process: each message
/// by its type and enum cases, never the values inside.
final class MailboxPeekTests: XCTestCase {
  enum Setting: Sendable {
    case password(String)
    case volume(Int)
  }
  enum Job: Sendable {
    case go
    case configure(Setting, note: String)
    case resize(Int)
    case flush
  }

  func testAWaitingProcessShowsItsQueueInOrderWithoutTheValues() async throws {
    try await withNode { node in
      // Waits for `.go` only: everything else stays queued (in the part of the mailbox
      // only the process itself touches while it runs — readable now, as it waits).
      let pid = node.spawn(Job.self) { ctx in
        _ = try await ctx.receive { if case .message(.go) = $0 { true } else { nil } }
      }.pid
      let address = try XCTUnwrap(pid.address(as: Job.self))
      address.send(.configure(.password("hunter2"), note: "secret note"))
      address.send(.resize(42))
      address.send(.flush)
      try await eventually("all three queued while it waits") {
        node.processInfo(pid)?.status == .waiting && node.queuedMessages(of: pid)?.total == 3
      }
      let peek = try XCTUnwrap(node.queuedMessages(of: pid))
      XCTAssertEqual(peek.inBatch, 0)
      XCTAssertEqual(peek.messages.map(\.type), ["Job", "Job", "Job"])
      XCTAssertEqual(peek.messages.map(\.summary), ["configure(MailboxPeekTests.Setting.password)", "resize", "flush"])
      XCTAssertFalse(
        peek.messages.contains { $0.summary.contains("hunter2") || $0.summary.contains("42") || $0.summary.contains("secret") })
      XCTAssertEqual(node.queuedMessages(of: pid, limit: 1)?.messages.count, 1)
      XCTAssertEqual(node.queuedMessages(of: pid, limit: 1)?.total, 3)
      address.send(.go)
      try await eventually("it ends") { !pid.isAlive }
      XCTAssertNil(node.queuedMessages(of: pid))
    }
  }

  func testARunningProcessShowsWhatArrivedAfterItsBatch() async throws {
    try await withNode { node in
      // How many times the handler has blocked, and how many it may pass.
      let blocked = Atomic<Int>(0)
      let passes = Atomic<Int>(0)
      // A synchronous handler that blocks on `.go` and `.flush`: while it runs, the batch
      // it took is counted, not shown; what arrived after is shown.
      let pid = node.spawn(Job.self, state: ()) { _, message, _ in
        switch message {
        case .message(.go), .message(.flush):
          let n = blocked.add(1, ordering: .acquiringAndReleasing).newValue
          while passes.load(ordering: .acquiring) < n { usleep(200) }
        default: break
        }
        return .continue
      }.pid
      defer { passes.store(100, ordering: .releasing) }
      let address = try XCTUnwrap(pid.address(as: Job.self))
      address.send(.flush)
      try await eventually("blocked in the first message") { blocked.load(ordering: .acquiring) == 1 }
      // These two arrive together: its next batch, of which it blocks in the first.
      address.send(.go)
      address.send(.resize(7))
      passes.store(1, ordering: .releasing)
      try await eventually("blocked in .go") { blocked.load(ordering: .acquiring) == 2 }
      address.send(.flush)
      let peek = try XCTUnwrap(node.queuedMessages(of: pid))
      XCTAssertEqual(peek.total, 2)
      XCTAssertEqual(peek.inBatch, 1, "the resize, taken with .go")
      XCTAssertEqual(peek.messages.map(\.summary), ["flush"])
      passes.store(100, ordering: .releasing)
      try await eventually("the queue to drain") { node.queuedMessages(of: pid)?.total == 0 }
    }
  }

  func testSystemMessagesAreNamed() async throws {
    try await withNode { node in
      let pid = node.spawn(Job.self) { ctx in
        ctx.trapExit = true
        let other = ctx.spawn(Int.self, state: ()) { _, _, _ in .stop(.custom("done")) }
        _ = ctx.monitor(other.pid)
        other.send(1)
        _ = try await ctx.receive { if case .message(.go) = $0 { true } else { nil } }
      }.pid
      try await eventually("the DOWN to be queued") { node.queuedMessages(of: pid)?.messages.first?.type == "down" }
      XCTAssertTrue(node.queuedMessages(of: pid)?.messages.first?.summary.hasSuffix(": done") ?? false)
      pid.address(as: Job.self)?.send(.go)
    }
  }
}
