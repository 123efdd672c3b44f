// `chatd --workers N`: a master that serves nothing itself and runs, under one
// supervision tree, N chatd workers — OS processes, nodes of one chat network — and,
// unless `--cluster` names one, the network's Redis. It opens the listening sockets and
// hands them to every worker (MasterListeners.swift), restarts a worker that dies,
// and replaces them all one by one on `chatd reload` or SIGHUP (WorkerSet.swift).
// The observer attaches to its control socket and shows the workers as OS processes.
//
// Its tree: control endpoint; Redis (if embedded); the pool — the workers' supervisor
// and the worker set, rest for one (a restarted supervisor starts the first
// generation again, and the set forgets the later ones with it).
import Actors
import Control
import Foundation
import GenServer
import Supervision

/// A running master.
public final class ChatMaster: Sendable {
  let application: Application
  let config: ChatConfig
  let listeners: MasterListeners
  /// The IRC and web ports the workers accept on (the ones given, or those picked for 0).
  public var ircPort: Int { listeners.ircPort }
  public var webPort: Int { listeners.webPort }
  public let workers: Int
  /// The Redis the workers share.
  public let cluster: String
  public var node: Node { application.node }

  /// The service manager that started the master, if one did (systemd's Type=notify).
  let notifier: ServiceNotifier?

  private init(application: Application, config: ChatConfig, listeners: MasterListeners, workers: Int, cluster: String) {
    self.application = application
    self.notifier = ServiceNotifier(socketName: config.notifySocket, logger: application.node.logger)
    self.config = config
    self.listeners = listeners
    self.workers = workers
    self.cluster = cluster
  }

  /// Opens the listeners, starts Redis (unless `config.cluster`) and `config.workers`
  /// workers, each started when it serves. `arguments`: the master's command line, which
  /// the workers are given (less `--workers`).
  public static func start(_ config: ChatConfig, arguments: [String]) async throws(StartupError) -> ChatMaster {
    let count = max(1, config.workers ?? 1)
    try OpenFileLimit.check()
    try DataDirectory.prepare(config.dataDirectory)
    let data = URL(fileURLWithPath: config.dataDirectory).standardizedFileURL.path
    // Each worker's own directory goes under here (WorkerPlan.directory). What an
    // earlier master's workers left there is theirs alone (the network's data is in
    // Redis): it goes, or every reload of every run would add directories.
    let workersDirectory = data + "/workers"
    for entry in (try? FileManager.default.contentsOfDirectory(atPath: workersDirectory)) ?? [] {
      try? FileManager.default.removeItem(atPath: workersDirectory + "/" + entry)
    }
    try DataDirectory.prepare(workersDirectory)
    let logOutput: LogOutput
    do {
      logOutput = try config.openLogOutput()
    } catch {
      throw .logFile(error)
    }
    let node: Node
    do {
      node = try Node(name: "chatd-master", logger: config.makeLogger(label: "chatd-master", output: logOutput))
    } catch {
      throw .node(error)
    }
    let listeners: MasterListeners
    do {
      listeners = try MasterListeners.open(config)
    } catch {
      node.shutdown()
      throw error
    }
    var children: [ChildSpec] = []
    let cluster: String
    if let given = config.cluster {
      cluster = given
    } else {
      do {
        let redis = try EmbeddedRedis.child(dataDirectory: data)
        children.append(redis.spec)
        cluster = redis.url
      } catch {
        listeners.close()
        node.shutdown()
        throw error
      }
    }
    let plan = WorkerPlan(
      executable: (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0],
      arguments: WorkerPlan.workerArguments(arguments), dataDirectory: data, cluster: cluster,
      baseName: config.nodeName ?? "chatd", listeners: listeners.inherited, readyTimeout: .seconds(60),
      shutdownTimeout: config.shutdownTimeout + .seconds(2))
    let set = WorkerSet(plan: plan, count: count)
    let workerSupervisor = Supervisor(
      // A worker that keeps dying is left to its backoff; the pool gives up only on a storm.
      SupervisorFlags(strategy: .oneForOne, intensity: 10 * count, period: .seconds(10)),
      children: (1...count).map { plan.child(slot: $0, generation: 1) })
    let pool = Supervisor(
      SupervisorFlags(strategy: .restForOne, intensity: 3, period: .seconds(60)),
      children: [
        .supervisor(id: "workers", workerSupervisor, name: WorkerSet.supervisorName),
        .server(id: "reloads", set, name: WorkerSet.name, shutdown: .timeout(.seconds(5))),
      ])
    children.append(.supervisor(id: "pool", pool))
    children.insert(Control.endpoint(EndpointOptions(path: config.controlSocketPath, operations: operations)), at: 0)
    let root = Supervisor(SupervisorFlags(strategy: .oneForOne, intensity: 3, period: .seconds(30)), children: children)
    let application: Application
    do {
      application = try await Application.start(root, name: "chatd", on: node) {
        // SIGHUP: a rolling reload (its report goes to the log).
        Task {
          guard let set = WorkerSet.running(on: node) else { return }
          _ = try? await node.call(set, .reload, timeout: .infinity)
        }
      }
    } catch {
      listeners.close()
      node.shutdown()
      throw StartupError(.software, "cannot start the workers: \(error)")
    }
    let master = ChatMaster(application: application, config: config, listeners: listeners, workers: count, cluster: cluster)
    let web = listeners.web != nil ? ", web \(config.webHost):\(listeners.webPort)" : ""
    let serving = "\(count) workers on IRC \(config.host):\(listeners.ircPort)\(web), network \(cluster)"
    node.logger.notice("chatd master: \(serving)")
    // Every worker said it serves (their starts waited for READY=1): so may the master.
    master.notifier?.ready(status: serving)
    return master
  }

  /// Runs until SIGTERM/SIGINT, then stops the workers (each says goodbye to its
  /// clients) and Redis. Returns the exit status.
  public func run() async -> Int32 {
    let status = await application.run(shutdownTimeout: config.shutdownTimeout + .seconds(15))
    listeners.close()
    return status == Application.shutdownTimedOutStatus ? ChatExitStatus.shutdownTimedOut.rawValue : status
  }

  public func stop() { application.stop() }

  /// The master's control operations: `reload` (the reload's report) and `workers`.
  static let operations: [String: ControlOperation] = [
    "reload": ControlOperation(parameters: []) { _, node in
      guard let set = WorkerSet.running(on: node) else { return .failure(ControlError(.internal, "the worker set is not running")) }
      guard case .reloaded(let report) = try? await node.call(set, .reload, timeout: .infinity) else {
        return .failure(ControlError(.internal, "the reload could not run (the worker set did not answer)"))
      }
      return .success(report.json)
    },
    "workers": ControlOperation(parameters: []) { _, node in
      guard let set = WorkerSet.running(on: node), case .slots(let names) = try? await node.call(set, .slots) else {
        return .failure(ControlError(.internal, "the worker set does not answer"))
      }
      return .success(.array(names.map { .string($0) }))
    },
  ]
}

extension ReloadReport {
  var json: JSON {
    .fields([
      "reload": .number(number), "failed": .bool(failed), "total_ms": .number(Int(total / .milliseconds(1))),
      "steps": .array(
        steps.map { s in
          .fields([
            "slot": .number(s.slot), "old": .string(s.old), "new": .string(s.new),
            "ready_ms": s.ready.map { .number(Int($0 / .milliseconds(1))) },
            "stopped_ms": s.stopped.map { .number(Int($0 / .milliseconds(1))) },
            "slot_ms": s.total.map { .number(Int($0 / .milliseconds(1))) },
            "moved": s.handOff.map { .number($0.moved) }, "told_to_reconnect": s.handOff.map { .number($0.toldToReconnect) },
            "failure": s.failure.map { .string($0) }, "summary": .string(s.summary),
          ])
        }),
    ])
  }
}
