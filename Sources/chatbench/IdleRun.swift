// S4, ircload.c's idle mode: registered connections without channels, opened in steps
// until a failure (or the last step); at each step the server's RSS after settling.
import Actors

/// One step of an idle run.
struct IdleStep: Sendable, Equatable {
  var target: Int
  var alive: Int
  var rssKB: Int?
  /// Whether the step got to its target without a failure.
  var ok: Bool
  var elapsedSeconds: Double
  /// Seconds its connections took to connect and register (before the settle).
  var connectSeconds: Double = 0
  /// Connections open before it.
  var aliveBefore = 0
  /// Server CPU seconds (all its processes) while its connections connected and
  /// registered; nil without a server process to read.
  var connectCPUSeconds: Double?

  /// (RSS now − RSS with no connections) / connections, KiB.
  func deltaKBPerConnection(baseline: Int?) -> Double? {
    guard let rssKB, let baseline, alive > 0 else { return nil }
    return Double(rssKB - baseline) / Double(alive)
  }
}

/// The figures of an idle run.
struct IdleResult: Sendable {
  var parameters: IdleParameters
  /// Server RSS before the first connection, KiB.
  var baselineRSSKB: Int?
  var steps: [IdleStep] = []
  var maxAlive = 0
  var counters = FleetCounters()

  /// Connections per second that connected and registered (a TLS handshake included)
  /// during the first step: the others start where a failure or the process's limits
  /// may be near.
  var connectPerSecond: Double? {
    guard let first = steps.first, first.connectSeconds > 0 else { return nil }
    return Double(first.alive - first.aliveBefore) / first.connectSeconds
  }

  /// Server CPU per new connection in the first step, µs: accepting, the TLS handshake
  /// if any, registration (the welcome burst).
  var cpuMicrosPerConnection: Double? {
    guard let first = steps.first, let cpu = first.connectCPUSeconds, first.alive > first.aliveBefore else { return nil }
    return cpu * 1_000_000 / Double(first.alive - first.aliveBefore)
  }

  /// KiB per connection at the largest step that completed (the S4 figure).
  var headline: (step: IdleStep, kbPerConnection: Double)? {
    for s in steps.reversed() where s.ok {
      if let d = s.deltaKBPerConnection(baseline: baselineRSSKB) { return (s, d) }
    }
    return nil
  }
}

enum IdleRun {
  static func run(_ p: IdleParameters, target: ServerTarget, inflight: Int, node: Node, log: Log, verbose: Bool = false) async throws
    -> IdleResult
  {
    let run = RunContext(
      endpoints: target.endpoints, sources: p.connect.sources, nickPrefix: p.connect.nickPrefix,
      roomPrefix: "#r", size: 0, maxMessages: 0, connectTimeout: p.connect.registrationTimeout + 5, verbose: verbose,
      transport: target.transport)
    let proc = target.processes.isEmpty ? nil : ProcGroup(target.processes)
    let steps = p.effectiveSteps
    return try await node.run(DriverEvent.self, label: "chatbench idle driver") { ctx in
      let fleet = Fleet(ctx: ctx, run: run, connect: p.connect, inflight: inflight, target: p.maxConnections, rooms: 1, log: log)
      var result = IdleResult(parameters: p)
      result.baselineRSSKB = proc?.residentKB()
      log.line(
        "idle: server_pid=\(target.processes.isEmpty ? "-" : target.processes.map { String($0.pid) }.joined(separator: ",")) baseline_rss_kb=\(result.baselineRSSKB ?? -1) steps=\(steps.map(String.init).joined(separator: ","))"
      )
      let t0 = MonotonicClock.microseconds()
      for target in steps {
        let before = fleet.counters.alive
        let opening = MonotonicClock.microseconds()
        let cpu0 = proc?.cpuSeconds()
        let ok = try await fleet.openUntil(target, stopOnFailure: true)
        let opened = seconds(MonotonicClock.microseconds() - opening)
        let cpu1 = proc?.cpuSeconds()
        try await fleet.runFor(seconds: p.settle)
        let step = IdleStep(
          target: target, alive: fleet.counters.alive, rssKB: proc?.residentKB(), ok: ok,
          elapsedSeconds: seconds(MonotonicClock.microseconds() - t0), connectSeconds: opened, aliveBefore: before,
          connectCPUSeconds: cpu0.flatMap { c0 in cpu1.map { $0 - c0 } })
        result.steps.append(step)
        result.maxAlive = max(result.maxAlive, step.alive)
        let perConn = step.alive > 0 ? Double(step.rssKB ?? 0) / Double(step.alive) : 0
        let delta = step.deltaKBPerConnection(baseline: result.baselineRSSKB) ?? 0
        log.line(
          "step target=\(target) alive=\(step.alive) server_rss_kb=\(step.rssKB ?? -1) rss_per_conn_kb=\(fmt(perConn)) delta_rss_per_conn_kb=\(fmt(delta)) elapsed_s=\(fmt(step.elapsedSeconds, 1))\(ok ? "" : " (FAILED before target)")"
        )
        if !ok { break }
      }
      try await fleet.runFor(seconds: p.hold)
      result.counters = fleet.counters
      let c = fleet.counters
      log.line(
        "idle result: max_alive=\(result.maxAlive) now_alive=\(c.alive) connect_fail=\(c.connectFail) closed_by_server=\(c.closed) reg_timeout=\(c.registrationTimeout) emfile=\(c.emfile)\(c.numericsText)"
      )
      log.line("first_error: \(c.firstError ?? "(none)")")
      return result
    }
  }
}
