import OtterTestSupport
import XCTest

@testable import Actors

/// Timers (as OTP documents them).
final class TimerTests: XCTestCase {
  func testSendAfterDeliversAfterTheDelay() async throws {
    try await withNode { node in
      let elapsed = try await node.run(Int.self) { ctx -> Duration in
        let t0 = ContinuousClock.now
        ctx.sendAfter(.milliseconds(25), to: ctx.address, 1)
        let early = try await ctx.next(timeout: .milliseconds(10))
        XCTAssertNil(early)
        _ = try await ctx.next()
        return ContinuousClock.now - t0
      }
      XCTAssertGreaterThanOrEqual(elapsed, .milliseconds(25))
      XCTAssertLessThan(elapsed, .milliseconds(1000))
    }
  }

  func testCancelTimerReturnsTimeLeftAndStopsDelivery() async throws {
    try await withNode { node in
      let (left, again, got) = try await node.run(Int.self) { ctx -> (Duration?, Duration?, Int?) in
        let t = ctx.sendAfter(.milliseconds(500), to: ctx.address, 1)
        let left = ctx.cancelTimer(t)
        let again = ctx.cancelTimer(t)
        let got = try await ctx.next(timeout: .milliseconds(30))
        return (left, again, got)
      }
      XCTAssertNotNil(left)
      XCTAssertGreaterThan(left!, .milliseconds(400))
      XCTAssertLessThanOrEqual(left!, .milliseconds(500))
      XCTAssertNil(again, "a cancelled timer cannot be cancelled twice")
      XCTAssertNil(got)
    }
  }

  func testCancelAfterFiringReturnsNil() async throws {
    try await withNode { node in
      let left = try await node.run(Int.self) { ctx -> Duration? in
        let t = ctx.sendAfter(.milliseconds(1), to: ctx.address, 1)
        _ = try await ctx.next()
        XCTAssertNil(t.remaining)
        return ctx.cancelTimer(t)
      }
      XCTAssertNil(left)
    }
  }

  func testStartTimerDeliversATimerMessageWithItsRef() async throws {
    try await withNode { node in
      let (ref, got, value) = try await node.run(String.self) { ctx -> (Ref, Ref, String) in
        let t = ctx.startTimer(.milliseconds(5), "tick")
        let (r, v) = try await ctx.receive { msg -> (Ref, String)? in
          if case .timer(let r, let v) = msg { return (r, v) }
          return nil
        }!
        return (t.ref, r, v)
      }
      XCTAssertEqual(ref, got)
      XCTAssertEqual(value, "tick")
    }
  }

  func testTimersOfADeadProcessAreCancelled() async throws {
    try await withNode(schedulers: 1) { node in
      let before = node.stats().schedulers.map(\.timers).reduce(0, +)
      let p = node.spawn(Int.self, state: ()) { _, msg, ctx in
        for i in 0..<100 { ctx.sendAfter(.seconds(60), to: ctx.address, i) }
        return .stop(.normal)
      }
      p.send(0)
      try await eventually { !p.pid.isAlive }
      // The dead process's timers are cancelled by its exit path, which may
      // finish a moment after the pid reads as dead.
      try await eventually { node.stats().schedulers.map(\.timers).reduce(0, +) == before }
      let after = node.stats().schedulers.map(\.timers).reduce(0, +)
      XCTAssertEqual(after, before)
    }
  }

  func testManyLiveTimersAreCheapAndCancelCleanly() async throws {
    try await withNode(schedulers: 2) { node in
      let n = 100_000
      let target = node.spawn(Int.self, state: ()) { _, _, _ in .continue }
      let mem0 = node.stats().mallocBytes
      var timers: [TimerRef] = []
      timers.reserveCapacity(n)
      for i in 0..<n { timers.append(node.sendAfter(.seconds(3600), to: target, i)) }
      XCTAssertEqual(node.stats().schedulers.map(\.timers).reduce(0, +), n)
      let perTimer = Double(node.stats().mallocBytes &- mem0) / Double(n)
      XCTAssertLessThan(perTimer, 400, "bytes per live timer")
      var cancelled = 0
      for t in timers where node.cancelTimer(t) != nil { cancelled += 1 }
      XCTAssertEqual(cancelled, n)
      XCTAssertEqual(node.stats().schedulers.map(\.timers).reduce(0, +), 0)
    }
  }

  func testTimerToANameIsLookedUpAtExpiry() async throws {
    try await withNode { node in
      // A timer aimed at an address keeps working while the target lives, and its
      // message is dropped if the target is gone.
      let got = try await node.run(Int.self) { ctx -> Int? in
        let short = ctx.spawn(Int.self, state: ()) { _, _, _ in .stop(.normal) }
        ctx.sendAfter(.milliseconds(5), to: short, 1)
        short.send(0)
        return try await ctx.next(timeout: .milliseconds(30))
      }
      XCTAssertNil(got)
    }
  }
}
