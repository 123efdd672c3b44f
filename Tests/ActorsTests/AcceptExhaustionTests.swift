import Glibc
import OtterTestSupport
import XCTest

@testable import Actors

/// A listener whose accept fails reports the error once per accept its owner asks for,
/// not at every poll. Out of file descriptors (EMFILE) a listener stays readable; chatd's
/// acceptor waits 100 ms before it asks again, and its mailbox filled with an error per
/// poll meanwhile (670 MB in a minute at the descriptor limit). A listener shut down for
/// reading fails the same way (EINVAL) without exhausting this process's descriptors,
/// which Dispatch's own threads need.
final class AcceptExhaustionTests: XCTestCase {
  func testAFailingAcceptReportsOneErrorPerRequest() async throws {
    try await withNode { node in
      let errors = Recorder<Int32>()
      let (replyTo, request) = node.makeReply(Socket.self)
      let acceptor = node.spawn(Never.self) { ctx in
        let listener = try ctx.listen(tcp: "127.0.0.1", port: 0)
        replyTo.reply(listener)
        var kept: [Socket] = []
        while true {
          do {
            kept.append(try await ctx.accept(listener))
          } catch SocketError.system(_, let errno) {
            errors.add(errno)
            // chatd's listener waits like this before it asks again.
            try await ctx.sleep(for: .milliseconds(100))
          }
        }
      }
      let listener = try await node.receiveResponse(request)
      try await eventually("the acceptor to wait") { node.processInfo(acceptor.pid)?.status == .waiting }
      XCTAssertEqual(shutdown(listener.fd, Int32(SHUT_RD)), 0)
      try await eventually("the acceptor to see the error") { errors.count > 0 }
      // A few of its waits: before, the error came again at every poll meanwhile, tens of
      // thousands of them queued in 300 ms.
      try await Task.sleep(for: .milliseconds(300))
      let queued = node.processInfo(acceptor.pid)?.messageQueueLength ?? 0
      XCTAssertLessThanOrEqual(queued, 2, "one error per accept asked for")
      XCTAssertEqual(errors.all.first, EINVAL)
    }
  }
}
