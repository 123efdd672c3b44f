// Runs the selected scenarios on the target server(s): for each scenario every server in
// turn (a fresh managed server per run, a fresh Otter node per run), each run under the
// hard deadline; prints each scenario's table or JSON lines as soon as it is done.
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
    for scenario in options.scenarios {
      var measurements: [Measurement] = []
      switch options.target {
      case .external(let host, let port, let pid, let name):
        let inflight = connectParameters(scenario).inflight ?? 200
        let transport = options.transports.first ?? .irc
        measurements.append(
          await measure(
            scenario, server: name, target: ServerTarget(host: host, port: port, pid: pid, transport: transport), inflight: inflight))
      case .managed(let kinds):
        for kind in kinds {
          for transport in options.transports {
            let server: ManagedServer
            do {
              server = try ServerLauncher.start(
                kind, web: transport == .websocket, chatdPath: options.chatdPath, chatdArguments: options.chatdArguments, log: log)
            } catch {
              log.line("\(kind.rawValue): skipped — \(error)")
              measurements.append(
                Measurement(scenario: scenario, server: kind.rawValue, transport: transport, outcome: .skipped(error.description)))
              continue
            }
            let inflight = connectParameters(scenario).inflight ?? kind.defaultInflight
            let port = transport == .websocket ? server.webPort ?? server.port : server.port
            let target = ServerTarget(host: "127.0.0.1", port: port, pid: server.pid, transport: transport)
            let m = await measure(scenario, server: kind.rawValue, target: target, inflight: inflight)
            if !server.isRunning { log.line("\(kind.rawValue): the server had exited by the end of the run:\n\(server.logTail())") }
            server.stop()
            measurements.append(m)
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

  private func connectParameters(_ s: Scenario) -> ConnectParameters {
    options.chat(s)?.connect ?? options.idle().connect
  }

  /// One scenario on one server, on a fresh node, under the deadline.
  func measure(_ scenario: Scenario, server: String, target: ServerTarget, inflight: Int) async -> Measurement {
    let transport = target.transport
    log.line(
      "== \(scenario.rawValue) on \(server) over \(transport.rawValue) (127.0.0.1:\(target.port)\(target.pid.map { ", pid \($0)" } ?? ""))")
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
        return Measurement(scenario: scenario, server: server, transport: transport, outcome: .chat(r))
      }
      let r = try await IdleRun.run(options.idle(), target: target, inflight: inflight, node: node, log: log, verbose: options.verbose)
      return Measurement(scenario: scenario, server: server, transport: transport, outcome: .idle(r))
    } catch {
      log.line("\(scenario.rawValue) on \(server) failed: \(error)")
      return Measurement(scenario: scenario, server: server, transport: transport, outcome: .failed("\(error)"))
    }
  }
}
