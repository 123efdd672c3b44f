import OtterTestSupport
import XCTest

@testable import Actors

/// Monitors (as OTP documents them).
final class MonitorTests: XCTestCase {
  func testDownCarriesTheExitReason() async throws {
    try await withNode { node in
      let (reason, who, expected) = try await node.run(Never.self) { ctx -> (ExitReason, Pid, Pid) in
        let p = ctx.spawn(Int.self, state: ()) { _, _, _ in .stop(.custom("reason-x")) }
        let ref = ctx.monitor(p.pid)
        p.send(1)
        let (why, pid) = try await ctx.receive { msg -> (ExitReason, Pid)? in
          if case .down(let r, let pid, let why) = msg, r == ref { return (why, pid) }
          return nil
        }!
        return (why, pid, p.pid)
      }
      XCTAssertEqual(reason, .custom("reason-x"))
      XCTAssertEqual(who, expected)
    }
  }

  func testMonitoringADeadProcessGivesNoprocAtOnce() async throws {
    try await withNode { node in
      let dead = node.spawn(Int.self, state: ()) { _, _, _ in .stop(.normal) }
      dead.send(1)
      try await eventually { !dead.pid.isAlive }
      let reason = try await node.run(Never.self) { ctx -> ExitReason? in
        let ref = ctx.monitor(dead.pid)
        return try await ctx.receive(timeout: .zero) { msg -> ExitReason? in
          if case .down(let r, _, let why) = msg, r == ref { return why }
          return nil
        }
      }
      XCTAssertEqual(reason, .noproc)
    }
  }

  func testDemonitorMeansNoDownAfterwards() async throws {
    try await withNode { node in
      let got = try await node.run(Never.self) { ctx -> Bool in
        let p = ctx.spawn(Int.self, state: ()) { _, _, _ in .stop(.custom("x")) }
        let ref = ctx.monitor(p.pid)
        XCTAssertTrue(ctx.demonitor(ref))
        p.send(1)
        try await ctx.sleep(for: .milliseconds(20))
        return try await ctx.receive(timeout: .zero) { msg -> Bool? in
          if case .down = msg { return true }
          return nil
        } ?? false
      }
      XCTAssertFalse(got)
    }
  }

  func testDemonitorFlushRemovesAQueuedDown() async throws {
    try await withNode { node in
      let (active, stillThere) = try await node.run(TestMsg.self) { ctx -> (Bool, Bool) in
        let p = ctx.spawn(Int.self, state: ()) { _, _, _ in .stop(.custom("x")) }
        let ref = ctx.monitor(p.pid)
        p.send(1)
        // Wait until the DOWN is in the mailbox (taken into the saved queue by a
        // selective receive that skips it).
        ctx.address.send(.pong)
        try await ctx.sleep(for: .milliseconds(20))
        _ = try await ctx.receive { $0.value == .pong ? true : nil }
        let active = ctx.demonitor(ref, flush: true)
        let left =
          try await ctx.receive(timeout: .zero) { msg -> Bool? in
            if case .down = msg { return true }
            return nil
          } ?? false
        return (active, left)
      }
      XCTAssertFalse(active, "the DOWN had already arrived")
      XCTAssertFalse(stillThere, "flush removed it")
    }
  }

  func testEachMonitorIsIndependentAndFiresOnce() async throws {
    try await withNode { node in
      let refs = try await node.run(Never.self) { ctx -> (Set<Ref>, Set<Ref>, Int) in
        let p = ctx.spawn(Int.self, state: ()) { _, _, _ in .stop(.normal) }
        let r1 = ctx.monitor(p.pid)
        let r2 = ctx.monitor(p.pid)
        p.send(1)
        var got = Set<Ref>()
        while got.count < 2 {
          if case .down(let r, _, _)? = try await ctx.receive() { got.insert(r) }
        }
        try await ctx.sleep(for: .milliseconds(10))
        var extra = 0
        while try await ctx.receive(timeout: .zero) != nil { extra += 1 }
        return ([r1, r2], got, extra)
      }
      XCTAssertEqual(refs.0, refs.1)
      XCTAssertEqual(refs.2, 0)
    }
  }

  func testMonitorByName() async throws {
    try await withNode { node in
      let p = node.spawn(Int.self, state: ()) { _, _, _ in .stop(.shutdown) }
      try node.register("named", p.pid)
      let (reason, noName) = try await node.run(Never.self) { ctx -> (ExitReason, Ref?) in
        let ref = ctx.monitor(name: "named")!
        p.send(1)
        let why = try await ctx.receive {
          if case .down(let r, _, let w) = $0, r == ref { return w }
          return nil
        }!
        return (why, ctx.monitor(name: "nobody"))
      }
      XCTAssertEqual(reason, .shutdown)
      XCTAssertNil(noName)
    }
  }

  func testMonitorsAreReleasedOnBothSides() async throws {
    try await withNode { node in
      let target = node.spawn(Int.self, state: ()) { _, _, _ in .continue }
      let watcher = try await node.run(Never.self) { ctx -> Pid in
        _ = ctx.monitor(target.pid)
        try await ctx.sleep(for: .milliseconds(10))
        XCTAssertEqual(node.processInfo(target.pid)?.monitoredBy, [ctx.pid])
        return ctx.pid
      }
      // The watcher exited: the target no longer lists it.
      try await eventually { node.processInfo(target.pid)?.monitoredBy.isEmpty == true }
      XCTAssertFalse(watcher.isAlive)
    }
  }
}
