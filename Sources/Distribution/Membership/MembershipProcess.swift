// The membership process: joins (or resumes), then renews the lease every heartbeat,
// sweeps every `sweep`, listens to the events channel, notes whether Redis answers, and
// turns all of it into events for its owner. It alone writes MembershipCore's state
// while it runs.
import Actors
import Foundation
import Redis

/// What the membership process is sent.
enum MembershipMessage: Sendable {
  /// Time to renew the lease (or to try rejoining).
  case heartbeat
  /// Time to read the member list.
  case sweep
  /// The events channel.
  case notice(RedisPubSubEvent)
  /// Leave the cluster and end.
  case leave(ReplyTo<Void>)
  /// Tests: stop doing anything (messages wait) for this long, as a frozen node would.
  case suspend(Duration, ReplyTo<Void>)
}

/// One run of the membership process.
struct MembershipProcess {
  let core: MembershipCore
  let ctx: Context<MembershipMessage>
  var config: MembershipConfiguration { core.configuration }
  var redis: RedisSession<Context<MembershipMessage>> { core.redis.on(ctx) }

  /// The process's body: answers `ready` once joined (or why not), then runs until it
  /// leaves, is stopped, or finds its name taken by another member.
  static func run(_ ctx: Context<MembershipMessage>, core: MembershipCore, ready: ReplyTo<Result<MemberInfo, MembershipError>>)
    async throws
  {
    let process = MembershipProcess(core: core, ctx: ctx)
    core.state.withLock {
      $0.address = ctx.address
      $0.node = ctx.node
    }
    do {
      try await core.redis.subscribe([core.configuration.channel], ctx) { .notice($0) }
      let info = try await process.joinOrResume()
      ready.reply(.success(info))
    } catch let e as MembershipError {
      ready.reply(.failure(e))
      return
    } catch let e as ProcessExit {
      throw e
    } catch {
      ready.reply(.failure(.redis("\(error)")))
      return
    }
    await process.sweep()
    ctx.sendAfter(core.configuration.heartbeat, to: ctx.address, .heartbeat)
    ctx.sendAfter(core.configuration.sweep, to: ctx.address, .sweep)
    try await process.loop()
  }

  private func loop() async throws {
    while true {
      guard let message = try await ctx.next() else { continue }
      switch message {
      case .heartbeat:
        try await heartbeat()
        ctx.sendAfter(config.heartbeat, to: ctx.address, .heartbeat)
      case .sweep:
        if try await mayAct() { await sweep() }
        ctx.sendAfter(config.sweep, to: ctx.address, .sweep)
      case .notice(.message(let m)):
        guard try await mayAct(), let notice = MembershipNotice(m.payload) else { continue }
        let events = core.state.withLock { s in
          switch notice {
          case .up(let info): return s.view.applyUp(info)
          case .down(let name, let incarnation, let reason): return s.view.applyDown(name: name, incarnation: incarnation, reason: reason)
          }
        }
        emit(events)
      case .notice(.resubscribed):
        // Notices may have been lost meanwhile: read the list now.
        if try await mayAct() { await sweep() }
      case .notice(.disconnected):
        continue
      case .leave(let reply):
        await leave()
        reply.reply(())
        return
      case .suspend(let duration, let reply):
        reply.reply(())
        try await ctx.sleep(for: duration)
      }
    }
  }

  private var holdsLease: Bool { core.state.withLock { $0.holdsLease } }

  /// Whether we may act on what Redis tells (a sweep, a notice): we hold a lease, and
  /// it is not in doubt. A lease is in doubt once we have gone a whole lease without a
  /// renewal (we were frozen, or Redis did not answer): then Redis decides, before we
  /// act on anything — a renewal first. If it fails we keep acting as a member but act
  /// on nothing (the next sweep repairs what we skip); if it finds the lease lost we
  /// rejoin, and the message, from before, is dropped.
  private func mayAct() async throws -> Bool {
    guard core.leaseOverdue() else { return holdsLease }
    let before = core.state.withLock { $0.current.incarnation }
    try await heartbeat()
    return holdsLease && !core.leaseOverdue() && core.state.withLock { $0.current.incarnation } == before
  }

  // MARK: - Joining

  /// The first join of this membership, or, for a restarted process, a renewal of the
  /// lease it had: Redis says whether it still stands (a rejoin if not).
  private func joinOrResume() async throws -> MemberInfo {
    let current = core.state.withLock { $0.current }
    guard current.incarnation != 0 else {
      let info = try await join(previous: 0)
      return info
    }
    core.state.withLock { $0.holdsLease = true }
    try await heartbeat()
    return core.state.withLock { $0.current }
  }

  /// Runs the join script; on success we hold a lease under the returned incarnation.
  /// Throws `nameTaken`, or `.redis` if Redis cannot be reached.
  private func join(previous: UInt64) async throws -> MemberInfo {
    let sent = ContinuousClock.now
    let reply: RESPValue
    do {
      reply = try await script(MembershipScripts.join, [core.name, core.announcement, String(previous)])
    } catch let e as ProcessExit {
      throw e
    } catch {
      throw MembershipError.redis("\(error)")
    }
    let parts = reply.array ?? []
    switch parts.first?.string {
    case "ok":
      guard let incarnation = parts.dropFirst().first?.string.flatMap({ UInt64($0) }) else {
        throw MembershipError.redis("unexpected reply to join: \(reply)")
      }
      let info = MemberInfo(name: core.name, incarnation: incarnation, address: core.address, metadata: core.metadata)
      core.state.withLock { s in
        s.current = info
        s.holdsLease = true
        s.lastRenewSent = sent
      }
      return info
    case "taken":
      let incarnation = parts.count > 1 ? parts[1].string.flatMap { UInt64($0) } ?? 0 : 0
      let address = parts.count > 2 ? parts[2].bytes.flatMap { MemberAnnouncement.decode($0)?.address } ?? "?" : "?"
      throw MembershipError.nameTaken(name: core.name, incarnation: incarnation, address: address)
    default:
      throw MembershipError.redis("unexpected reply to join: \(reply)")
    }
  }

  /// Redis says our lease is gone: from now on we act on nothing until we rejoin.
  private func loseLease(_ why: String) async throws {
    let wasHeld = core.state.withLock { s in
      defer { s.holdsLease = false }
      return s.holdsLease
    }
    guard wasHeld else { return }
    ctx.node.logger.warning("membership: \(core.name) lost its lease: \(why); rejoining")
    // Notices that waited meanwhile describe a past we no longer trust.
    while try await ctx.receive(timeout: .zero, { m -> Bool? in if case .message(.notice) = m { return true } else { return nil } })
      != nil
    {}
    try await rejoin()
  }

  /// Joins again under a new incarnation (replacing our old one if Redis still has it):
  /// leaseLost first, then a nodeDown of every peer, then the nodeUps of a sweep. If
  /// Redis cannot be reached, the next heartbeat tries again.
  private func rejoin() async throws {
    let old = core.state.withLock { $0.current }
    let new: MemberInfo
    do {
      new = try await join(previous: old.incarnation)
    } catch let e as MembershipError {
      if case .nameTaken = e {
        ctx.node.logger.error("membership: \(e)")
        throw e
      }
      return
    }
    let downs = core.state.withLock { $0.view.dropAll(reason: "our own lease was lost (rejoined as incarnation \(new.incarnation))") }
    emit([.leaseLost(old: old, new: new)] + downs)
    await sweep()
  }

  // MARK: - Renewing, sweeping, leaving

  /// Renews the lease, or tries to rejoin if it was lost.
  private func heartbeat() async throws {
    guard holdsLease else { return try await rejoin() }
    let (current, sent) = (core.state.withLock { $0.current }, ContinuousClock.now)
    let reply: RESPValue
    do {
      reply = try await script(MembershipScripts.renew, [core.name, String(current.incarnation), core.announcement])
    } catch let e as ProcessExit {
      throw e
    } catch {
      // Redis does not answer: we stay a member, however long it takes. Whether the
      // lease was lost meanwhile is for Redis to say when it answers again.
      ctx.node.logger.debug("membership: \(core.name) could not renew: \(error)")
      return
    }
    let parts = reply.array ?? []
    switch parts.first?.string {
    case "ok", "restored":
      if parts.first?.string == "restored" {
        ctx.node.logger.notice("membership: \(core.name) registered again as \(current) (Redis had lost its record)")
      }
      core.state.withLock { s in
        if s.holdsLease { s.lastRenewSent = sent }
      }
    case "lost":
      try await loseLease(parts.count > 1 ? parts[1].string ?? "lost" : "lost")
    default:
      ctx.node.logger.warning("membership: unexpected reply to renew: \(reply)")
    }
  }

  /// Reads the member list, removing expired leases, and emits what changed.
  func sweep() async {
    let args = core.state.withLock { $0.view.sweepArguments(now: .now, grace: config.leaseTime, mayDeclare: $0.health.isReachable) }
    let reply: RESPValue
    do {
      reply = try await script(MembershipScripts.sweep, args)
    } catch {
      ctx.node.logger.debug("membership: \(core.name) could not sweep: \(error)")
      return
    }
    guard let halves = reply.array, halves.count == 2, let flatLive = halves[0].array, let flatStatuses = halves[1].array else {
      ctx.node.logger.warning("membership: unexpected reply to sweep: \(reply)")
      return
    }
    var live: [MemberInfo] = []
    for i in stride(from: 0, to: flatLive.count - 2, by: 3) {
      guard let name = flatLive[i].string, let incarnation = flatLive[i + 1].string.flatMap({ UInt64($0) }),
        let json = flatLive[i + 2].bytes, let a = MemberAnnouncement.decode(json), a.name == name
      else { continue }
      live.append(a.info(incarnation: incarnation))
    }
    var statuses: [MembershipView.Status] = []
    for i in stride(from: 0, to: flatStatuses.count - 3, by: 4) {
      guard let name = flatStatuses[i].string, let incarnation = flatStatuses[i + 1].string.flatMap({ UInt64($0) }) else { continue }
      let down = flatStatuses[i + 2].string == "down"
      statuses.append(.init(name: name, incarnation: incarnation, downReason: down ? flatStatuses[i + 3].string ?? "" : nil))
    }
    // A sweep that ran while our lease was being lost says nothing we may act on.
    guard holdsLease else { return }
    let events = core.state.withLock { $0.view.applySweep(live: live, statuses: statuses, now: .now) }
    emit(events)
  }

  /// Deletes our lease (if still ours) and tells everyone at once.
  private func leave() async {
    let current = core.state.withLock { s in
      defer {
        s.holdsLease = false
        s.stopped = true
      }
      return s.current
    }
    do {
      _ = try await script(MembershipScripts.leave, [core.name, String(current.incarnation)])
    } catch {
      ctx.node.logger.warning("membership: \(core.name) could not delete its lease (it expires by itself): \(error)")
    }
  }

  // MARK: - Calling Redis

  /// Runs one of the scripts with the arguments every script takes, then `arguments`;
  /// notes whether Redis answered (`health`).
  private func script(_ script: RedisScript, _ arguments: [String]) async throws -> RESPValue {
    let reply: RESPValue
    do {
      reply = try await redis.eval(
        script, keys: config.scriptKeys, args: config.scriptArguments + arguments, timeout: config.commandTimeout)
    } catch let e as ProcessExit {
      throw e
    } catch {
      failed("\(error)")
      throw error
    }
    answered()
    return reply
  }

  /// Redis answered: if it had not been, it is reachable again (one event).
  private func answered() {
    let back = core.state.withLock { s -> Bool in
      guard !s.health.isReachable else { return false }
      s.health = .reachable
      // Missing peers could not register again while we could not see it (nor could
      // they, if Redis was away for all): a fresh grace each.
      s.view.restartGraces()
      return true
    }
    guard back else { return }
    ctx.node.logger.notice("membership: \(core.name) reaches Redis again")
    emit([.health(.reachable)])
  }

  /// A call failed: Redis is unreachable since now, unless it already was (one event).
  private func failed(_ error: String) {
    let change = core.state.withLock { s -> MembershipHealth? in
      if case .unreachable(let since, _) = s.health {
        s.health = .unreachable(since: since, error: error)
        return nil
      }
      s.health = .unreachable(since: Date(), error: error)
      return s.health
    }
    guard let change else { return }
    ctx.node.logger.warning("membership: \(core.name) cannot reach Redis: \(error)")
    emit([.health(change)])
  }

  private func emit(_ events: [MembershipEvent]) {
    for e in events { core.events(e) }
  }
}

/// A duration in whole milliseconds, as Redis takes it.
func milliseconds(_ d: Duration) -> String {
  let (s, atto) = d.components
  return String(max(1, s * 1000 + atto / 1_000_000_000_000_000))
}
