import OtterTestSupport
import XCTest

@testable import Actors

/// Spawning, message delivery and how processes end.
final class ProcessTests: XCTestCase {
  func testHandlerProcessGetsMessagesInOrder() async throws {
    try await withNode { node in
      let seen = Recorder<Int>()
      let p = node.spawn(TestMsg.self, state: 0) { count, msg, _ in
        if case .message(.int(let n)) = msg {
          seen.add(n)
          count += 1
        }
        return .continue
      }
      for i in 0..<1000 { p.send(.int(i)) }
      try await eventually { seen.count == 1000 }
      XCTAssertEqual(seen.all, Array(0..<1000))
    }
  }

  func testReturnFromBodyExitsNormal() async throws {
    try await withNode { node in
      let reason = try await node.run(Never.self) { ctx -> ExitReason in
        let (_, ref) = ctx.spawnMonitor(Never.self) { _ in }
        return try await ctx.receive { msg -> ExitReason? in
          if case .down(let r, _, let reason) = msg, r == ref { return reason }
          return nil
        }!
      }
      XCTAssertEqual(reason, .normal)
    }
  }

  func testThrownErrorIsTheExitReason() async throws {
    try await withNode { node in
      let reason = try await node.run(Never.self) { ctx -> ExitReason in
        let (_, ref) = ctx.spawnMonitor(Never.self) { _ in throw Boom(code: 7) }
        return try await ctx.receive { msg -> ExitReason? in
          if case .down(let r, _, let reason) = msg, r == ref { return reason }
          return nil
        }!
      }
      XCTAssertEqual(reason, .error(Boom(code: 7)))
    }
  }

  func testHandlerThrowingAndStopping() async throws {
    try await withNode { node in
      let reasons = try await node.run(Never.self) { ctx -> [ExitReason] in
        let (a, r1) = ctx.spawnMonitor(Int.self, state: ()) { _, _, _ in throw Boom(code: 1) }
        let (b, r2) = ctx.spawnMonitor(Int.self, state: ()) { _, _, _ in .stop(.custom("done")) }
        a.send(1)
        b.send(1)
        var out: [Ref: ExitReason] = [:]
        while out.count < 2 {
          if case .down(let r, _, let reason)? = try await ctx.receive() { out[r] = reason }
        }
        return [out[r1]!, out[r2]!]
      }
      XCTAssertEqual(reasons, [.error(Boom(code: 1)), .custom("done")])
    }
  }

  func testPidsAreUniqueAndPrintLikeErlang() async throws {
    try await withNode { node in
      var seen = Set<Pid>()
      for _ in 0..<1000 {
        let p = node.spawn(Int.self, state: ()) { _, _, _ in .continue }
        XCTAssertTrue(seen.insert(p.pid).inserted)
      }
      let p = seen.first!
      XCTAssertEqual(p.description, "<0.\(p.id).0>")
      XCTAssertEqual(node.systemPid.description, "<0.0.0>")
      XCTAssertEqual(MemoryLayout<Pid>.size, 8)
    }
  }

  func testSendToDeadProcessIsDropped() async throws {
    try await withNode { node in
      let p = node.spawn(Int.self, state: ()) { _, _, _ in .stop(.normal) }
      p.send(1)
      try await eventually { !p.pid.isAlive }
      for i in 0..<100 { p.send(i) }  // no crash, no effect
      XCTAssertNil(node.processInfo(p.pid))
    }
  }

  func testOrderIsKeptPerSenderReceiverPair() async throws {
    try await withNode { node in
      let seen = Recorder<(Int, Int)>()
      let sink = node.spawn((Int, Int).self, state: ()) { _, msg, _ in
        if case .message(let m) = msg { seen.add(m) }
        return .continue
      }
      // Four senders on two schedulers, each sending 10,000 numbered messages.
      for s in 0..<4 {
        node.spawn(
          Int.self, state: (),
          start: { _, _ in
            for i in 0..<10_000 { sink.send((s, i)) }
            return .stop(.normal)
          }
        ) { _, _, _ in .continue }
      }
      try await eventually(timeout: .seconds(20)) { seen.count == 40_000 }
      var last = [Int](repeating: -1, count: 4)
      for (s, i) in seen.all {
        XCTAssertEqual(i, last[s] + 1, "sender \(s) out of order")
        last[s] = i
      }
    }
  }

  func testSpawnLinkLinksBeforeTheChildRuns() async throws {
    try await withNode { node in
      let reason = try await node.run(Never.self) { ctx -> ExitReason in
        ctx.trapExit = true
        // The child dies at once; the link must already be there.
        let child = ctx.spawnLink(Never.self) { _ in throw Boom(code: 3) }
        return try await ctx.receive { msg -> ExitReason? in
          if case .exit(let from, let reason) = msg, from == child.pid { return reason }
          return nil
        }!
      }
      XCTAssertEqual(reason, .error(Boom(code: 3)))
    }
  }

  func testStartHandlerRunsBeforeFirstMessage() async throws {
    try await withNode { node in
      let seen = Recorder<String>()
      let p = node.spawn(
        String.self, state: "",
        start: { st, _ in
          st = "started"
          seen.add("start")
          return .continue
        }
      ) { st, msg, _ in
        if case .message(let m) = msg { seen.add("\(st):\(m)") }
        return .continue
      }
      p.send("a")
      try await eventually { seen.count == 2 }
      XCTAssertEqual(seen.all, ["start", "started:a"])
    }
  }

  func testAsyncHandlerCanSuspendAndOthersKeepRunning() async throws {
    try await withNode(schedulers: 1) { node in
      let seen = Recorder<String>()
      let slow = node.spawn(Int.self, state: ()) { _, msg, ctx in
        try await ctx.sleep(for: .milliseconds(50))
        seen.add("slow")
        return .continue
      }
      let fast = node.spawn(Int.self, state: ()) { _, _, _ in
        seen.add("fast")
        return .continue
      }
      slow.send(1)
      try await Task.sleep(for: .milliseconds(5))
      fast.send(1)
      try await eventually { seen.count == 2 }
      // One scheduler thread: the fast process ran while the slow one was suspended.
      XCTAssertEqual(seen.all, ["fast", "slow"])
    }
  }

  func testExitHooksRun() async throws {
    try await withNode { node in
      let seen = Recorder<ExitReason>()
      let p = node.spawn(
        Int.self, state: (),
        start: { _, ctx in
          ctx.onExit { seen.add($0) }
          return .continue
        }
      ) { _, _, _ in .stop(.shutdown) }
      p.send(1)
      try await eventually { seen.count == 1 }
      XCTAssertEqual(seen.all, [.shutdown])
    }
  }
}
