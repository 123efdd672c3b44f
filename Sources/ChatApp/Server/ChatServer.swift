// The chat daemon as an Otter application: the supervision tree
//
//   chatd (root, one_for_one)
//   ├── history       HistoryStore: SQLite, on its own writer thread
//   ├── accounts      AccountStore: accounts, SASL, registered channels (Accounts/)
//   ├── presence      Presence: nicks, MONITOR
//   ├── rooms         room supervisor (one Room per channel) and restorer (Rooms/RoomSupervision.swift)
//   ├── connections   DynamicSupervisor: one Connection per client (temporary)
//   ├── sweeper       IdleSweeper: registration and ping timeouts of every client
//   ├── memory-trimmer  MemoryTrimmer: gives freed memory back to the kernel after a burst
//   ├── web-sessions, websockets   HTTP sessions, WebSocket clients (Web/WebServer.swift)
//   ├── handoff       in a network: where another node hands its sessions over (HandOff/)
//   ├── irc           listener (acceptor) on the IRC port (unless --port off)
//   ├── irc-tls       listener on the IRC over TLS port (--tls)
//   ├── web, web-tls  listeners on the web ports, HTTP and HTTPS (Web/WebServer.swift)
//   ├── control       the observer's control endpoint (Unix socket, mode 0600)
//   └── metrics...    the admin listener's /metrics and its sessions (Metrics/MetricsServer.swift)
//
// The client listeners come after everything they hand connections to (only the
// control endpoint and the metrics port follow them): started last, and, since a
// supervisor stops its children right to left, stopped first — a stopping chatd accepts
// nobody new while it tells its clients goodbye, then the rooms, presence and the
// history writer finish. A start that fails says why in one line (StartupError).
import Actors
import Control
import Foundation
import GenServer
import Supervision

/// A running chat daemon.
public final class ChatServer: Sendable {
  public let application: Application
  public let config: ChatConfig
  let services: ChatServices
  private let ircBound: BoundPort
  private let webBound: BoundPort
  private let metricsBound: BoundPort
  private let tlsBound: TLSBoundPorts

  private init(
    application: Application, config: ChatConfig, services: ChatServices, ircBound: BoundPort, webBound: BoundPort,
    metricsBound: BoundPort, tlsBound: TLSBoundPorts
  ) {
    self.application = application
    self.config = config
    self.services = services
    self.ircBound = ircBound
    self.webBound = webBound
    self.metricsBound = metricsBound
    self.tlsBound = tlsBound
  }

  public var node: Node { application.node }
  /// The IRC port actually listened on (useful with port 0); 0 when it is off.
  public var ircPort: Int { ircBound.port }
  /// The IRC over TLS port actually listened on; 0 when it is off.
  public var ircTLSPort: Int { tlsBound.irc.port }
  /// The HTTPS/WSS port actually listened on; 0 when it is off.
  public var webTLSPort: Int { tlsBound.web.port }
  /// The HTTP/WebSocket port actually listened on; 0 when the web listener is off.
  public var webPort: Int { webBound.port }
  /// The metrics port actually listened on; nil when the metrics listener is off.
  public var metricsPort: Int? { config.metricsPort == nil ? nil : metricsBound.port }
  /// The database file, if history is kept.
  public var historyPath: String? {
    config.history ? URL(fileURLWithPath: config.dataDirectory).appendingPathComponent("history.sqlite3").path : nil
  }

  /// Starts the daemon: checks the data directory, opens the log and the history,
  /// listens. Throws `StartupError`, which says what failed and which flag to change (the
  /// port is taken, the data directory cannot be written, ...) and carries chatd's exit
  /// status. The log settings are for the node it makes; a node given keeps its own
  /// logger.
  public static func start(_ config: ChatConfig, on node: Node? = nil) async throws(StartupError) -> ChatServer {
    try OpenFileLimit.check()
    var dataNotes = try DataDirectory.prepare(config.dataDirectory)
    if let historyPath = config.history ? URL(fileURLWithPath: config.dataDirectory).appendingPathComponent("history.sqlite3").path : nil {
      dataNotes += DataDirectory.keepDatabasePrivate(historyPath)
    }
    // The accounts' database (a network keeps them in its Redis).
    if config.cluster == nil { dataNotes += DataDirectory.keepDatabasePrivate(config.accountsPath) }
    // Listeners handed down by the parent serve instead of the configured addresses;
    // the settings say where they listen.
    let inherited = try InheritedListeners.take(config.socketActivation)
    var config = config
    if let fd = inherited.irc, let (host, port) = InheritedListeners.address(of: fd) {
      config.host = host
      config.port = port
    }
    if let fd = inherited.web, let (host, port) = InheritedListeners.address(of: fd) { (config.webHost, config.webPort) = (host, port) }
    // The certificate and key are read before anything starts: a bad file is one line.
    let tls: ChatTLS?
    do {
      tls = config.usesTLS ? try ChatTLS(config) : nil
    } catch {
      throw .tls(error)
    }
    let given = node
    // The log file is chatd's own node's: a node given keeps its logger.
    let logOutput: LogOutput?
    do {
      logOutput = given == nil ? try config.openLogOutput() : nil
    } catch {
      throw .logFile(error)
    }
    // What the node logs while it starts waits for the outcome (StartupLogHold.swift).
    let hold = StartupLogHold()
    let node: Node
    do {
      // A node of a network signs its lines with its name: the workers of one master
      // write to one log.
      let label = config.cluster != nil ? config.nodeName ?? "chatd" : "chatd"
      node = try given ?? Node(name: "chatd", logger: hold.holding(config.makeLogger(label: label, output: logOutput ?? .standardError)))
    } catch {
      throw .node(error)
    }
    // A network node joins its network first: its services carry it.
    var network: ChatNetwork?
    if config.cluster != nil {
      do {
        network = try await ChatNetwork.start(config, on: node)
        // Linked to the other nodes before the listeners open: a client accepted before
        // would find the rooms of nodes not linked yet out of reach (a worker restarted
        // by its master accepts at once on the shared listener).
        await network?.awaitLinks(timeout: .seconds(5))
      } catch {
        hold.drop(keeping: config.logLevel <= .debug)
        if given == nil { node.shutdown() }
        throw StartupError(.network, "\(error)")
      }
    }
    let services = ChatServices(config: config, node: node, network: network, tls: tls)
    for note in dataNotes { node.logger.warning("\(note)") }
    let ircBound = BoundPort()
    let webBound = BoundPort()
    let metricsBound = BoundPort()
    let tlsBound = TLSBoundPorts()
    let historyPath =
      config.history
      ? URL(fileURLWithPath: config.dataDirectory).appendingPathComponent("history.sqlite3").path : nil
    // The node's own stop, for a drain that ends with it (HandOff/HandOffDrain.swift).
    let started = Locked<Application?>(nil)
    let operations = ["handoff": HandOffDrain.operation(services) { started.withLock { $0 }?.stop() }]
    let connections = DynamicSupervisor<Socket>(
      intensity: 1_000_000, period: .seconds(1),
      template: DynamicChildSpec(
        // Time to say goodbye at shutdown (Connection.terminate), and a little more.
        restart: .temporary, shutdown: .timeout(config.goodbyeTime + .milliseconds(500))
      ) { ctx, socket in
        try await ctx.startLink(Connection(services: services, socket: socket))?.pid
      })
    let children: [ChildSpec] =
      [
        .server(
          id: "history",
          HistoryStore(
            path: historyPath,
            backend: network.map { .redis(RedisHistoryOptions(client: $0.redis, keyPrefix: "chatd:\(config.clusterName):history")) }
              ?? config.historyBackend,
            counters: services.metrics.history),
          name: ChatServices.historyName),
        .server(
          id: "accounts",
          AccountStore(
            backend: network.map { .redis(RedisAccountEngine(client: $0.redis, cluster: config.clusterName, node: node)) }
              ?? .sqlite(path: config.accountsPath)),
          name: ChatServices.accountsName),
        .server(id: "presence", Presence(services: services), name: ChatServices.presenceName),
        RoomSupervision.childSpec(services),
      ]
      + (network.map {
        [
          .server(id: "relay", Relay(services: services, network: $0), name: "chatd.relay"),
          .server(id: "name-keeper", NameKeeper(services: services, network: $0), name: "chatd.name-keeper"),
        ]
      } ?? []) + [
        ChildSpec(id: "connections", restart: .permanent, shutdown: .infinity, type: .supervisor) { ctx in
          try await ctx.startLink(connections, name: ChatServices.connectionsName)?.pid
        },
        .server(id: "sweeper", IdleSweeper(services: services), name: ChatServices.sweeperName),
        SessionRestore.childSpec(services),
      ] + (config.memoryTrimInterval.map { [MemoryTrimmer.childSpec(interval: $0)] } ?? [])
      + WebServer.supervisors(services)
      + (network == nil ? [] : [HandOffReceiver.childSpec(services, path: config.handOffSocketPath)])
      + (config.port.map {
        [
          Listener.childSpec(
            id: "irc", host: config.host, port: $0, inherited: inherited.irc, supervisor: ChatServices.connectionsName,
            bound: ircBound)
        ]
      } ?? [])
      + (tls.flatMap { tls in
        config.tlsPort.map { port in
          [
            Listener.childSpec(
              id: "irc-tls", host: config.tlsHost, port: port, supervisor: ChatServices.connectionsName, bound: tlsBound.irc,
              secure: { tls.session(for: .irc) })
          ]
        }
      } ?? [])
      + WebServer.listener(services, bound: webBound, inherited: inherited.web)
      + WebServer.tlsListener(services, bound: tlsBound.web)
      + [Control.endpoint(EndpointOptions(path: config.controlSocketPath, operations: operations))]
      + MetricsServer.children(services, bound: metricsBound)
    let failures = StartupFailures()
    let root = Supervisor(
      SupervisorFlags(strategy: .oneForOne, intensity: 10, period: .seconds(5)), children: children.map(failures.watching))
    // SIGHUP reopens the log file (logrotate) and reads the TLS certificate and key
    // again; with neither it keeps its usual action.
    var onHangup: (@Sendable () -> Void)?
    let logFile = logOutput?.path != nil ? logOutput : nil
    if logFile != nil || tls != nil {
      let logger = node.logger
      onHangup = {
        if let logFile { reopenLog(logFile, logger) }
        if let tls { _ = reloadCertificates(tls, logger) }
      }
    }
    let application: Application
    do {
      // Named "chatd" so that `observer` prefers it among the nodes it finds.
      application = try await Application.start(root, name: "chatd", on: node, onHangup: onHangup)
    } catch {
      hold.drop(keeping: config.logLevel <= .debug)
      if let network { await network.leave(node) }
      if given == nil { node.shutdown() }
      guard let (child, cause) = failures.recorded else {
        throw StartupError(.software, "cannot start: \(error) (a bug: please report it)")
      }
      throw .child(child, cause, config: config)
    }
    started.withLock { $0 = application }
    let server = ChatServer(
      application: application, config: config, services: services, ircBound: ircBound, webBound: webBound, metricsBound: metricsBound,
      tlsBound: tlsBound)
    hold.release()
    server.logStart()
    server.notifyReady()
    return server
  }

  /// What the service manager shows while chatd serves.
  var servingStatus: String {
    var status = "serving IRC on \(config.host):\(ircPort)"
    if webPort != 0 { status += ", web on \(config.webHost):\(webPort)" }
    if let network = services.network { status += "; node \(network.nodeName) of network \(config.clusterName)" }
    return status
  }

  /// Tells the service manager (if any) that chatd serves — listeners open, the network
  /// joined — and, from then on, when Redis goes and comes back.
  private func notifyReady() {
    guard let notifier = services.notifier else { return }
    let serving = servingStatus
    notifier.ready(status: serving)
    _ = services.network?.dist.watchHealth { health in
      notifier.status(
        health.isReachable ? serving : "degraded: the network's Redis is unreachable; chat goes on, new nicks and channels wait; " + serving
      )
    }
  }

  /// Runs until SIGTERM/SIGINT or `stop()`, then stops the tree in order within
  /// `shutdownTimeout`. Returns the process exit status (`ChatExitStatus`).
  public func run() async -> Int32 {
    // Peers see this node go at once (its users quit there), not when its lease runs out.
    let network = services.network
    let node = self.node
    // The service manager hears of the stop as it begins (its stop timeout starts now).
    _ = await application.waitForEnding()
    services.notifier?.stopping(status: "stopping: telling \(services.clients.count) clients goodbye")
    let status = await application.run(shutdownTimeout: config.shutdownTimeout) { await network?.leave(node) }
    return status == Application.shutdownTimedOutStatus ? ChatExitStatus.shutdownTimedOut.rawValue : status
  }

  /// Asks `run` to return (as a signal would).
  public func stop() { application.stop() }
}
