import OtterTestSupport
import XCTest

@testable import Actors

/// The dispatcher that runs async handlers: it also runs the Swift jobs its slices make
/// ready (a caller whose request was answered), so back-to-back calls to an async
/// handler keep one dispatcher on the thread; the thread loop's turns (timers, other
/// processes) still come.
final class DispatcherTests: XCTestCase {
  /// An async handler (it could await; these never do) that answers every request with
  /// the number of requests so far.
  static let counter: MessageHandler<ReplyTo<Int>, Int> = { count, message, _ in
    count += 1
    if case .message(let from) = message { from.reply(count) }
    return .continue
  }

  func testBackToBackCallsToAnAsyncHandlerKeepOneDispatcher() async throws {
    try await withNode(schedulers: 1) { node in
      let server = node.spawn(ReplyTo<Int>.self, state: 0, handler: Self.counter)
      let calls = 2_000
      let scheduler = node.schedulers[0]
      let before = scheduler.dispatcherStarts.load(ordering: .relaxed)
      let last = try await node.run(Int.self) { ctx -> Int in
        var last = 0
        for _ in 0..<calls { last = try await ctx.request(server) { $0 } }
        return last
      }
      let starts = scheduler.dispatcherStarts.load(ordering: .relaxed) &- before
      XCTAssertEqual(last, calls)
      // Once per round of the thread loop (a round is 64 slices and jobs, two per call),
      // not once per call.
      XCTAssertLessThan(starts, UInt64(calls / 10), "dispatchers started for \(calls) calls")
    }
  }

  func testTimersAndOtherProcessesGetTheThreadWhileCallsGoBackToBack() async throws {
    try await withNode(schedulers: 1) { node in
      let server = node.spawn(ReplyTo<Int>.self, state: 0, handler: Self.counter)
      let hammering = node.spawn(Int.self) { ctx in
        while true { _ = try await ctx.request(server) { $0 } }
      }
      let echo = node.spawn(ReplyTo<Int>.self, state: ()) { _, message, _ in
        if case .message(let from) = message { from.reply(7) }
        return .continue
      }
      let spinner = node.spawn(Never.self) { ctx in
        while true { try await ctx.yield() }
      }
      let (late, echoed) = try await node.run(Int.self) { ctx -> (Duration, Int) in
        try await ctx.sleep(for: .milliseconds(20))  // the hammering is under way
        let t0 = ContinuousClock.now
        ctx.sendAfter(.milliseconds(10), to: ctx.address, 1)
        _ = try await ctx.next(timeout: .seconds(2))
        let late = ContinuousClock.now - t0 - .milliseconds(10)
        return (late, try await ctx.request(echo, timeout: .seconds(2)) { $0 })
      }
      XCTAssertLessThan(late, .milliseconds(100), "a 10 ms timer fired this late")
      XCTAssertEqual(echoed, 7)
      let answered = try await node.run(Int.self) { ctx in try await ctx.request(server) { $0 } }
      XCTAssertGreaterThan(answered, 1, "the server went on answering")
      node.exit(hammering.pid, reason: .kill)
      node.exit(spinner.pid, reason: .kill)
      try await eventually { !hammering.pid.isAlive && !spinner.pid.isAlive }
    }
  }

  func testAnAsyncHandlerThatSuspendsAmongBackToBackCalls() async throws {
    // Every tenth request makes the handler sleep: its dispatcher's Task stays with it,
    // and another dispatcher serves the rest meanwhile.
    let sometimesSleeps: MessageHandler<ReplyTo<Int>, Int> = { count, message, ctx in
      count += 1
      let n = count
      if n % 10 == 0 { try await ctx.sleep(for: .milliseconds(1)) }
      if case .message(let from) = message { from.reply(n) }
      return .continue
    }
    try await withNode(schedulers: 1) { node in
      let server = node.spawn(ReplyTo<Int>.self, state: 0, handler: sometimesSleeps)
      let me = try await node.run(Int.self) { ctx -> [[Int]] in
        let me = ctx.address
        let seen = Locked<[[Int]]>([[], []])
        for caller in 0..<2 {
          ctx.spawn(Never.self) { c in
            for _ in 0..<200 {
              let n = try await c.request(server) { $0 }
              seen.withLock { $0[caller].append(n) }
            }
            me.send(caller)
          }
        }
        for _ in 0..<2 { _ = try await ctx.next(timeout: .seconds(10)) }
        return seen.withLock { $0 }
      }
      // Each caller saw its answers in order, and together they saw every number once.
      for answers in me { XCTAssertEqual(answers, answers.sorted()) }
      XCTAssertEqual(Set(me.flatMap { $0 }), Set(1...400))
    }
  }
}
