// The driver of a chaos run, phase by phase: connect every client and join its
// channels; send at a fixed total rate for the run's duration while the killer kills
// (a client whose connection ends starts its next session at once, with a new nick);
// stop the kills, let every client come back and the messages drain; ask each channel's
// NAMES, send one last message from every session to each of its channels, drain
// again; collect every session's log and quit. It runs as a body process of the node;
// each session is a process of its own.
import Actors

final class ChaosDriver {
  /// One simulated client and its current session.
  struct Slot {
    var key: SessionKey
    var session: Address<ChaosCommand>?
    var joined: [Int] = []
    /// When to start its next session (after the last one ended).
    var restartAt: UInt64?
  }

  let ctx: Context<ChaosEvent>
  let context: ChaosContext
  let options: ChaosOptions
  let killer: ChaosKiller
  private var random: SeededRandom
  private var slots: [Slot] = []
  /// Logs of the sessions that ended.
  private var logs: [SessionLog] = []
  /// Whether ended sessions are replaced (not once the run winds down).
  private var restarting = true

  init(ctx: Context<ChaosEvent>, context: ChaosContext, options: ChaosOptions, killer: ChaosKiller, seed: UInt64) {
    self.ctx = ctx
    self.context = context
    self.options = options
    self.killer = killer
    self.random = SeededRandom(seed: seed)
  }

  /// The channels of client `slot`: `joins` of them, from `slot % channels` on.
  static func channels(of slot: Int, joins: Int, channels: Int) -> [Int] { (0..<joins).map { (slot + $0) % channels } }

  func channels(of slot: Int) -> [Int] { Self.channels(of: slot, joins: options.joins, channels: options.channels) }

  private var live: [Int] { slots.indices.filter { slots[$0].session != nil } }
  private var allJoined: Bool { slots.indices.allSatisfy { slots[$0].session != nil && slots[$0].joined.count == options.joins } }

  /// Runs every phase; returns the evidence (without the server's resources).
  func run() async throws -> ChaosEvidence {
    let log = context.log
    for slot in 0..<options.clients {
      slots.append(Slot(key: SessionKey(slot: slot, generation: 0)))
      start(slot)
    }
    let connected = try await wait(seconds: 30) { self.allJoined }
    log.line(
      "chaos: \(slots.filter { $0.joined.count == options.joins }.count)/\(options.clients) clients joined \(options.joins) of \(options.channels) channels\(connected ? "" : " (not all within 30 s)")"
    )

    killer.start()
    let t0 = MonotonicClock.microseconds()
    let end = t0 + UInt64(options.duration * 1e6)
    var due = 0
    var nextProgress = t0 + 5_000_000
    while MonotonicClock.microseconds() < end {
      let t = MonotonicClock.microseconds()
      let target = Int(Double(t - t0) / 1e6 * options.rate)
      while due < target {
        due += 1
        say()
      }
      if t >= nextProgress {
        nextProgress += 5_000_000
        log.line(
          "chaos: \(Int(Double(t - t0) / 1e6)) s: \(killer.records.count) kills, \(context.acked.load(ordering: .relaxed)) messages acknowledged, \(live.count)/\(options.clients) clients connected"
        )
      }
      let next = t0 + UInt64(Double(due + 1) / options.rate * 1e6)
      let now = MonotonicClock.microseconds()
      try await pump(micros: next > now ? min(next - now, 10_000) : 0)
    }
    killer.stop()
    log.line("chaos: load over after \(killer.records.count) kills; waiting for every client to be back")

    let back = try await wait(seconds: 20) { self.allJoined }
    if !back {
      log.line(
        "chaos: \(slots.filter { $0.joined.count == options.joins }.count)/\(options.clients) clients back in their channels after 20 s")
    }
    restarting = false
    try await drain()

    // Every channel with members: NAMES from one of them.
    var names: [NamesAnswer] = []
    for channel in 0..<options.channels {
      guard let slot = live.first(where: { slots[$0].joined.contains(channel) }), let session = slots[slot].session else { continue }
      let request = ctx.sendRequest(session) { ChaosCommand.names(channel: channel, $0) }
      let answer = try? await ctx.receiveResponse(request, timeout: .after(.seconds(5)))
      names.append(answer ?? NamesAnswer(channel: channel, asker: slots[slot].key, nicks: nil))
    }
    // A last message from every session to each of its channels: each must be answered.
    for slot in live {
      for channel in slots[slot].joined { slots[slot].session?.send(.say(channel: channel)) }
    }
    try await drain()

    var reports: [RequestID<SessionLog>] = []
    for slot in live {
      if let session = slots[slot].session { reports.append(ctx.sendRequest(session) { ChaosCommand.report($0) }) }
    }
    for r in reports {
      if let report = try? await ctx.receiveResponse(r, timeout: .after(.seconds(5))) { logs.append(report) }
    }
    // Sessions that ended meanwhile sent theirs with `.gone`.
    while let next = try await ctx.receive(timeout: .zero) { handle(next) }
    for slot in live { slots[slot].session?.send(.quit) }
    return ChaosEvidence(sessions: logs, kills: killer.records, names: names, killsSkipped: killer.skipped)
  }

  // MARK: - Sessions

  private func start(_ slot: Int) {
    slots[slot].restartAt = nil
    slots[slot].joined = []
    slots[slot].session = ChaosSession.start(slots[slot].key, channels: channels(of: slot), context: context, from: ctx)
  }

  /// One message from a random joined session to a random one of its channels.
  private func say() {
    let ready = slots.indices.filter { slots[$0].session != nil && !slots[$0].joined.isEmpty }
    guard !ready.isEmpty else { return }
    let slot = ready[random.below(ready.count)]
    let channel = slots[slot].joined[random.below(slots[slot].joined.count)]
    slots[slot].session?.send(.say(channel: channel))
  }

  private func handle(_ message: Message<ChaosEvent>) {
    guard case .message(let event) = message else { return }
    switch event {
    case .joined(let key, let channel):
      guard slots[key.slot].key == key, !slots[key.slot].joined.contains(channel) else { return }
      slots[key.slot].joined.append(channel)
    case .gone(let log):
      logs.append(log)
      let slot = log.key.slot
      guard slots[slot].key == log.key else { return }
      slots[slot].session = nil
      slots[slot].joined = []
      if restarting {
        slots[slot].key.generation += 1
        // A moment, so a server that refuses every connection is not hammered.
        slots[slot].restartAt = MonotonicClock.microseconds() + (log.registeredAt == nil ? 200_000 : 20_000)
      }
    }
  }

  /// Waits up to `micros` for events, takes every event queued, and starts the sessions
  /// that are due.
  private func pump(micros: UInt64) async throws {
    if let first = try await ctx.receive(timeout: .after(.microseconds(Int64(micros)))) {
      handle(first)
      while let next = try await ctx.receive(timeout: .zero) { handle(next) }
    }
    let now = MonotonicClock.microseconds()
    for slot in slots.indices where slots[slot].session == nil {
      if let at = slots[slot].restartAt, at <= now { start(slot) }
    }
  }

  /// Pumps until `done` holds or `seconds` pass; whether it held.
  private func wait(seconds: Double, _ done: () -> Bool) async throws -> Bool {
    let end = MonotonicClock.microseconds() + UInt64(seconds * 1e6)
    while !done() {
      if MonotonicClock.microseconds() >= end { return false }
      try await pump(micros: 10_000)
    }
    return true
  }

  /// Pumps until no acknowledgement has come for a second (10 s at most).
  private func drain() async throws {
    let start = MonotonicClock.microseconds()
    _ = try await wait(seconds: 10) {
      let now = MonotonicClock.microseconds()
      let last = max(self.context.lastAck.load(ordering: .relaxed), start)
      return now - last > 1_000_000
    }
  }
}
