// After thousands of clients have connected, registered, joined, talked and quit, chatd
// is back where it started: the same processes and descriptors, and the heap within a
// small bound. (Each ended connection used to keep ~1.35 KB for good: its process, socket,
// client handle and a timer, held by a reference cycle through the wait timer.)
import Foundation
import IRCTestSupport
import OtterTestSupport
import XCTest

@testable import ChatApp

final class ConnectionChurnTests: XCTestCase {
  func testConnectionsThatComeAndGoLeaveNothingBehind() async throws {
    var config = testConfig()
    // The heap is the subject: no SQLite page cache growing beside it.
    config.history = false
    try await withChatServer(config) { server in
      let lanes = 6
      let items = 3000
      let port = server.ircPort
      let outcome = try await checkChurn(server.node, items: items, settleTimeout: .seconds(20)) {
        // Clients in six lanes at once (each a thread: the client blocks), one after
        // another in each lane.
        try onThreads(lanes) { lane in
          for i in 0..<(items / lanes) {
            let c = try IRCTestClient(port: port)
            // A few nicks again and again: WHOWAS (bounded per nick) is full after the
            // first round, so what it keeps does not count.
            try c.register("churn\(lane)x\(i % 8)")
            c.send("JOIN #churn\(i % 4)")
            c.send("PRIVMSG #churn\(i % 4) :item \(i)")
            c.send("QUIT :done")
            try c.expectClosed()
          }
        }
      }
      XCTAssertTrue(outcome.settled, "\(outcome)")
    }
  }
}

/// Runs `body(0..<n)` on `n` threads at once and waits for all; rethrows the first error.
func onThreads(_ n: Int, _ body: @escaping @Sendable (Int) throws -> Void) throws {
  let errors = Recorder<String>()
  let group = DispatchGroup()
  for lane in 0..<n {
    group.enter()
    Thread.detachNewThread {
      defer { group.leave() }
      do { try body(lane) } catch { errors.add("lane \(lane): \(error)") }
    }
  }
  group.wait()
  if let first = errors.all.first { throw TestError(first) }
}
