// Cluster-wide names over a real redis-server: one owner, refused to a second, found from
// another node, released when the owner ends and when its node stops being a member —
// buried, not merely past its lease's expiry.
import Actors
import OtterTestSupport
import Redis
import RedisTestSupport
import XCTest

@testable import Distribution

final class GlobalNamesTests: XCTestCase {
  func testOneOwnerReleasedWhenItOrItsNodeDies() async throws {
    let server = try startRedisServer()
    try await withLinkedPair(server) { a, b, ra, rb, da, db, na, nb in
      let got = Locked<[String]>([])
      let owner = a.spawn(Echo.self) { ctx in
        while let m = try await ctx.next() {
          if case .text(let t) = m {
            got.withLock { $0.append(t) }
            if t == "stop" { return }
          }
        }
      }
      let ownerOnB = b.spawn(Echo.self) { ctx in _ = try await ctx.next() }
      let registered = try await na.register("svc", owner, a)
      XCTAssertTrue(registered)
      let second = try await nb.register("svc", ownerOnB, b)
      XCTAssertFalse(second, "one owner per name")
      // Found from b, and sent to across nodes.
      let sent = try await nb.send(Echo.text("hello"), to: "svc", b)
      XCTAssertTrue(sent)
      try await eventually { got.withLock { $0 } == ["hello"] }
      // The owner ends: the name is released at once.
      owner.send(.text("stop"))
      try await eventually("the name to be released") { try await nb.whereis("svc", as: Echo.self, b) == nil }
      let taken = try await nb.register("svc", ownerOnB, b)
      XCTAssertTrue(taken)
      // b's node stops being a member (its lease runs out): the name goes with it.
      db.stop()
      let stopped = ContinuousClock.now
      try await eventually("b's name to go with its lease", timeout: .seconds(5)) {
        try await na.whereis("svc", as: Echo.self, a) == nil
      }
      XCTAssertLessThan(ContinuousClock.now - stopped, .seconds(3.5))
      // And a live member may take it.
      let again = a.spawn(Echo.self) { ctx in _ = try await ctx.next() }
      let retaken = try await na.register("svc", again, a)
      XCTAssertTrue(retaken)
      await ra.stop(a)
      await rb.stop(b)
    }
  }

  /// A name moves from a process of one node to a process of another in one step (a
  /// chat session handed over keeps its nick): only from its holder, never free in
  /// between, and the old owner's end no longer releases it.
  func testANameMovesToAProcessOfAnotherNode() async throws {
    let server = try startRedisServer()
    try await withLinkedPair(server) { a, b, ra, rb, da, db, na, nb in
      let old = a.spawn(Echo.self) { ctx in _ = try await ctx.next() }
      let new = b.spawn(Echo.self) { ctx in _ = try await ctx.next() }
      let other = b.spawn(Echo.self) { ctx in _ = try await ctx.next() }
      let claimed = try await na.claim("nick:x", owner: old.pid, a)
      XCTAssertTrue(claimed)
      let oldLocation = PidLocation(node: da.name, incarnation: da.incarnation, number: old.pid.id)
      let newLocation = PidLocation(node: db.name, incarnation: db.incarnation, number: new.pid.id)
      // Not from a process that does not hold it.
      let wrong = try await nb.transfer("nick:x", from: newLocation, to: other.pid, b)
      XCTAssertFalse(wrong)
      let moved = try await nb.transfer("nick:x", from: oldLocation, to: new.pid, b)
      XCTAssertTrue(moved)
      let again = try await nb.transfer("nick:x", from: oldLocation, to: new.pid, b)
      XCTAssertTrue(again, "a retry finds it done")
      let refused = try await na.claim("nick:x", owner: a.spawn(Echo.self) { ctx in _ = try await ctx.next() }.pid, a)
      XCTAssertFalse(refused, "held by the new owner")
      // The old owner ends: its node's registrar leaves the name alone.
      old.send(.text("stop"))
      try await Task.sleep(for: .milliseconds(200))
      let stillHeld = try await na.claim("nick:x", owner: a.spawn(Echo.self) { ctx in _ = try await ctx.next() }.pid, a)
      XCTAssertFalse(stillHeld)
      // The new owner ends: released as any name.
      new.send(.text("stop"))
      try await eventually("the name to be released") {
        try await na.claim("nick:x", owner: a.spawn(Echo.self) { ctx in _ = try await ctx.next() }.pid, a)
      }
      await ra.stop(a)
      await rb.stop(b)
    }
  }

  /// An owner's node counts as alive while Redis holds its incarnation, not buried (as
  /// membership decides it), not by its lease's expiry: a lease that went unrenewed
  /// while Redis stood still may yet be renewed, and its names must not go meanwhile.
  func testANameStaysWithAnOwnerWhoseLeaseExpiredUnburied() async throws {
    let server = try startRedisServer()
    try await withLinkedPair(server) { a, b, ra, rb, da, db, na, nb in
      let owner = a.spawn(Echo.self) { ctx in _ = try await ctx.next() }
      let ownerOnB = b.spawn(Echo.self) { ctx in _ = try await ctx.next() }
      let registered = try await na.register("svc", owner, a)
      XCTAssertTrue(registered)
      // Nobody renews or sweeps for a while, and a's lease is past its expiry, as when
      // Redis stood still: a is not buried, so it still owns the name.
      try await XCTUnwrap(da.membership).suspendForTesting(.seconds(2), a)
      try await XCTUnwrap(db.membership).suspendForTesting(.seconds(2), b)
      _ = try server.redisCLI(["ZADD", "otter:{otter}:members", "1", "a"])
      let found = try await nb.whereis("svc", as: Echo.self, b)
      XCTAssertNotNil(found, "the name went with an unburied lease")
      let second = try await nb.register("svc", ownerOnB, b)
      XCTAssertFalse(second, "taken from an owner that may still renew")
      XCTAssertEqual(try server.redisCLI(["GET", "otter:{otter}:global:svc"]), "a \(da.incarnation) \(owner.pid.id)")
      await ra.stop(a)
      await rb.stop(b)
    }
  }

  /// A node whose process is gone — its link breaks and its address refuses
  /// connections — is declared down at once, whatever its lease: its names are free in
  /// well under the lease (30 s here). And the same name joins again at once, though its
  /// old lease still runs: the old address has nobody behind it.
  func testAGoneNodeIsDeclaredDownAtOnceAndItsNameMayJoinAgain() async throws {
    let server = try startRedisServer()
    var long = MembershipConfiguration()
    long.leaseTime = .seconds(30)
    long.heartbeat = .seconds(1)
    long.sweep = .seconds(1)
    try await withLinkedPair(server, membership: long) { a, b, ra, rb, da, db, na, nb in
      let ownerOnB = b.spawn(Echo.self) { ctx in _ = try await ctx.next() }
      let registered = try await nb.register("svc", ownerOnB, b)
      XCTAssertTrue(registered)
      db.stop()
      let stopped = ContinuousClock.now
      try await eventually("b's name to go with its node", timeout: .seconds(10)) {
        try await na.whereis("svc", as: Echo.self, a) == nil
      }
      let took = ContinuousClock.now - stopped
      XCTAssertLessThan(took, .seconds(3), "a gone node was declared down after \(took)")
      try await eventually("b not to be a member any more", timeout: .seconds(5)) { !da.members.contains { $0.name == "b" } }
      let tombstone = try server.redisCLI(["HGET", "otter:{otter}:down", "b"])
      XCTAssertTrue(tombstone.contains("refuses connections"), "buried as gone: \(tombstone)")
      await ra.stop(a)
      await rb.stop(b)
    }
    // A lone node, stopped as a crash would, starts again under its name at once.
    try await withNode(name: "c") { c in
      let rc = try await RedisClient.start(RedisConfiguration(url: server.url), on: c)
      let first = try await Distribution.start(DistributionConfiguration(name: "c", secret: "s"), redis: rc, membership: long, on: c)
      let old = first.incarnation
      first.stop()
      let restarted = ContinuousClock.now
      let second = try await Distribution.start(
        DistributionConfiguration(name: "c", secret: "s"), redis: rc, membership: long, on: c)
      XCTAssertLessThan(ContinuousClock.now - restarted, .seconds(5))
      XCTAssertGreaterThan(second.incarnation, old)
      second.stop()
      await rc.stop(c)
    }
  }

  /// Nodes a and b linked through one Redis, each with its global names.
  private func withLinkedPair(
    _ server: RedisServer, membership: MembershipConfiguration? = nil,
    _ body: (Node, Node, RedisClient, RedisClient, Distribution, Distribution, GlobalNames, GlobalNames) async throws -> Void
  ) async throws {
    try await withNode(name: "a") { a in
      try await withNode(name: "b") { b in
        let ra = try await RedisClient.start(RedisConfiguration(url: server.url), on: a)
        let rb = try await RedisClient.start(RedisConfiguration(url: server.url), on: b)
        let da = try await Distribution.start(
          DistributionConfiguration(name: "a", secret: "s"), redis: ra, membership: membership, on: a)
        let db = try await Distribution.start(
          DistributionConfiguration(name: "b", secret: "s"), redis: rb, membership: membership, on: b)
        defer {
          da.stop()
          db.stop()
        }
        try await eventually("a and b to connect") { da.connectedNodes == ["b"] && db.connectedNodes == ["a"] }
        let na = try await GlobalNames.start(da, redis: ra)
        let nb = try await GlobalNames.start(db, redis: rb)
        try await body(a, b, ra, rb, da, db, na, nb)
      }
    }
  }
}
