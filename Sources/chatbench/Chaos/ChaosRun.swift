// `chatbench chaos`: a chatd under load while its processes are killed, then the
// verdict. Starts the chatd (or takes a running one), finds its control endpoint,
// counts its descriptors and threads, runs the driver (load, kills, recovery, checks)
// on a fresh Otter node, waits for the server's counts to come back once every client
// has left, and prints the figures. Exit status: 0 every check passed, 1 one failed or
// the run could not be made.
import Actors
import Control
import Foundation

/// What a chaos run gave.
struct ChaosOutcome: Sendable {
  var verdict: ChaosVerdict
  /// The checks that failed.
  var failed: [String]
  var seed: UInt64
}

enum ChaosRun {
  /// Runs, prints the figures and returns the exit status.
  static func main(_ o: ChaosOptions, log: Log) async -> Int32 {
    Watchdog.arm(seconds: o.effectiveMaxTime, for: "chaos")
    defer { Watchdog.disarm() }
    let outcome: ChaosOutcome
    do {
      outcome = try await run(o, log: log)
    } catch {
      log.line("chaos: \(error)")
      return 1
    }
    let figures = ChaosReport.figures(outcome.verdict, threadSlack: o.threadSlack)
    if o.json {
      for line in ChaosReport.json(figures, server: "chatd", seed: outcome.seed, failed: outcome.failed) { writeStdout(line + "\n") }
    } else {
      let heading =
        "chaos: \(o.clients) clients, \(o.channels) channels (\(o.joins) each), \(fmtPlain(o.rate)) msg/s, \(fmtPlain(o.duration)) s, kill every \(fmtPlain(o.killInterval * 1000)) ms: \(o.kinds.joined(separator: ",")) (seed \(outcome.seed))"
      writeStdout(ChaosReport.table(figures, heading: heading, server: "chatd", failed: outcome.failed))
    }
    return outcome.failed.isEmpty ? 0 : 1
  }

  /// Why a chaos run could not be made.
  struct RunError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
  }

  /// The run itself: server, baseline, load and kills, recovery, checks.
  static func run(_ o: ChaosOptions, log: Log) async throws -> ChaosOutcome {
    let seed = o.seed ?? UInt64.random(in: 0...UInt64.max)
    log.line("chaos: seed \(seed) (--seed \(seed) repeats the choices); loadavg \(ProcWatch.loadAverage())")

    // The server and its control socket.
    var managed: ManagedServer?
    let host: String
    let port: Int
    let pid: Int32
    let controlPath: String
    switch o.target {
    case .managed:
      do {
        let server = try ServerLauncher.start(.chatd, chatdPath: o.chatdPath, chatdArguments: o.chatdArguments, log: log)
        managed = server
        (host, port, pid) = ("127.0.0.1", server.port, server.pid)
        controlPath = o.controlPath ?? server.directory + "/data/control.sock"
      } catch {
        throw RunError("cannot start chatd: \(error)")
      }
    case .external(let h, let p, let serverPid):
      (host, port, pid) = (h, p, serverPid)
      guard let path = o.controlPath ?? Discovery.liveNodes().first(where: { $0.osPid == Int(serverPid) })?.socket else {
        throw RunError("no control endpoint announced by pid \(serverPid) in \(Discovery.defaultDirectory); give it with --control PATH")
      }
      controlPath = path
    }
    defer { managed?.stop() }

    // The kinds must be children of chatd's root.
    let tree: SupervisionTree
    do {
      let control = try ControlClient(path: controlPath, timeout: .seconds(5))
      tree = try control.tree(childLimit: 1000, timeout: .seconds(2))
      control.close()
    } catch {
      throw RunError("control endpoint \(controlPath): \(error)")
    }
    if let problem = ChaosKiller.validate(kinds: o.kinds, tree: tree) { throw RunError(problem) }
    // The endpoint's connection process is gone before the counts are taken.
    usleep(300_000)
    guard let before = ResourceCounts.baseline(pid: pid, seconds: o.baselineWait) else {
      throw RunError("cannot read /proc/\(pid)/fd and /proc/\(pid)/task (not this user's process?)")
    }
    log.line(
      "chaos: chatd pid \(pid) on \(host):\(port), control \(controlPath): \(before.descriptors) descriptors, \(before.threads) threads")
    log.line(
      "chaos: \(o.clients) clients × \(o.joins) of \(o.channels) channels, \(fmtPlain(o.rate)) msg/s for \(fmtPlain(o.duration)) s, a kill of \(o.kinds.joined(separator: "/")) every \(fmtPlain(o.killInterval * 1000)) ms"
    )

    let context = ChaosContext(host: host, port: port, nickPrefix: o.nickPrefix, verbose: o.verbose, log: log)
    let killer = ChaosKiller(
      socketPath: controlPath, kinds: o.kinds, interval: o.killInterval, context: context, seed: seed ^ 0xC4A0_5C4A_05C4_A05C,
      withinBudgets: !o.ignoreBudget, channelsOf: { slot in ChaosDriver.channels(of: slot, joins: o.joins, channels: o.channels) })
    // Beside the load: rolling reloads of a master's workers, new connections arriving.
    let reloader = o.reloadInterval.map {
      ChaosReloader(
        socketPath: controlPath, interval: $0, until: Date().addingTimeInterval(o.duration + 20), log: log, verbose: o.verbose)
    }
    let arrivals = o.connectRate > 0 ? ConnectLoop(host: host, port: port, rate: o.connectRate) : nil
    reloader?.start()
    arrivals?.start()
    var evidence: ChaosEvidence
    do {
      let node = try Node(schedulers: o.schedulers ?? Runner.defaultSchedulers, name: "chatbench")
      defer { node.shutdown(timeout: .seconds(10)) }
      evidence = try await node.run(ChaosEvent.self, label: "chaos driver") { ctx in
        try await ChaosDriver(ctx: ctx, context: context, options: o, killer: killer, seed: seed).run()
      }
    } catch {
      killer.stop()
      reloader?.stop()
      arrivals?.stop()
      throw RunError("the run failed: \(error)")
    }
    reloader?.stop()
    arrivals?.stop()
    evidence.reloads = reloader?.records
    evidence.arrivals = arrivals?.counts
    for example in arrivals?.counts.examples ?? [] { log.line("chaos: connect loop: \(example)") }
    let errors = killer.errors
    if errors.count > 0 { log.line("chaos: \(errors.count) kill ticks failed; last: \(errors.last ?? "?")") }

    // Every client has quit: the server's counts should come back.
    evidence.before = before
    evidence.after = ResourceCounts.settle(pid: pid, to: before, threadSlack: o.threadSlack, seconds: o.resourceWait)
    if let running = managed?.isRunning, !running { log.line("chaos: chatd exited during the run:\n\(managed?.logTail() ?? "")") }

    let verdict = ChaosChecker().check(evidence, nickPrefix: o.nickPrefix)
    for line in verdict.examples { log.line("chaos: \(line)") }
    return ChaosOutcome(verdict: verdict, failed: verdict.failures(threadSlack: o.threadSlack), seed: seed)
  }
}
