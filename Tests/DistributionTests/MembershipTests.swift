// Membership against a real redis-server: members see each other, a crash within the
// bound, a leave at once, a frozen member and one cut off from Redis lose their lease
// and rejoin, while Redis restarted, paused or down for ten seconds changes nothing but
// health; a duplicate name is refused. Each member runs on its own node and Redis
// client, as separate OS processes would.
import Actors
import OtterTestSupport
import Redis
import RedisTestSupport
import XCTest

@testable import Distribution

final class MembershipTests: XCTestCase {
  /// One member: its node, client, membership, and the events it reported (with when).
  final class Member: Sendable {
    let node: Node
    let client: RedisClient
    let membership: Membership
    let log: Recorder<(ContinuousClock.Instant, MembershipEvent)>

    init(node: Node, client: RedisClient, membership: Membership, log: Recorder<(ContinuousClock.Instant, MembershipEvent)>) {
      self.node = node
      self.client = client
      self.membership = membership
      self.log = log
    }

    var name: String { membership.current.name }
    var events: [MembershipEvent] { log.all.map(\.1) }

    /// When `event` was first reported, if it was.
    func time(of match: (MembershipEvent) -> Bool) -> ContinuousClock.Instant? { log.all.first { match($0.1) }?.0 }

    /// Waits until an event matching `match` is reported; returns when it was.
    @discardableResult
    func waitFor(_ what: String, timeout: Duration = .seconds(5), _ match: @escaping (MembershipEvent) -> Bool) async throws
      -> ContinuousClock.Instant
    {
      try await eventuallyValue("\(name) to see \(what) (saw \(events))", timeout: timeout) { self.time(of: match) }
    }

    var downs: [MembershipEvent] { events.filter { if case .nodeDown = $0 { return true } else { return false } } }
    /// The events from the `from`th on, but health: what changed in the cluster as it sees it.
    func changes(from: Int = 0) -> [MembershipEvent] {
      events.dropFirst(from).filter { if case .health = $0 { return false } else { return true } }
    }
    /// The health events from the `from`th on.
    func healths(from: Int = 0) -> [MembershipHealth] {
      events.dropFirst(from).compactMap { if case .health(let h) = $0 { return h } else { return nil } }
    }
    var lost: [MembershipEvent] { events.filter { if case .leaseLost = $0 { return true } else { return false } } }
    var memberKeys: Set<String> { Set(membership.members.map { "\($0.name)#\($0.incarnation)" }) }
  }

  /// Starts a member named `name` on a node of its own (stopped at the test's teardown),
  /// reaching `server` directly or at `url` (a proxy).
  private func member(
    _ name: String, _ server: RedisServer, url: String? = nil, configuration: MembershipConfiguration = .init()
  ) async throws -> Member {
    let node = try Node(schedulers: 1, name: name)
    let client: RedisClient
    do {
      client = try await RedisClient.start(RedisConfiguration(url: url ?? server.url), poolSize: 1, on: node)
    } catch {
      node.shutdown(timeout: .milliseconds(200))
      throw error
    }
    addTeardownBlock {
      node.shutdown(timeout: .milliseconds(500))
    }
    let log = Recorder<(ContinuousClock.Instant, MembershipEvent)>()
    let membership = try await Membership.start(
      name: name, address: "127.0.0.1:\(40000 + name.count)", metadata: ["role": "test"], redis: client,
      configuration: configuration, on: node
    ) { event in log.add((.now, event)) }
    return Member(node: node, client: client, membership: membership, log: log)
  }

  private func isUp(_ name: String, _ incarnation: UInt64? = nil) -> (MembershipEvent) -> Bool {
    { e in
      if case .nodeUp(let m) = e { return m.name == name && (incarnation == nil || m.incarnation == incarnation) }
      return false
    }
  }

  private func isDown(_ name: String, reason: String? = nil) -> (MembershipEvent) -> Bool {
    { e in
      if case .nodeDown(let m, let why) = e { return m.name == name && (reason == nil || why == reason) }
      return false
    }
  }

  private func allSee(_ members: [Member], _ expected: Set<String>, timeout: Duration = .seconds(5)) async throws {
    for m in members {
      try await eventually("\(m.name) to see \(expected.sorted()) (sees \(m.memberKeys.sorted()))", timeout: timeout) {
        m.memberKeys == expected
      }
    }
  }

  private func key(_ m: Member) -> String { "\(m.name)#\(m.membership.current.incarnation)" }

  // MARK: -

  func testMembersSeeEachOtherAndACrashWithinTheBound() async throws {
    let server = try startRedisServer()
    let a = try await member("chatd-a", server)
    let b = try await member("chatd-b", server)
    let c = try await member("chatd-c", server)
    XCTAssertTrue(a.membership.holdsLease)
    XCTAssertNotEqual(a.membership.current.incarnation, 0)
    XCTAssertLessThan(a.membership.current.incarnation, b.membership.current.incarnation)
    try await allSee([a, b, c], [key(a), key(b), key(c)])
    try await a.waitFor("chatd-b up", isUp("chatd-b", b.membership.current.incarnation))
    try await a.waitFor("chatd-c up", isUp("chatd-c"))
    try await c.waitFor("chatd-a up", isUp("chatd-a"))
    XCTAssertEqual(a.membership.members.first { $0.name == "chatd-c" }?.metadata, ["role": "test"])
    // Redis holds the lease key and the list.
    let lease = try server.redisCLI(["GET", "otter:{otter}:member:chatd-a"])
    XCTAssertTrue(lease.hasPrefix("\(a.membership.current.incarnation) {"), lease)
    let pttl = Int(try server.redisCLI(["PTTL", "otter:{otter}:member:chatd-a"])) ?? -1
    XCTAssertTrue((1...2000).contains(pttl), "\(pttl)")
    XCTAssertEqual(try server.redisCLI(["ZCARD", "otter:{otter}:members"]), "3")

    // chatd-c crashes: its heartbeat stops, its lease stays until it expires.
    let crashed = ContinuousClock.now
    c.membership.stop()
    XCTAssertFalse(c.membership.holdsLease)
    for m in [a, b] {
      let seen = try await m.waitFor("chatd-c down", timeout: .seconds(5), isDown("chatd-c", reason: "lease expired"))
      let elapsed = seen - crashed
      print("membership: \(m.name) saw the crash of chatd-c after \(elapsed)")
      XCTAssertLessThan(elapsed, .milliseconds(3500))
    }
    try await allSee([a, b], [key(a), key(b)])
    XCTAssertEqual(a.downs.count, 1)
    XCTAssertEqual(b.downs.count, 1)
    XCTAssertEqual(try server.redisCLI(["ZCARD", "otter:{otter}:members"]), "2")
    XCTAssertEqual(try server.redisCLI(["EXISTS", "otter:{otter}:member:chatd-c"]), "0")
  }

  func testLeaveIsSeenAtOnce() async throws {
    let server = try startRedisServer()
    let a = try await member("chatd-a", server)
    let b = try await member("chatd-b", server)
    try await allSee([a, b], [key(a), key(b)])
    let left = ContinuousClock.now
    await b.membership.leave(b.node)
    XCTAssertFalse(b.membership.holdsLease)
    let seen = try await a.waitFor("chatd-b leave", isDown("chatd-b", reason: "left"))
    print("membership: chatd-a saw chatd-b leave after \(seen - left)")
    XCTAssertLessThan(seen - left, .seconds(1))
    try await allSee([a], [key(a)])
    XCTAssertEqual(try server.redisCLI(["ZRANGE", "otter:{otter}:members", "0", "-1"]), "chatd-a")
    // The name is free again: a new incarnation takes it.
    let b2 = try await member("chatd-b", server)
    XCTAssertGreaterThan(b2.membership.current.incarnation, b.membership.current.incarnation)
    try await a.waitFor("chatd-b up again", isUp("chatd-b", b2.membership.current.incarnation))
  }

  func testAFrozenMemberLosesItsLeaseAndRejoinsUnderANewIncarnation() async throws {
    let server = try startRedisServer()
    let a = try await member("chatd-a", server)
    let b = try await member("chatd-b", server)
    try await allSee([a, b], [key(a), key(b)])
    let old = b.membership.current
    let before = b.log.count
    let frozen = ContinuousClock.now
    try await b.membership.suspendForTesting(.milliseconds(3000), b.node)
    let seen = try await a.waitFor("chatd-b down", isDown("chatd-b", reason: "lease expired"))
    print("membership: chatd-a saw the frozen chatd-b down after \(seen - frozen)")
    XCTAssertLessThan(seen - frozen, .milliseconds(3500))
    // b wakes up: its first event is the loss of its lease, then a down of a, then a's up.
    try await b.waitFor("its lease lost", timeout: .seconds(5)) { if case .leaseLost = $0 { return true } else { return false } }
    let new = b.membership.current
    XCTAssertGreaterThan(new.incarnation, old.incarnation)
    let after = Array(b.events.dropFirst(before))
    XCTAssertEqual(after.first, .leaseLost(old: old, new: new))
    try await eventually("chatd-b to see chatd-a up again (saw \(b.events))") {
      b.events.dropFirst(before + 1).contains(where: self.isUp("chatd-a"))
    }
    let rest = Array(b.events.dropFirst(before + 1))
    XCTAssertEqual(rest.count, 2, "\(rest)")
    XCTAssertTrue(rest.first.map(isDown("chatd-a")) ?? false, "\(rest)")
    XCTAssertTrue(rest.last.map(isUp("chatd-a", a.membership.current.incarnation)) ?? false, "\(rest)")
    // a sees the new incarnation; the old one never comes back.
    try await a.waitFor("chatd-b's new incarnation", isUp("chatd-b", new.incarnation))
    try await allSee([a, b], [key(a), key(b)])
    XCTAssertEqual(a.events.filter(isUp("chatd-b", old.incarnation)).count, 1)
    XCTAssertTrue(a.lost.isEmpty)
  }

  func testAShortRedisRestartChangesNothing() async throws {
    let server = try startRedisServer()
    let members = [
      try await member("chatd-a", server), try await member("chatd-b", server), try await member("chatd-c", server),
    ]
    let everyone = Set(members.map(key))
    try await allSee(members, everyone)
    let counts = members.map(\.log.count)
    let restart = ContinuousClock.now
    try server.restart()
    print("membership: redis-server restarted in \(ContinuousClock.now - restart)")
    // Everyone registers again under the same incarnation.
    try await eventually("the three to be registered again", timeout: .seconds(3)) {
      (try? server.redisCLI(["ZCARD", "otter:{otter}:members"])) == "3"
    }
    print("membership: all registered again after \(ContinuousClock.now - restart)")
    // Past the lease and the grace: still no event but health.
    try await Task.sleep(for: .milliseconds(3000))
    for (m, count) in zip(members, counts) {
      XCTAssertEqual(m.changes(from: count), [], "\(m.name)")
      XCTAssertTrue(m.membership.holdsLease)
      XCTAssertTrue(m.membership.redisReachable)
    }
    try await allSee(members, everyone, timeout: .seconds(1))
    // The counter was restored to at least the highest incarnation: a new member goes above.
    let d = try await member("chatd-d", server)
    XCTAssertGreaterThan(d.membership.current.incarnation, members.map(\.membership.current.incarnation).max() ?? 0)
    try await allSee(members + [d], everyone.union([key(d)]))
  }

  /// Checks what an outage of Redis for everybody must leave behind: each member saw
  /// nothing but health (unreachable, then reachable), holds its lease under the same
  /// incarnation, and sees the same members; nobody was buried.
  private func nothingChanged(_ members: [Member], since counts: [Int], incarnations: [MemberInfo], _ server: RedisServer)
    async throws
  {
    for (m, (count, old)) in zip(members, zip(counts, incarnations)) {
      XCTAssertEqual(m.changes(from: count), [], "\(m.name)")
      let healths = m.healths(from: count)
      XCTAssertEqual(healths.count, 2, "\(m.name): \(healths)")
      XCTAssertFalse(healths.first?.isReachable ?? true, "\(m.name): \(healths)")
      XCTAssertEqual(healths.last, .reachable, "\(m.name)")
      XCTAssertEqual(m.membership.current, old)
      XCTAssertTrue(m.membership.holdsLease)
    }
    try await allSee(members, Set(members.map(key)), timeout: .seconds(1))
    XCTAssertEqual(try server.redisCLI(["ZCARD", "otter:{otter}:members"]), "\(members.count)")
    XCTAssertEqual(try server.redisCLI(["HLEN", "otter:{otter}:down"]), "0", "nobody buried")
  }

  /// Redis stopped (SIGSTOP) for 10 s, for everybody. When it resumes every lease is
  /// long past its expiry in Redis time, and sweeps sent before anyone knew wait in its
  /// sockets to run first: still nobody is buried, nobody changes incarnation, nobody
  /// reports anything but health. After it, a crash is seen within the usual bound.
  func testRedisPausedTenSecondsChangesNothingButHealth() async throws {
    let server = try startRedisServer()
    let members = [try await member("chatd-a", server), try await member("chatd-b", server), try await member("chatd-c", server)]
    try await allSee(members, Set(members.map(key)))
    let (counts, incarnations) = (members.map(\.log.count), members.map(\.membership.current))
    server.pause()
    let paused = ContinuousClock.now
    for m in members {
      try await eventually("\(m.name) to find Redis unreachable", timeout: .seconds(5)) { !m.membership.redisReachable }
      guard case .unreachable(_, let error) = m.membership.health else { continue }
      print("membership: \(m.name) reports \(m.membership.health)")
      XCTAssertTrue(error.contains("no reply from Redis in time"), error)
    }
    try await Task.sleep(until: paused + .seconds(10), clock: .continuous)
    for (m, count) in zip(members, counts) {
      XCTAssertEqual(m.changes(from: count), [], "\(m.name): nothing while Redis is away")
      XCTAssertTrue(m.membership.holdsLease, "\(m.name) still counts itself a member")
    }
    server.resume()
    let resumed = ContinuousClock.now
    for m in members {
      try await eventually("\(m.name) to reach Redis again", timeout: .seconds(5)) { m.membership.redisReachable }
    }
    print("membership: all reach Redis \(ContinuousClock.now - resumed) after it resumed")
    // Past a lease and a sweep after it resumed: still nothing.
    try await Task.sleep(until: resumed + .milliseconds(3000), clock: .continuous)
    try await nothingChanged(members, since: counts, incarnations: incarnations, server)
    // The leases were refreshed once, not for ever: a crash is seen as usual.
    let crashed = ContinuousClock.now
    members[2].membership.stop()
    for m in members.prefix(2) {
      let seen = try await m.waitFor("chatd-c down", timeout: .seconds(5), isDown("chatd-c", reason: "lease expired"))
      XCTAssertLessThan(seen - crashed, .milliseconds(3500))
    }
  }

  /// Redis killed, and started again empty (no persistence) 10 s later: every member
  /// registers again under its own incarnation; nothing but health is reported.
  func testRedisDownTenSecondsAndRestartedEmptyChangesNothingButHealth() async throws {
    let server = try startRedisServer()
    let members = [try await member("chatd-a", server), try await member("chatd-b", server)]
    try await allSee(members, Set(members.map(key)))
    let (counts, incarnations) = (members.map(\.log.count), members.map(\.membership.current))
    server.kill()
    let killed = ContinuousClock.now
    for m in members {
      try await eventually("\(m.name) to find Redis unreachable", timeout: .seconds(5)) { !m.membership.redisReachable }
    }
    try await Task.sleep(until: killed + .seconds(10), clock: .continuous)
    for (m, count) in zip(members, counts) { XCTAssertEqual(m.changes(from: count), [], "\(m.name)") }
    try server.start()
    let back = ContinuousClock.now
    try await eventually("the two to be registered again", timeout: .seconds(5)) {
      (try? server.redisCLI(["ZCARD", "otter:{otter}:members"])) == "2"
    }
    print("membership: registered again \(ContinuousClock.now - back) after Redis came back")
    // Past a lease and the grace for missing members: still nothing.
    try await Task.sleep(until: back + .milliseconds(3000), clock: .continuous)
    try await nothingChanged(members, since: counts, incarnations: incarnations, server)
    // The counter was restored to at least the highest incarnation.
    let c = try await member("chatd-c", server)
    XCTAssertGreaterThan(c.membership.current.incarnation, incarnations.map(\.incarnation).max() ?? 0)
  }

  /// A member cut off from Redis while the others reach it: they bury it at its lease's
  /// end (as a crash); it reports nothing but health meanwhile (it cannot tell this from
  /// an outage of Redis), and when it gets through, Redis tells it the lease is lost: it
  /// rejoins under a new incarnation.
  func testAMemberCutOffFromRedisIsBuriedAndRejoins() async throws {
    let server = try startRedisServer()
    let proxy = try TCPProxy(to: server.port)
    addTeardownBlock { proxy.stop() }
    let a = try await member("chatd-a", server)
    let b = try await member("chatd-b", server, url: "redis://127.0.0.1:\(proxy.port)")
    try await allSee([a, b], [key(a), key(b)])
    let old = b.membership.current
    let before = b.log.count
    proxy.cut()
    let cut = ContinuousClock.now
    let seen = try await a.waitFor("chatd-b down", isDown("chatd-b", reason: "lease expired"))
    print("membership: chatd-a saw chatd-b, cut off, down after \(seen - cut)")
    XCTAssertLessThan(seen - cut, .milliseconds(3500))
    try await Task.sleep(until: cut + .seconds(4), clock: .continuous)
    XCTAssertFalse(b.membership.redisReachable)
    XCTAssertTrue(b.membership.holdsLease, "only Redis can tell it the lease is lost")
    XCTAssertEqual(b.changes(from: before), [])
    XCTAssertEqual(b.membership.current, old)
    proxy.restore()
    try await b.waitFor("its lease lost", timeout: .seconds(5)) { if case .leaseLost = $0 { return true } else { return false } }
    let new = b.membership.current
    XCTAssertGreaterThan(new.incarnation, old.incarnation)
    XCTAssertEqual(b.changes(from: before).first, .leaseLost(old: old, new: new))
    XCTAssertEqual(b.healths(from: before).last, .reachable)
    try await a.waitFor("chatd-b's new incarnation", isUp("chatd-b", new.incarnation))
    try await allSee([a, b], [key(a), key(b)])
    XCTAssertTrue(a.lost.isEmpty)
    XCTAssertEqual(a.healths(), [])
  }

  /// The membership process dies and is started again (as its supervisor would): within
  /// the lease it carries on under the same incarnation, unnoticed; past it, it rejoins.
  func testARestartedProcessResumesItsLeaseOrRejoins() async throws {
    let server = try startRedisServer()
    let a = try await member("chatd-a", server)
    let b = try await member("chatd-b", server)
    try await allSee([a, b], [key(a), key(b)])
    let old = b.membership.current
    let counts = [a.log.count, b.log.count]
    func crash() throws {
      let address = try XCTUnwrap(b.membership.core.state.withLock { $0.address })
      b.node.exit(address.pid, reason: .kill)
    }
    try crash()
    try await Task.sleep(for: .milliseconds(300))
    try await b.membership.start(on: b.node)
    XCTAssertEqual(b.membership.current, old)
    try await Task.sleep(for: .milliseconds(2500))
    XCTAssertEqual(a.log.count, counts[0], "\(a.events)")
    XCTAssertEqual(b.log.count, counts[1], "\(b.events)")
    try await allSee([a, b], [key(a), key(b)], timeout: .seconds(1))
    // Down for longer than the lease: the others saw it go; it comes back as a new incarnation.
    try crash()
    try await a.waitFor("chatd-b down", isDown("chatd-b", reason: "lease expired"))
    try await b.membership.start(on: b.node)
    XCTAssertGreaterThan(b.membership.current.incarnation, old.incarnation)
    XCTAssertEqual(b.events.dropFirst(counts[1]).first, .leaseLost(old: old, new: b.membership.current))
    try await a.waitFor("chatd-b's new incarnation", isUp("chatd-b", b.membership.current.incarnation))
    try await allSee([a, b], [key(a), key(b)])
  }

  func testANameHeldByALiveMemberIsRefused() async throws {
    let server = try startRedisServer()
    let a = try await member("chatd-a", server)
    do {
      _ = try await member("chatd-a", server)
      XCTFail("the name is taken")
    } catch let e as MembershipError {
      let incarnation = a.membership.current.incarnation
      XCTAssertEqual(e, .nameTaken(name: "chatd-a", incarnation: incarnation, address: "127.0.0.1:40007"))
      XCTAssertEqual(
        "\(e)", "node name chatd-a is taken by a live member (incarnation \(incarnation), address 127.0.0.1:40007)")
    }
    XCTAssertTrue(a.membership.holdsLease)
    XCTAssertThrowsError(try Membership(name: "bad name", address: "", redis: a.client) { _ in })
    var slow = MembershipConfiguration()
    slow.heartbeat = .seconds(1.5)
    XCTAssertThrowsError(try Membership(name: "chatd-z", address: "", redis: a.client, configuration: slow) { _ in })
    // Once its lease has expired (a crash), the name may be taken, under a new incarnation.
    a.membership.stop()
    try await Task.sleep(for: .milliseconds(2100))
    let a2 = try await member("chatd-a", server)
    XCTAssertGreaterThan(a2.membership.current.incarnation, a.membership.current.incarnation)
  }
}
