// Nothing grows without bound across nodes: after thousands of processes have monitored,
// linked to, called and pinged processes of another node and ended, the node is back to
// its processes, descriptors and heap, and the link keeps no record of them.
import Actors
import GenServer
import OtterTestSupport
import XCTest

@testable import Distribution

final class DistributionChurnTests: XCTestCase {
  func testRemoteMonitorsLinksAndCallsLeaveNothingBehind() async throws {
    try await withTwoNodes { a, da, b, db in
      try startEcho(b, db)
      let counter = try await b.start(Counter())!
      try db.register("counter", counter.address)
      try await da.connect(to: "b", at: db.address)
      let echo = try await da.lookup("echo", on: "b", as: Echo.self)
      let server = try await da.server("counter", on: "b", Counter.self)
      let items = 3000
      let outcome = try await checkChurn(a, items: items, settleTimeout: .seconds(20)) {
        let done = Locked(0)
        for lane in 0..<4 {
          a.spawn(Never.self) { ctx in
            for _ in 0..<(items / 4) {
              let (reply, request) = ctx.makeReply(Bool.self)
              ctx.spawn(Echo.self) { worker in
                worker.trapExit = true
                worker.link(echo.pid)
                let ref = worker.monitor(echo.pid)
                echo.send(.ping(lane, replyTo: worker.address))
                _ = try await worker.next(timeout: .seconds(5))
                _ = try await worker.call(server, 1)
                _ = worker.demonitor(ref)
                worker.unlink(echo.pid)
                reply.reply(true)
              }
              _ = try await ctx.receiveResponse(request, timeout: .seconds(10))
            }
            done.withLock { $0 += 1 }
          }
        }
        try await eventually("the lanes to finish", timeout: .seconds(120)) { done.withLock { $0 } == 4 }
      }
      XCTAssertTrue(outcome.settled, "\(outcome)")
      let link = try XCTUnwrap(da.core.link(to: "b"))
      let left = link.state.withLock { ($0.links.count, $0.outMonitors.count, $0.calls.count, $0.inMonitors.count) }
      XCTAssertEqual(left.0, 0, "link records")
      XCTAssertEqual(left.1, 0, "monitor records")
      XCTAssertEqual(left.2, 0, "calls in flight")
      let remoteSide = try XCTUnwrap(db.core.link(to: "a"))
      try await eventually("b to forget a's links and monitors") {
        remoteSide.state.withLock { $0.links.isEmpty && $0.inMonitors.isEmpty }
      }
    }
  }
}
