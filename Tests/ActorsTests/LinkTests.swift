import OtterTestSupport
import XCTest

@testable import Actors

/// The exit-signal table of OTP (the Erlang reference manual's Processes chapter), row by row.
final class LinkTests: XCTestCase {
  /// Spawns a linked pair from a trapping test process and returns what happened.
  private static func exitOf(_ node: Node, _ pid: Pid) async throws -> ExitReason {
    try await node.run(Never.self) { ctx -> ExitReason in
      let ref = ctx.monitor(pid)
      return try await ctx.receive { msg -> ExitReason? in
        if case .down(let r, _, let reason) = msg, r == ref { return reason }
        return nil
      }!
    }
  }

  // Row: link flag set but link already removed → dropped.
  func testSignalFromRemovedLinkIsDropped() async throws {
    try await withNode { node in
      let survived = try await node.run(Never.self) { ctx -> Bool in
        let child = ctx.spawnLink(Int.self, state: ()) { _, _, _ in .stop(.custom("crash")) }
        ctx.unlink(child.pid)
        let ref = ctx.monitor(child.pid)
        child.send(1)
        _ = try await ctx.receive {
          if case .down(let r, _, _) = $0, r == ref { return true }
          return nil
        }
        try await ctx.sleep(for: .milliseconds(10))
        return true  // still alive: the crash did not propagate
      }
      XCTAssertTrue(survived)
    }
  }

  // Row: reason normal, receiver not trapping, sender ≠ receiver → dropped.
  func testNormalExitOfLinkedProcessIsIgnored() async throws {
    try await withNode { node in
      let survived = try await node.run(Never.self) { ctx -> Bool in
        let child = ctx.spawnLink(Int.self, state: ()) { _, _, _ in .stop(.normal) }
        let ref = ctx.monitor(child.pid)
        child.send(1)
        _ = try await ctx.receive {
          if case .down(let r, _, _) = $0, r == ref { return true }
          return nil
        }
        try await ctx.sleep(for: .milliseconds(10))
        return true
      }
      XCTAssertTrue(survived)
    }
  }

  // Row: reason normal, explicit exit(self, normal) → receiver exits normal.
  func testExitSelfNormalEndsTheProcess() async throws {
    try await withNode { node in
      let p = node.spawn(Int.self, state: ()) { _, _, ctx in
        ctx.exit(ctx.pid, reason: .normal)
        return .continue
      }
      let monitor = Task { try await LinkTests.exitOf(node, p.pid) }
      try await Task.sleep(for: .milliseconds(5))
      p.send(1)
      let reason = try await monitor.value
      XCTAssertEqual(reason, .normal)
    }
  }

  // Row: explicit exit(Pid, kill) → untrappable; receiver exits with killed.
  func testExplicitKillIsUntrappableAndGivesKilled() async throws {
    try await withNode { node in
      let reason = try await node.run(Never.self) { ctx -> ExitReason in
        let (victim, ref) = ctx.spawnMonitor(Int.self, state: (), options: SpawnOptions(trapExit: true)) { _, _, _ in .continue }
        ctx.exit(victim.pid, reason: .kill)
        return try await ctx.receive {
          if case .down(let r, _, let why) = $0, r == ref { return why }
          return nil
        }!
      }
      XCTAssertEqual(reason, .killed)
    }
  }

  // Row: kill arriving via a link → trappable; not trapping → exits with kill.
  func testKillThroughALinkPropagatesAsKill() async throws {
    try await withNode { node in
      // B exits with reason `kill` (its own exit, not an explicit kill signal).
      // A is linked to B and does not trap: A must die with `kill`, not `killed`.
      let reasonA = try await node.run(Never.self) { ctx -> ExitReason in
        let (_, refA) = ctx.spawnMonitor(Never.self) { a in
          a.spawnLink(Int.self, state: (), start: { _, _ in .stop(.kill) }) { _, _, _ in .continue }
          _ = try await a.receive()
        }
        return try await ctx.receive {
          if case .down(let r, _, let why) = $0, r == refA { return why }
          return nil
        }!
      }
      XCTAssertEqual(reasonA, .kill)
      // A trapping process gets it as an EXIT message instead, and lives on.
      let (trapped, alive) = try await node.run(Never.self) { ctx -> (ExitReason, Bool) in
        ctx.trapExit = true
        ctx.spawnLink(Int.self, state: (), start: { _, _ in .stop(.kill) }) { _, _, _ in .continue }
        let why = try await ctx.receive {
          if case .exit(_, let why) = $0 { return why }
          return nil
        }!
        return (why, ctx.pid.isAlive)
      }
      XCTAssertEqual(trapped, .kill)
      XCTAssertTrue(alive)
    }
  }

  // Row: any other reason, not trapping → exits with the same reason and propagates.
  func testAbnormalExitPropagatesAlongAChain() async throws {
    try await withNode { node in
      let reasons = try await node.run(Never.self) { ctx -> [ExitReason] in
        // a — b — c linked in a chain; c crashes; a and b must die with c's reason.
        let a = ctx.spawn(Int.self, state: Optional<Address<Int>>.none) { st, msg, c in
          if case .message(let n) = msg, st == nil {
            let b = c.spawnLink(Int.self, state: Optional<Address<Int>>.none) { st2, msg2, c2 in
              if case .message(let m) = msg2, st2 == nil {
                let cc = c2.spawnLink(Int.self, state: ()) { _, _, _ in throw Boom(code: 9) }
                st2 = cc
                cc.send(m)
              }
              return .continue
            }
            st = b
            b.send(n)
          }
          return .continue
        }
        let ref = ctx.monitor(a.pid)
        a.send(1)
        let ra = try await ctx.receive {
          if case .down(let r, _, let why) = $0, r == ref { return why }
          return nil
        }!
        return [ra]
      }
      XCTAssertEqual(reasons, [.error(Boom(code: 9))])
    }
  }

  // Row: trapping exits → {'EXIT', From, Reason} at the end of the queue.
  func testTrappedExitBecomesAMessageAfterEarlierMessages() async throws {
    try await withNode { node in
      let order = try await node.run(TestMsg.self) { ctx -> [String] in
        ctx.trapExit = true
        let me = ctx.address
        let child = ctx.spawnLink(Int.self, state: ()) { _, _, _ in
          me.send(.text("before exit"))
          return .stop(.custom("bye"))
        }
        child.send(1)
        var out: [String] = []
        while out.count < 2 {
          switch try await ctx.receive()! {
          case .message(.text(let s)): out.append(s)
          case .exit(let from, let reason):
            XCTAssertEqual(from, child.pid)
            out.append("EXIT \(reason)")
          default: break
          }
        }
        return out
      }
      XCTAssertEqual(order, ["before exit", "EXIT bye"])
    }
  }

  // Link to a dead process → exit signal noproc.
  func testLinkToDeadProcessGivesNoproc() async throws {
    try await withNode { node in
      let dead = node.spawn(Int.self, state: ()) { _, _, _ in .stop(.normal) }
      dead.send(0)
      try await eventually { !dead.pid.isAlive }
      let trapped = try await node.run(Never.self) { ctx -> ExitReason in
        ctx.trapExit = true
        ctx.link(dead.pid)
        return try await ctx.receive {
          if case .exit(_, let why) = $0 { return why }
          return nil
        }!
      }
      XCTAssertEqual(trapped, .noproc)
      // Not trapping: the process dies with noproc.
      let p = node.spawn(Int.self, state: ()) { _, _, ctx in
        ctx.link(dead.pid)
        return .continue
      }
      let watch = Task { try await LinkTests.exitOf(node, p.pid) }
      try await Task.sleep(for: .milliseconds(5))
      p.send(1)
      let reason = try await watch.value
      XCTAssertEqual(reason, .noproc)
    }
  }

  // exit(pid, normal) from another process: ignored unless trapping.
  func testExplicitNormalExitSignal() async throws {
    try await withNode { node in
      let (plainAlive, trapperSaw) = try await node.run(Bool.self) { ctx -> (Bool, Bool?) in
        let me = ctx.address
        let plain = ctx.spawn(Int.self, state: ()) { _, _, _ in .continue }
        let trapper = ctx.spawn(Int.self, state: (), options: SpawnOptions(trapExit: true)) { _, msg, _ in
          if case .exit(_, let why) = msg { me.send(why == .normal) }
          return .continue
        }
        ctx.exit(plain.pid, reason: .normal)
        ctx.exit(trapper.pid, reason: .normal)
        let saw = try await ctx.next(timeout: .seconds(5))
        try await ctx.sleep(for: .milliseconds(10))
        return (plain.pid.isAlive, saw)
      }
      XCTAssertTrue(plainAlive)
      XCTAssertEqual(trapperSaw, true)
    }
  }

  // Explicit abnormal exit signal kills a non-trapping process with that reason.
  func testExplicitAbnormalExitSignal() async throws {
    try await withNode { node in
      let reason = try await node.run(Never.self) { ctx -> ExitReason in
        let (p, ref) = ctx.spawnMonitor(Int.self, state: ()) { _, _, _ in .continue }
        ctx.exit(p.pid, reason: .shutdown)
        return try await ctx.receive {
          if case .down(let r, _, let why) = $0, r == ref { return why }
          return nil
        }!
      }
      XCTAssertEqual(reason, .shutdown)
    }
  }

  // A process blocked in receive is killed at once, and its body unwinds.
  func testKillWakesAProcessBlockedInReceive() async throws {
    try await withNode { node in
      let unwound = Recorder<String>()
      let reason = try await node.run(Never.self) { ctx -> ExitReason in
        let (p, ref) = ctx.spawnMonitor(Int.self) { c in
          defer { unwound.add("unwound") }
          _ = try await c.receive()
        }
        try await ctx.sleep(for: .milliseconds(10))
        ctx.exit(p.pid, reason: .kill)
        return try await ctx.receive {
          if case .down(let r, _, let why) = $0, r == ref { return why }
          return nil
        }!
      }
      XCTAssertEqual(reason, .killed)
      try await eventually { unwound.count == 1 }
    }
  }

  // Links are bidirectional and at most one per pair.
  func testLinksAreBidirectionalAndUnique() async throws {
    try await withNode { node in
      let info = try await node.run(Never.self) { ctx -> (ProcessSnapshot, ProcessSnapshot) in
        let other = ctx.spawn(Int.self, state: ()) { _, _, _ in .continue }
        ctx.link(other.pid)
        ctx.link(other.pid)
        try await ctx.sleep(for: .milliseconds(10))
        return (node.processInfo(ctx.pid)!, node.processInfo(other.pid)!)
      }
      XCTAssertEqual(info.0.links, [info.1.pid])
      XCTAssertEqual(info.1.links, [info.0.pid])
    }
  }
}

extension Context {
  /// Runs `body` in a child process (trapping exits if asked) and returns its result.
  func run<R: Sendable>(trapping: Bool, _ body: @escaping @Sendable (Context<Never>) async throws -> R) async throws -> R {
    try await node.run(Never.self) { c in
      c.trapExit = trapping
      return try await body(c)
    }
  }
}
