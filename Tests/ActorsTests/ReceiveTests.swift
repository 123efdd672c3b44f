import OtterTestSupport
import XCTest

@testable import Actors

/// Selective receive and receive timeouts.
final class ReceiveTests: XCTestCase {
  func testSelectiveReceiveTakesFirstMatchAndKeepsTheRestInOrder() async throws {
    try await withNode { node in
      let result = try await node.run(TestMsg.self) { ctx -> ([TestMsg], TestMsg?) in
        let me = ctx.address
        for m: TestMsg in [.int(1), .text("a"), .int(2), .text("b"), .int(3)] { me.send(m) }
        // Take the first text message; the ints must stay, in order.
        let firstText = try await ctx.receive(timeout: .zero) { msg -> TestMsg? in
          if case .message(.text(let s)) = msg { return .text(s) }
          return nil
        }
        var rest: [TestMsg] = []
        while let m = try await ctx.next(timeout: .zero) { rest.append(m) }
        return (rest, firstText)
      }
      XCTAssertEqual(result.1, .text("a"))
      XCTAssertEqual(result.0, [.int(1), .int(2), .text("b"), .int(3)])
    }
  }

  func testSkippedMessagesReachTheHandlerLaterInOrder() async throws {
    try await withNode { node in
      let seen = Recorder<TestMsg>()
      // An async handler that, on .stop, selectively waits for .pong first.
      let p = node.spawn(TestMsg.self, state: ()) { _, msg, ctx in
        guard case .message(let m) = msg else { return .continue }
        if m == .stop {
          _ = try await ctx.receive { $0.value == .pong ? true : nil }
          seen.add(.pong)
          return .continue
        }
        seen.add(m)
        return .continue
      }
      p.send(.stop)
      p.send(.int(1))
      p.send(.int(2))
      p.send(.pong)
      p.send(.int(3))
      try await eventually { seen.count == 4 }
      XCTAssertEqual(seen.all, [.pong, .int(1), .int(2), .int(3)])
    }
  }

  func testZeroTimeoutPolls() async throws {
    try await withNode { node in
      let r = try await node.run(Int.self) { ctx -> (Int?, Int?, Double) in
        let t0 = ContinuousClock.now
        let none = try await ctx.next(timeout: .zero)
        let elapsed = ContinuousClock.now - t0
        ctx.address.send(5)
        let some = try await ctx.next(timeout: .zero)
        return (none, some, Double(elapsed.components.attoseconds) / 1e18 + Double(elapsed.components.seconds))
      }
      XCTAssertNil(r.0)
      XCTAssertEqual(r.1, 5)
      XCTAssertLessThan(r.2, 0.05)
    }
  }

  func testTimeoutReturnsNilAfterTheDelay() async throws {
    try await withNode { node in
      let elapsed = try await node.run(Int.self) { ctx -> Duration in
        let t0 = ContinuousClock.now
        let m = try await ctx.next(timeout: .milliseconds(30))
        XCTAssertNil(m)
        return ContinuousClock.now - t0
      }
      XCTAssertGreaterThanOrEqual(elapsed, .milliseconds(30))
      XCTAssertLessThan(elapsed, .milliseconds(1000))
    }
  }

  func testInfinityWaitsForTheMessage() async throws {
    try await withNode { node in
      let r = try await node.run(Int.self) { ctx -> Int in
        ctx.sendAfter(.milliseconds(40), to: ctx.address, 99)
        return try await ctx.next(timeout: .infinity)!
      }
      XCTAssertEqual(r, 99)
    }
  }

  func testNonMatchingMessagesDoNotEndTheWaitEarly() async throws {
    try await withNode { node in
      let r = try await node.run(TestMsg.self) { ctx -> (Bool, Duration) in
        let me = ctx.address
        // A stream of non-matching messages while we wait 50 ms for .pong.
        ctx.spawn(Never.self) { c in
          for i in 0..<20 {
            me.send(.int(i))
            try await c.sleep(for: .milliseconds(2))
          }
        }
        let t0 = ContinuousClock.now
        let got = try await ctx.receive(timeout: .milliseconds(50)) { $0.value == .pong ? true : nil }
        return (got ?? false, ContinuousClock.now - t0)
      }
      XCTAssertFalse(r.0)
      XCTAssertGreaterThanOrEqual(r.1, .milliseconds(50))
    }
  }

  func testSleepDoesNotConsumeMessages() async throws {
    try await withNode { node in
      let r = try await node.run(Int.self) { ctx -> [Int] in
        ctx.address.send(1)
        try await ctx.sleep(for: .milliseconds(10))
        ctx.address.send(2)
        var out: [Int] = []
        while let m = try await ctx.next(timeout: .zero) { out.append(m) }
        return out
      }
      XCTAssertEqual(r, [1, 2])
    }
  }

  func testHandlerIdleTimeout() async throws {
    try await withNode { node in
      let seen = Recorder<String>()
      let p = node.spawn(Int.self, state: 0) { count, msg, _ in
        switch msg {
        case .message(let n):
          seen.add("msg \(n)")
          return .continueWithTimeout(.milliseconds(40))
        case .timeout:
          seen.add("timeout")
          return .continue
        default:
          return .continue
        }
      }
      p.send(1)
      try await Task.sleep(for: .milliseconds(20))
      p.send(2)  // resets the timeout
      try await eventually { seen.count == 3 }
      try await Task.sleep(for: .milliseconds(80))  // .continue cleared it: no second timeout
      XCTAssertEqual(seen.all, ["msg 1", "msg 2", "timeout"])
    }
  }
}
