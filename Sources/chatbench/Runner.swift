// Runs the selected scenarios on the target server(s): for each scenario every server or
// network in turn (a fresh managed server or network per run, a fresh Otter node per run),
// each run under the hard deadline; prints each scenario's table or JSON lines as soon as
// it is done.
import Actors
import Foundation

struct Runner {
  let options: Options
  let log: Log

  /// Scheduler threads of chatbench's node when `--schedulers` is not given: one, like
  /// ircload's single thread, so the load tool takes at most one of the two cores.
  static let defaultSchedulers = 1

  /// Runs everything; returns the exit code (0, or 1 if a run failed or aborted).
  func run() async -> Int32 {
    var code: Int32 = 0
    // One certificate for every server of every TLS run, so each does the same work.
    var certificate: Result<BenchCertificate, LaunchError>?
    if case .managed = options.target, options.transports.contains(.tls) {
      do {
        let made = try BenchCertificate.make(rsa: options.tlsRSA)
        log.line("tls: bench certificate \(made.certificateFile) (\(options.tlsRSA ? "RSA 2048" : "EC P-256"))")
        certificate = .success(made)
      } catch {
        certificate = .failure(error)
      }
    }
    defer { if case .success(let made)? = certificate { made.remove() } }
    for scenario in options.scenarios {
      var measurements: [Measurement] = []
      switch options.target {
      case .external(let endpoints, let pids, let name):
        measurements.append(await measureExternal(scenario, endpoints: endpoints, pids: pids, name: name))
      case .managed(let kinds):
        for kind in kinds {
          for transport in options.transports {
            measurements.append(await measureManaged(scenario, kind: kind, transport: transport, certificate: certificate))
          }
        }
      }
      for m in measurements {
        switch m.outcome {
        case .failed: code = 1
        case .chat(let r) where r.aborted: code = 1
        default: break
        }
      }
      if options.json {
        for line in Report.json(measurements) { writeStdout(line + "\n") }
      } else {
        writeStdout(Report.table(measurements, heading: Report.heading(scenario, options)))
      }
    }
    return code
  }

  /// One scenario on servers already running; a network is first checked to be linked.
  private func measureExternal(_ scenario: Scenario, endpoints: [Endpoint], pids: [Int32], name: String) async -> Measurement {
    let inflight = connectParameters(scenario).inflight ?? 200
    let transport = options.transports.first ?? .irc
    if endpoints.count > 1 {
      do {
        try NetworkProbe.waitUntilLinked(endpoints, name: name, log: log)
      } catch {
        log.line("\(name): skipped — \(error)")
        return Measurement(scenario: scenario, server: name, outcome: .skipped(error.description), servers: endpoints.count)
      }
    }
    let processes = pids.map { ServerProcess(name: "pid \($0)", pid: $0) }
    let target = ServerTarget(endpoints: endpoints, processes: processes, transport: transport)
    return await measure(scenario, server: name, target: target, inflight: inflight)
  }

  /// One scenario on a server or network started for it (and stopped after it); one that
  /// cannot start is skipped with the reason.
  private func measureManaged(
    _ scenario: Scenario, kind: ManagedKind, transport: ChatTransport, certificate: Result<BenchCertificate, LaunchError>?
  ) async -> Measurement {
    let single = kind.isNetwork ? kind.single.rawValue : nil
    let started: ManagedTarget
    do throws(LaunchError) {
      var tls: BenchCertificate?
      if transport == .tls {
        if kind.isNetwork { throw LaunchError("networks run over irc and websocket only") }
        switch certificate {
        case .success(let made): tls = made
        case .failure(let error): throw error
        case nil: throw LaunchError("no bench certificate")
        }
      }
      if kind.isNetwork {
        started = try NetworkLauncher.start(
          kind, web: transport == .websocket, chatdPath: options.chatdPath, chatdArguments: options.chatdArguments, log: log)
      } else {
        let server = try ServerLauncher.start(
          kind, web: transport == .websocket, tls: tls, chatdPath: options.chatdPath, chatdArguments: options.chatdArguments, log: log)
        started = ManagedTarget(kind: kind, servers: [server])
      }
    } catch {
      log.line("\(kind.rawValue): skipped — \(error)")
      return Measurement(
        scenario: scenario, server: kind.rawValue, transport: transport, outcome: .skipped(error.description), servers: kind.servers,
        single: single)
    }
    defer { started.stop() }
    let inflight = connectParameters(scenario).inflight ?? kind.defaultInflight
    var m = await measure(scenario, server: kind.rawValue, target: started.target(transport: transport), inflight: inflight)
    m.single = single
    for p in started.exited { log.line("\(p.name): the process had exited by the end of the run:\n\(p.logTail())") }
    return m
  }

  private func connectParameters(_ s: Scenario) -> ConnectParameters {
    options.chat(s)?.connect ?? options.idle().connect
  }

  /// One scenario on one server, on a fresh node, under the deadline.
  func measure(_ scenario: Scenario, server: String, target: ServerTarget, inflight: Int) async -> Measurement {
    let transport = target.transport
    log.line("== \(scenario.rawValue) on \(server) over \(transport.rawValue) (\(target.summary))")
    Watchdog.arm(seconds: options.maxTime, for: "\(scenario.rawValue) on \(server)")
    // The machine may be shared: the load average tells whether other work competed.
    log.line("loadavg at start: \(ProcWatch.loadAverage())")
    defer {
      log.line("loadavg at end: \(ProcWatch.loadAverage())")
      Watchdog.disarm()
    }
    do {
      let node = try Node(schedulers: options.schedulers ?? Runner.defaultSchedulers, name: "chatbench")
      defer { node.shutdown(timeout: .seconds(10)) }
      if let p = options.chat(scenario) {
        let r = try await ChatRun.run(p, target: target, inflight: inflight, node: node, log: log, verbose: options.verbose)
        return Measurement(scenario: scenario, server: server, transport: transport, outcome: .chat(r), servers: target.endpoints.count)
      }
      let r = try await IdleRun.run(options.idle(), target: target, inflight: inflight, node: node, log: log, verbose: options.verbose)
      return Measurement(scenario: scenario, server: server, transport: transport, outcome: .idle(r), servers: target.endpoints.count)
    } catch {
      log.line("\(scenario.rawValue) on \(server) failed: \(error)")
      return Measurement(
        scenario: scenario, server: server, transport: transport, outcome: .failed("\(error)"), servers: target.endpoints.count)
    }
  }
}
