// A chat run (S1–S3), phase by phase as ircload.c's chat mode: connect and register,
// join, settle, send at a fixed total rate, drain; then the figures. The driver is a
// body process of the node; every client is a process of its own.
import Actors
import Foundation

/// The figures of a chat run (ircload's chat-mode output).
struct ChatResult: Sendable {
  var parameters: ChatParameters
  /// Not every client registered and partial runs were not allowed: nothing was sent.
  var aborted = false
  var counters = FleetCounters()
  /// Registered at the end of the connect phase, and how long that took.
  var registeredAfterConnect = 0
  var connectSeconds = 0.0
  var joinSeconds = 0.0
  var senders = 0
  var sent = 0
  var sendSeconds = 0.0
  var tally = DeliveryTally(received: 0, expected: 0, fullyDelivered: 0, latency: .empty)
  /// From the first send to the last receipt (or the end of sending if later).
  var spanSeconds = 0.0
  var foreign = 0
  /// Over send + drain, all the target's processes together.
  var serverCPUSeconds: Double?
  /// The same, per process (a network's servers and helpers), for the log.
  var serverCPUByProcess: [(name: String, seconds: Double?)] = []
  var ownCPUSeconds = 0.0
  /// At the end of the drain.
  var serverRSSKB: Int?

  var connectPerSecond: Double { connectSeconds > 0 ? Double(registeredAfterConnect) / connectSeconds : 0 }
  var sendRate: Double { sendSeconds > 0 ? Double(sent) / sendSeconds : 0 }
  var fullyDeliveredPerSecond: Double { sendSeconds > 0 ? Double(tally.fullyDelivered) / sendSeconds : 0 }
  /// Received copies per second over send + drain.
  var deliveriesPerSecond: Double { spanSeconds > 0 ? Double(tally.received) / spanSeconds : 0 }
  var serverCPUPercent: Double? { serverCPUSeconds.map { spanSeconds > 0 ? 100 * $0 / spanSeconds : 0 } }
  /// Server CPU per received copy, µs.
  var serverMicrosPerDelivery: Double? {
    serverCPUSeconds.flatMap { tally.received > 0 ? $0 * 1e6 / Double(tally.received) : nil }
  }
  /// chatbench's own CPU per received copy, µs.
  var ownMicrosPerDelivery: Double? { tally.received > 0 ? ownCPUSeconds * 1e6 / Double(tally.received) : nil }
}

enum ChatRun {
  /// Runs the chat scenario `p` against `target` (one server, or client `i` on server
  /// `i % count` of a network) on `node`; `inflight` caps connections in the connect
  /// phase.
  static func run(_ p: ChatParameters, target: ServerTarget, inflight: Int, node: Node, log: Log, verbose: Bool = false) async throws
    -> ChatResult
  {
    let ledgerTemplate = DeliveryLedger(rate: p.rate, duration: p.duration)
    let run = RunContext(
      endpoints: target.endpoints, rooms: p.rooms, sources: p.connect.sources, nickPrefix: p.connect.nickPrefix,
      roomPrefix: p.roomPrefix, size: p.size, maxMessages: ledgerTemplate.maxMessages,
      connectTimeout: p.connect.registrationTimeout + 5, verbose: verbose, transport: target.transport)
    let proc = target.processes.isEmpty ? nil : ProcGroup(target.processes)
    log.line(
      "chat: transport=\(target.transport.rawValue) clients=\(p.clients) rooms=\(p.rooms) senders=\(p.senders) rate=\(p.rate) msgs/s duration=\(p.duration)s size=\(p.size) inflight=\(inflight)"
    )
    return try await node.run(DriverEvent.self, label: "chatbench driver") { ctx in
      let fleet = Fleet(ctx: ctx, run: run, connect: p.connect, inflight: inflight, target: p.clients, rooms: p.rooms, log: log)
      var result = ChatResult(parameters: p)

      // Phase 1: connect and register.
      let tc0 = MonotonicClock.microseconds()
      _ = try await fleet.openUntil(p.clients, stopOnFailure: false)
      result.connectSeconds = seconds(MonotonicClock.microseconds() - tc0)
      result.registeredAfterConnect = fleet.counters.alive
      let c = fleet.counters
      log.line(
        "connect: registered=\(c.alive)/\(p.clients) in \(fmt(result.connectSeconds))s = \(Int(result.connectPerSecond)) conn/s (connect_fail=\(c.connectFail) closed=\(c.closed) reg_timeout=\(c.registrationTimeout))"
      )
      if c.alive < p.clients {
        log.line(
          "\(p.allowPartial ? "WARNING" : "ABORT"): only \(c.alive) of \(p.clients) clients registered; first_error: \(c.firstError ?? "(none)")"
        )
        if !p.allowPartial {
          result.aborted = true
          result.counters = fleet.counters
          return result
        }
      }

      // Phase 2: join, then settle.
      let tj0 = MonotonicClock.microseconds()
      try await fleet.joinAll(rooms: p.rooms, joinInflight: p.joinInflight, roomPrefix: p.roomPrefix)
      result.joinSeconds = seconds(MonotonicClock.microseconds() - tj0)
      log.line(
        "join: joined=\(fleet.counters.joined) in \(fmt(result.joinSeconds))s = \(Int(Double(fleet.counters.joined) / max(result.joinSeconds, 1e-9))) joins/s"
      )
      try await fleet.runFor(seconds: p.settle)

      // Phase 3: send at a fixed total rate, the first `senders` joined clients in turn.
      var senders: [Int] = []
      for id in 0..<fleet.started where fleet.phase[id] == .joined && senders.count < p.senders { senders.append(id) }
      result.senders = senders.count
      var ledger = ledgerTemplate
      let serverCPU0 = proc?.cpuSecondsEach()
      let ownCPU0 = ownCPUSeconds()
      let tSendStart = MonotonicClock.microseconds()
      let total = Int(p.rate * p.duration)
      let tEnd = tSendStart + UInt64(p.duration * 1e6)
      while !senders.isEmpty {
        let t = MonotonicClock.microseconds()
        if t >= tEnd { break }
        let due = min(total, Int(Double(t - tSendStart) / 1e6 * p.rate) + 1)
        while ledger.sent < due {
          let id = senders[ledger.sent % senders.count]
          guard fleet.phase[id] == .joined else {
            ledger.recordSkip()
            continue
          }
          let seq = ledger.nextSeq
          ledger.recordSend(copies: fleet.roomMembers[fleet.room[id]] - 1)
          fleet.clients[id].send(.say(seq: UInt32(truncatingIfNeeded: seq), room: fleet.room[id]))
        }
        let nextDue = tSendStart + UInt64(Double(ledger.sent) / p.rate * 1e6)
        let now = MonotonicClock.microseconds()
        try await fleet.pump(micros: nextDue > now ? min(nextDue - now, 10_000) : 0)
      }
      let tSendEnd = MonotonicClock.microseconds()

      // Phase 4: drain. `received` counts every copy, a duplicate too: should a server
      // send some, the drain can end before the last copies; the tally shows both.
      let td0 = MonotonicClock.microseconds()
      while true {
        try await fleet.pump(micros: 10_000)
        let t = MonotonicClock.microseconds()
        if run.received.load(ordering: .relaxed) >= ledger.expectedTotal { break }
        let last = max(run.lastReceive.load(ordering: .relaxed), tSendEnd)
        if t > last && t - last > UInt64(p.drainIdle * 1e6) { break }
        if t - td0 > UInt64(p.drainMax * 1e6) { break }
      }
      run.counting.store(false, ordering: .relaxed)
      let serverCPU1 = proc?.cpuSecondsEach()
      let ownCPU1 = ownCPUSeconds()
      result.serverRSSKB = proc?.residentKB()

      // Figures.
      let reports = try await fleet.collectReports()
      result.tally = ledger.tally(reports.map(\.samples))
      if verbose { log.line(LatencyTimeline.line(LatencyTimeline.buckets(reports.map(\.samples), rate: p.rate))) }
      result.foreign = reports.reduce(0) { $0 + $1.foreign }
      let lastReceive = reports.reduce(0) { max($0, $1.lastReceive) }
      result.sent = ledger.sent
      result.sendSeconds = seconds(tSendEnd - tSendStart)
      result.spanSeconds = seconds(max(lastReceive, tSendEnd) - tSendStart)
      if let proc, let a = serverCPU0, let b = serverCPU1 {
        let each = zip(a, b).map { a, b in a.flatMap { a in b.map { $0 - a } } }
        result.serverCPUSeconds = ProcGroup.sum(each)
        result.serverCPUByProcess = zip(proc.processes, each).map { ($0.name, $1) }
      }
      result.ownCPUSeconds = ownCPU1 - ownCPU0
      result.counters = fleet.counters
      logSummary(result, log)
      return result
    }
  }

  /// ircload's closing lines.
  static func logSummary(_ r: ChatResult, _ log: Log) {
    let t = r.tally
    let c = r.counters
    log.line(
      "send: sent=\(r.sent) msgs in \(fmt(r.sendSeconds))s = \(fmt(r.sendRate, 1)) msgs/s by \(r.senders) senders (target \(fmt(r.parameters.rate, 1)) msgs/s)"
    )
    log.line(
      "deliver: received=\(t.received) expected=\(t.expected) lost=\(t.lost) duplicates=\(t.duplicates) fully_delivered_msgs=\(t.fullyDelivered) (\(fmt(r.fullyDeliveredPerSecond, 1)) msgs/s)  fanout_deliveries/s=\(Int(r.deliveriesPerSecond)) (over \(fmt(r.spanSeconds))s send+drain)"
    )
    if t.surplus > 0 { log.line("surplus: \(t.surplus) copies reached members the driver did not count as in the room") }
    if !t.short.isEmpty {
      log.line("short: " + t.short.map { "seq \($0.seq) got \($0.received)/\($0.expected)" }.joined(separator: ", "))
    }
    let l = t.latency
    log.line("latency_ms: p50=\(fmt(l.p50)) p99=\(fmt(l.p99)) p99.9=\(fmt(l.p999)) max=\(fmt(l.max)) mean=\(fmt(l.mean)) (n=\(l.count))")
    let server =
      r.serverCPUSeconds.map {
        "\(fmt($0))s (\(Int(r.serverCPUPercent ?? 0))% of one core, \(fmt(r.serverMicrosPerDelivery ?? 0)) µs/delivery)"
      } ?? "unknown"
    if r.serverCPUByProcess.count > 1 {
      log.line(
        "cpu by process: "
          + r.serverCPUByProcess.map { "\($0.name)=\($0.seconds.map { fmt($0) + "s" } ?? "unknown")" }.joined(separator: " "))
    }
    log.line(
      "cpu: server=\(server) chatbench=\(fmt(r.ownCPUSeconds))s (\(fmt(r.ownMicrosPerDelivery ?? 0)) µs/delivery) over send+drain; server_rss_kb=\(r.serverRSSKB ?? -1)"
    )
    log.line(
      "errors: connect_fail=\(c.connectFail) closed_by_server=\(c.closed) reg_timeout=\(c.registrationTimeout) error_lines=\(c.errorLines) foreign_lines=\(r.foreign)\(c.numericsText)"
    )
    log.line("first_error: \(c.firstError ?? "(none)")")
  }
}

func seconds(_ micros: UInt64) -> Double { Double(micros) / 1e6 }

/// `value` with `digits` decimals.
func fmt(_ value: Double, _ digits: Int = 2) -> String { String(format: "%.\(digits)f", value) }
