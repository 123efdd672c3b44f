import Dispatch
import OtterTestSupport
import XCTest

@testable import Actors

/// What an idle process keeps (memory per idle connection): tables with their
/// first entry inline, a mailbox ring that starts at one slot, no wait timer kept while
/// idle, exit hooks that can be removed.
final class FootprintTests: XCTestCase {
  func testPidSetHoldsOneInlineThenGrowsAndShrinks() async throws {
    try await withNode { node in
      let a = node.spawn(Int.self, state: ()) { _, _, _ in .continue }.pid
      let b = node.spawn(Int.self, state: ()) { _, _, _ in .continue }.pid
      let c = node.spawn(Int.self, state: ()) { _, _, _ in .continue }.pid
      var set = PidSet.empty
      XCTAssertTrue(set.insert(a))
      XCTAssertFalse(set.insert(a))
      guard case .one = set else { return XCTFail("one entry is inline") }
      XCTAssertTrue(set.insert(b))
      XCTAssertTrue(set.insert(c))
      XCTAssertEqual(set.count, 3)
      XCTAssertEqual(Set(set.elements), [a, b, c])
      XCTAssertTrue(set.remove(b))
      XCTAssertFalse(set.remove(b))
      XCTAssertTrue(set.remove(a))
      guard case .one(let last) = set else { return XCTFail("back to inline at one entry") }
      XCTAssertEqual(last, c)
      XCTAssertTrue(set.remove(c))
      XCTAssertTrue(set.isEmpty)
      XCTAssertLessThanOrEqual(MemoryLayout<PidSet>.size, 9, "a pointer and a tag")
    }
  }

  func testRefTableHoldsOneInlineThenGrowsAndShrinks() async throws {
    try await withNode { node in
      let p = node.spawn(Int.self, state: ()) { _, _, _ in .continue }.pid.core
      let q = node.spawn(Int.self, state: ()) { _, _, _ in .continue }.pid.core
      let (r1, r2, r3) = (node.makeRef(), node.makeRef(), node.makeRef())
      var table = RefTable.empty
      table[r1] = p
      guard case .one = table else { return XCTFail("one entry is inline") }
      XCTAssertTrue(table[r1] === p)
      XCTAssertNil(table[r2])
      table[r2] = q
      table[r3] = p
      XCTAssertEqual(table.count, 3)
      XCTAssertTrue(table.removeValue(forKey: r2) === q)
      XCTAssertNil(table.removeValue(forKey: r2))
      table[r1] = nil
      guard case .one(let r, let v) = table else { return XCTFail("back to inline at one entry") }
      XCTAssertEqual(r, r3)
      XCTAssertTrue(v === p)
      XCTAssertTrue(table.removeValue(forKey: r3) === p)
      XCTAssertTrue(table.isEmpty)
      XCTAssertEqual(table.entries.count, 0)
      XCTAssertLessThanOrEqual(MemoryLayout<RefTable>.size, 17, "a ref, a pointer and a tag")
    }
  }

  func testExitHookListRemovesByNumber() {
    var hooks = ExitHookList.empty
    let ran = Recorder<Int>()
    hooks.append(0) { _ in ran.add(0) }
    hooks.append(1) { _ in ran.add(1) }
    hooks.append(2) { _ in ran.add(2) }
    XCTAssertTrue(hooks.remove(1))
    XCTAssertFalse(hooks.remove(1))
    for h in hooks.hooks { h(.normal) }
    XCTAssertEqual(ran.all, [0, 2])
    XCTAssertTrue(hooks.remove(0))
    XCTAssertTrue(hooks.remove(2))
    XCTAssertTrue(hooks.isEmpty)
  }

  func testRemovedExitHookDoesNotRun() async throws {
    try await withNode { node in
      let ran = Recorder<String>()
      let done = try await node.run(Never.self) { ctx -> Pid in
        let child = ctx.spawn(
          Int.self, state: (),
          start: { _, c in
            c.onExit { _ in ran.add("kept") }
            let removed = c.onExit { _ in ran.add("removed") }
            XCTAssertTrue(c.removeExitHook(removed))
            XCTAssertFalse(c.removeExitHook(removed))
            return .continue
          }
        ) { _, _, _ in .stop(.normal) }
        child.send(1)
        return child.pid
      }
      try await eventually { !done.isAlive }
      try await eventually { ran.count == 1 }
      XCTAssertEqual(ran.all, ["kept"])
    }
  }

  func testMailboxRingStartsAtOneSlot() {
    var ring = Ring<Int>()
    ring.append(1)
    XCTAssertEqual(ring.capacity, 1)
    ring.append(2)
    XCTAssertEqual(ring.capacity, 2)
    ring.append(3)
    XCTAssertEqual(ring.capacity, 4)
    XCTAssertEqual(ring.popFirst(), 1)
    XCTAssertEqual(ring.popFirst(), 2)
    XCTAssertEqual(ring.popFirst(), 3)
    XCTAssertNil(ring.popFirst())
  }

  /// An idle process keeps one mailbox buffer (for the next arrival), not one per ring.
  func testIdleProcessKeepsOneMailboxBuffer() async throws {
    try await withNode { node in
      let handled = Recorder<Int>()
      let p = node.spawn(Int.self, state: ()) { _, message, _ in
        if case .message(let n) = message { handled.add(n) }
        return .continue
      }
      for round in 0..<3 {
        for i in 0..<5 { p.send(round * 10 + i) }
        try await eventually { handled.count == (round + 1) * 5 }
        try await eventually { node.processInfo(p.pid)?.status == .waiting }
        let process = p.process
        let (pendingBuffer, inboundBuffer, savedBuffer) = process.lock.withLock {
          (process.pending.buffer, process.inbound.buffer, process.saved.buffer)
        }
        XCTAssertNil(pendingBuffer, "round \(round)")
        XCTAssertNil(savedBuffer, "round \(round)")
        XCTAssertNotNil(inboundBuffer, "round \(round): one buffer kept for the next message")
      }
    }
  }

  /// A burst that arrives while the process handles an earlier one leaves the earlier
  /// one's grown buffer in `inbound` (the reader swaps the rings); going idle gives it
  /// back, so an idle process keeps at most a few slots whatever it went through.
  func testIdleProcessGivesBackTheBufferABurstGrew() async throws {
    try await withNode { node in
      let gate = DispatchSemaphore(value: 0)
      let handled = Recorder<Int>()
      let p = node.spawn(Int.self, state: ()) { _, message, _ in
        if case .message(let n) = message {
          handled.add(n)
          // A negative message holds the handler until the test has sent the next burst.
          if n < 0 { gate.wait() }
        }
        return .continue
      }
      p.send(-1)
      try await eventually { handled.count == 1 }
      // Burst A arrives while -1 is handled; its first message holds the handler again.
      p.send(-2)
      for i in 0..<200 { p.send(i) }
      gate.signal()
      try await eventually { handled.count == 2 }
      // Burst B arrives while A is handled: the rings are swapped with A's buffer grown.
      for i in 200..<400 { p.send(i) }
      gate.signal()
      try await eventually { handled.count == 402 }
      try await eventually { node.processInfo(p.pid)?.status == .waiting }
      let process = p.process
      let (pending, inbound, saved) = process.lock.withLock {
        (process.pending.capacity, process.inbound.capacity, process.saved.capacity)
      }
      XCTAssertEqual(pending, 0)
      XCTAssertEqual(saved, 0)
      XCTAssertLessThanOrEqual(inbound, 8, "an idle mailbox keeps a few slots, not the 256 a burst grew")
    }
  }

  /// The reusable wait timer is kept through one run (one timer for many waits) and let
  /// go when the handler process goes idle.
  func testIdleHandlerLetsGoOfItsWaitTimer() async throws {
    try await withNode { node in
      let seen = Recorder<String>()
      let p = node.spawn(TestMsg.self, state: ()) { _, message, ctx in
        switch message {
        case .message(.int):
          _ = try await ctx.receive(timeout: .seconds(5)) { m -> Bool? in
            if case .message(.text("go")) = m { return true }
            return nil
          }
          seen.add(ctx.process.waitTimer == nil ? "no timer" : "timer kept")
        case .message(.stop):
          seen.add(ctx.process.waitTimer == nil ? "no timer" : "timer kept")
        default: break
        }
        return .continue
      }
      p.send(.int(1))
      try await Task.sleep(for: .milliseconds(20))
      p.send(.text("go"))
      try await eventually { seen.count == 1 }
      try await eventually { node.processInfo(p.pid)?.status == .waiting }
      p.send(.stop)
      try await eventually { seen.count == 2 }
      XCTAssertEqual(seen.all, ["timer kept", "no timer"])
    }
  }

  /// A link and a monitor held inline are seen by introspection like any others.
  func testSingleLinkAndMonitorAreSeenByIntrospection() async throws {
    try await withNode { node in
      let info = try await node.run(Never.self) { ctx -> ProcessSnapshot in
        let child = ctx.spawnLink(Int.self, state: ()) { _, _, _ in .continue }
        _ = ctx.monitor(child.pid)
        try await ctx.sleep(for: .milliseconds(20))
        return node.processInfo(child.pid)!
      }
      XCTAssertEqual(info.links.count, 1)
      XCTAssertEqual(info.monitoredBy.count, 1)
    }
  }
}
