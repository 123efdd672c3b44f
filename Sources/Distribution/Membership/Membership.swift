// Cluster membership with Redis as the arbiter: a node is a member while its lease in
// Redis lives. The handle is a value anyone may hold; its state (MembershipCore) is
// written only by the membership process it starts (under the caller's supervisor with
// `childSpec`, or alone with `start`).
//
// How it works (keys and scripts: MembershipScripts.swift)
// - Join: a Lua script takes a new incarnation (INCR of the cluster's counter), writes
//   our info, and adds us to the member zset with score = lease expiry in Redis time
//   (`TIME` inside the script: the clocks of the machines do not matter). A name held by
//   a live member of another incarnation is refused (`MembershipError.nameTaken`).
// - Heartbeat (every `heartbeat`): the renew script moves our expiry forward if the
//   stored incarnation is ours.
// - Sweep (every `sweep`, by every member): the sweep script removes expired leases
//   (and buries them: a tombstone name → incarnation, which can never renew again) and
//   returns the live list; the view is diffed by name and incarnation (a new
//   incarnation is a nodeDown of the old, then a nodeUp). The sweep is the truth.
// - Every script publishes what it changed (`up`, `down`, `leave`) on
//   `otter:{cluster}:events`; members apply these at once. Notices may be lost (pub/sub
//   keeps nothing): the next sweep repairs. A buried incarnation is never taken up
//   again, so a late notice cannot bring a dead member back.
// With the defaults a crashed member is seen down by all within leaseTime + sweep (+ one
// round trip) ≈ 2.5 s (measured: 2.0-2.5 s); one that leaves, within a round trip; a
// new one is seen up at once (its join notice), or at the next sweep.
//
// Whether our lease was lost is decided by Redis, never by our clock:
// - Declaring a member down is burying it, atomically, in Redis (the sweep script, on
//   an expired lease; or a join replacing it). So as long as Redis holds our record
//   under our incarnation, not buried, nobody can have declared us down, however long
//   we went without renewing.
// - A member that has gone a whole lease without a successful renewal (sent within
//   leaseTime: `lastRenewSent`) is in doubt: before it acts on anything (a sweep, a
//   notice) it renews. While Redis does not answer it keeps acting as a member: it
//   emits nothing (but `.health`), holds its incarnation, keeps its links. When Redis
//   answers, the renewal says: our record intact → the lease was never lost, we go on
//   under the same incarnation with no event; buried, or the name held by another
//   incarnation → `.leaseLost`, as below; no record and no tombstone → Redis lost its
//   data, see further down.
// - Lease lost (we were frozen — SIGSTOP, a stalled VM — or cut off from Redis while
//   the others reached it, past the lease: they buried us): we rejoin under a new
//   incarnation and emit `.leaseLost(old:new:)` first, then `.nodeDown` for every member
//   we knew (we cannot know what happened meanwhile), then `.nodeUp` for each member of
//   the first sweep (possibly the same incarnations as before). Notices queued meanwhile
//   are dropped. Until the rejoin succeeds, we emit nothing and `holdsLease` is false.
//
// Redis away for everybody (paused, restarted from its files, unreachable to all):
// - Every lease would expire, and the first sweep after it would bury everyone — even
//   one sent before its sender knew of the outage, that waited in the socket of a paused
//   server. So Redis notices its own silence instead: every script records the Redis time
//   of its run (`:heard`), and one that finds a silence longer than the quiet gap
//   (`MembershipConfiguration.quietGap`, 1 s with the defaults; a live member runs a script
//   at least every 500 ms) first gives every lease a fresh leaseTime. No lease then
//   counts as expired for time in which its owner could not renew; each member renews
//   within the new lease, and one that does not (it died meanwhile) is buried as usual,
//   one lease later. The gap lies halfway between the longest pause between the scripts
//   of one live member and the shortest outage that can expire a lease, so a quiet
//   cluster is not refreshed for ever, nor a lease left to expire by an outage.
// - A join is not held back by a refresh: it reads its name's expiry before, so a lone
//   node that crashed and comes back after a while takes its name again (its own join
//   would otherwise refresh its predecessor's lease each time, and be refused).
// - Global names ask Redis the same question: an owner is alive while its incarnation
//   is registered (not buried), whatever its lease's expiry.
// - A member cut off alone is not helped: the others keep Redis busy, it gets no
//   refresh, they bury it, and it finds its lease lost when it gets through. That is
//   right: they saw it down.
// - So an outage of Redis of any length produces no event but `.health` (unreachable,
//   then reachable), and no incarnation changes: the nodes' links and pids survive it.
//   `health` says whether Redis answers now (for a "degraded" notice).
//
// Redis restarted (its data lost):
// - A member must not change incarnation because Redis forgot it (that would kill its
//   pids everywhere). A renewal that finds no record of us and no tombstone registers us
//   again under the SAME incarnation (and raises the counter to at least it; a missing
//   counter is seeded from Redis time in microseconds, so incarnations are never reused).
// - Peers: a member missing from the list without a tombstone is not down; Redis lost
//   it. It stays up in our view for a grace of leaseTime from when we first missed it
//   (counted again from when Redis answers us after an outage of ours; and no sweep
//   sent while Redis does not answer us declares it: it could wait in a stalled server
//   and run after the member could not register either); if it has not registered
//   again by then, the sweep script buries it ("did not come back after Redis lost its
//   data") atomically, so its own late re-registration is refused and it rejoins under
//   a new incarnation.
// - So a restart, however long Redis stays down, produces no event but `.health`.
//
// (All this assumes only that our monotonic clock and Redis's run at about the same
// rate, not that they agree on the time.)
import Actors
import Redis
import Supervision

/// A node's membership of a cluster: joins through Redis, renews its lease, watches the
/// others, and reports `MembershipEvent`s.
///
/// A name is unique among live members: a second node joining under a live name is
/// refused (`MembershipError.nameTaken`), also a restarted OS process of the same node
/// until its predecessor's lease has expired (at most `leaseTime`).
///
/// ```swift
/// let membership = try await Membership.start(
///   name: "chatd-a", address: "127.0.0.1:45123", redis: client, on: node) { event in
///   print(event)
/// }
/// print(membership.current.incarnation, membership.members.map(\.name))
/// await membership.leave(node)
/// ```
public final class Membership: Sendable {
  let core: MembershipCore

  /// A membership not started yet: start it with `start(on:)`, or put `childSpec()` in
  /// your supervision tree.
  /// - Parameters:
  ///   - name: the node's name, unique among live members (no spaces or control characters).
  ///   - address: where its link listener is (published as is).
  ///   - metadata: free facts published with it.
  ///   - redis: a started client (membership uses its pool and its pub/sub connection).
  ///   - events: called from the membership process, in order, for every change; it
  ///     must not block (send a message to a process of yours).
  public init(
    name: String, address: String, metadata: [String: String] = [:], redis: RedisClient,
    configuration: MembershipConfiguration = MembershipConfiguration(), events: @escaping @Sendable (MembershipEvent) -> Void
  ) throws(MembershipError) {
    guard !name.isEmpty, !name.unicodeScalars.contains(where: { $0.properties.isWhitespace || $0.value < 0x20 || $0.value == 0x7F })
    else { throw .invalidName(name) }
    if let problem = configuration.problem { throw .invalidConfiguration(problem) }
    core = MembershipCore(
      name: name, address: address, metadata: metadata, redis: redis, configuration: configuration, events: events)
  }

  /// Joins the cluster and returns once joined: the membership process runs on `node`,
  /// linked to nothing. Throws `MembershipError.nameTaken` if a live member holds the
  /// name, `.redis` if Redis cannot be reached.
  public static func start(
    name: String, address: String, metadata: [String: String] = [:], redis: RedisClient,
    configuration: MembershipConfiguration = MembershipConfiguration(), on node: Node,
    events: @escaping @Sendable (MembershipEvent) -> Void
  ) async throws -> Membership {
    let membership = try Membership(
      name: name, address: address, metadata: metadata, redis: redis, configuration: configuration, events: events)
    try await membership.start(on: node)
    return membership
  }

  /// Starts the membership process on `node` (linked to nothing) and waits until it
  /// has joined.
  public func start(on node: Node) async throws {
    let core = self.core
    core.state.withLock { $0.stopped = false }
    let (ready, request) = node.makeReply(Result<MemberInfo, MembershipError>.self)
    let address = node.spawn(MembershipMessage.self, options: SpawnOptions(label: "membership \(core.name)")) { ctx in
      try await MembershipProcess.run(ctx, core: core, ready: ready)
    }
    let result: Result<MemberInfo, MembershipError>
    do {
      result = try await node.receiveResponse(request, timeout: .after(startTimeout))
    } catch {
      node.exit(address.pid, reason: .kill)
      throw MembershipError.redis("the membership process did not join in time (\(error))")
    }
    _ = try result.get()
  }

  /// The membership as a child of your supervisor (transient: restarted if it crashes,
  /// not after `leave`). Its start waits until joined; a restarted one renews the lease
  /// it had and goes on under the same incarnation if Redis still holds it, and rejoins
  /// otherwise (`leaseLost`). After `leave` or `stop`, it is not started again.
  public func childSpec(id: String = "membership") -> ChildSpec {
    let core = self.core
    let timeout = startTimeout
    return ChildSpec(id: id, restart: .transient) { ctx in
      if core.state.withLock({ $0.stopped }) { return nil }
      let (ready, request) = ctx.makeReply(Result<MemberInfo, MembershipError>.self)
      let address = ctx.spawnLink(MembershipMessage.self, options: SpawnOptions(label: "membership \(core.name)")) { c in
        try await MembershipProcess.run(c, core: core, ready: ready)
      }
      let result = try await ctx.receiveResponse(request, timeout: .after(timeout))
      _ = try result.get()
      return address.pid
    }
  }

  private var startTimeout: Duration { core.configuration.commandTimeout * 4 + .seconds(5) }

  /// Our info, with the current incarnation (0 before the first join).
  public var current: MemberInfo { core.state.withLock { $0.current } }

  /// Everyone we consider up now, us included, by name: as last seen.
  public var members: [MemberInfo] {
    core.state.withLock { s in
      ([s.current] + s.view.peers.values.map(\.info)).sorted { $0.name < $1.name }
    }
  }

  /// Whether we hold a lease now: false before joining, after leaving or stopping, and
  /// between Redis saying the lease was lost and the rejoin. It stays true while Redis
  /// does not answer (see `health`): only Redis can say the lease is lost.
  public var holdsLease: Bool { core.state.withLock { $0.holdsLease } }

  /// Whether Redis answered our last call (every heartbeat and sweep calls it), and if
  /// not since when and why. Changes are also reported as `MembershipEvent.health`.
  public var health: MembershipHealth { core.state.withLock { $0.health } }

  /// Whether Redis answered our last call: `health.isReachable`.
  public var redisReachable: Bool { health.isReachable }

  /// Leaves gracefully: deletes our lease and tells the others, who see
  /// `nodeDown(reason: "left")` at once; the membership process ends. Does nothing if
  /// it is not running.
  public func leave(_ caller: some RedisCaller) async {
    guard let address = core.state.withLock({ $0.address }) else { return }
    do {
      try await caller.request(address, timeout: .after(core.configuration.commandTimeout + .seconds(1))) { .leave($0) }
    } catch {
      // Ended meanwhile: nothing to leave.
    }
  }

  /// Declares `name` (at `incarnation`) down before its lease runs out, when it is known
  /// to be gone: its address refuses connections, so no process of it listens there.
  /// Every member sees `nodeDown(reason:)` at once, and what it owned (global names) is
  /// free. True if it was buried now; false if that incarnation was not registered any
  /// more, or Redis did not answer.
  public func declareDown(_ name: String, incarnation: UInt64, reason: String, _ caller: some RedisCaller) async -> Bool {
    await Self.declareDown(
      name, incarnation: incarnation, reason: reason, redis: core.redis, configuration: core.configuration, caller)
  }

  /// `declareDown` without a membership of our own (a node that could not join yet).
  static func declareDown(
    _ name: String, incarnation: UInt64, reason: String, redis: RedisClient, configuration: MembershipConfiguration,
    _ caller: some RedisCaller
  ) async -> Bool {
    let reply = try? await redis.on(caller).eval(
      MembershipScripts.declareDown, keys: configuration.scriptKeys,
      args: configuration.scriptArguments + [name, String(incarnation), reason], timeout: configuration.commandTimeout)
    return reply?.int == 1
  }

  /// Stops the membership process at once without leaving (as a crash would): the lease
  /// stays until it expires, and the others then see `nodeDown(reason: "lease expired")`.
  public func stop() {
    let (address, node) = core.state.withLock { s in
      s.stopped = true
      s.holdsLease = false
      return (s.address, s.node)
    }
    if let address, let node { node.exit(address.pid, reason: .kill) }
  }

  /// Tests: freezes the membership process for `duration` (no renewal, no sweep,
  /// notices wait), as a stalled node would be.
  func suspendForTesting(_ duration: Duration, _ caller: some RedisCaller) async throws {
    guard let address = core.state.withLock({ $0.address }) else {
      throw MembershipError.stopped
    }
    try await caller.request(address, timeout: .seconds(5)) { .suspend(duration, $0) }
  }
}
