// The chat daemon as an Otter application: the supervision tree
//
//   chatd (root, one_for_one)
//   ├── history       HistoryStore: SQLite, on its own writer thread
//   ├── presence      Presence: nicks, MONITOR
//   ├── rooms         room supervisor (one Room per channel) and restorer (Rooms/RoomSupervision.swift)
//   ├── connections   DynamicSupervisor: one Connection per client (temporary)
//   ├── sweeper       IdleSweeper: registration and ping timeouts of every client
//   ├── irc           listener (acceptor) on the IRC port
//   ├── control       the observer's control endpoint (Unix socket, mode 0600)
//   ├── web...        HTTP sessions, WebSocket clients, web listener (Web/WebServer.swift)
//   └── metrics...    the admin listener's /metrics and its sessions (Metrics/MetricsServer.swift)
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

  private init(
    application: Application, config: ChatConfig, services: ChatServices, ircBound: BoundPort, webBound: BoundPort,
    metricsBound: BoundPort
  ) {
    self.application = application
    self.config = config
    self.services = services
    self.ircBound = ircBound
    self.webBound = webBound
    self.metricsBound = metricsBound
  }

  public var node: Node { application.node }
  /// The IRC port actually listened on (useful with port 0).
  public var ircPort: Int { ircBound.port }
  /// The HTTP/WebSocket port actually listened on; 0 when the web listener is off.
  public var webPort: Int { webBound.port }
  /// The metrics port actually listened on; nil when the metrics listener is off.
  public var metricsPort: Int? { config.metricsPort == nil ? nil : metricsBound.port }
  /// The database file, if history is kept.
  public var historyPath: String? {
    config.history ? URL(fileURLWithPath: config.dataDirectory).appendingPathComponent("history.sqlite3").path : nil
  }

  /// Starts the daemon: creates the data directory, opens the log and the history,
  /// listens. Throws `StartError` with the reason (e.g. the port is taken), or
  /// `LogOutputError` for a log file it cannot open. The log settings are for the node it
  /// makes; a node given keeps its own logger.
  public static func start(_ config: ChatConfig, on node: Node? = nil) async throws -> ChatServer {
    try FileManager.default.createDirectory(atPath: config.dataDirectory, withIntermediateDirectories: true)
    // The log file is chatd's own node's: a node given keeps its logger.
    let logOutput = node == nil ? try config.openLogOutput() : nil
    let node = try node ?? Node(name: "chatd", logger: config.makeLogger(label: "chatd", output: logOutput ?? .standardError))
    let services = ChatServices(config: config, node: node)
    let ircBound = BoundPort()
    let webBound = BoundPort()
    let metricsBound = BoundPort()
    let historyPath =
      config.history
      ? URL(fileURLWithPath: config.dataDirectory).appendingPathComponent("history.sqlite3").path : nil
    let connections = DynamicSupervisor<Socket>(
      intensity: 1_000_000, period: .seconds(1),
      template: DynamicChildSpec(
        restart: .temporary, shutdown: .timeout(.seconds(2))
      ) { ctx, socket in
        try await ctx.startLink(Connection(services: services, socket: socket))?.pid
      })
    let root = Supervisor(
      SupervisorFlags(strategy: .oneForOne, intensity: 10, period: .seconds(5)),
      children: [
        .server(id: "history", HistoryStore(path: historyPath, counters: services.metrics.history), name: ChatServices.historyName),
        .server(id: "presence", Presence(services: services), name: ChatServices.presenceName),
        RoomSupervision.childSpec(services),
        ChildSpec(id: "connections", restart: .permanent, shutdown: .infinity, type: .supervisor) { ctx in
          try await ctx.startLink(connections, name: ChatServices.connectionsName)?.pid
        },
        .server(id: "sweeper", IdleSweeper(services: services), name: ChatServices.sweeperName),
        Listener.childSpec(id: "irc", host: config.host, port: config.port, supervisor: ChatServices.connectionsName, bound: ircBound),
        Control.endpoint(path: config.controlSocketPath),
      ] + WebServer.children(services, bound: webBound) + MetricsServer.children(services, bound: metricsBound))
    // SIGHUP reopens the log file (logrotate); without one it keeps its usual action.
    var onHangup: (@Sendable () -> Void)?
    if let file = logOutput, file.path != nil {
      let logger = node.logger
      onHangup = { reopenLog(file, logger) }
    }
    // Named "chatd" so that `observer` prefers it among the nodes it finds.
    let application = try await Application.start(root, name: "chatd", on: node, onHangup: onHangup)
    let server = ChatServer(
      application: application, config: config, services: services, ircBound: ircBound, webBound: webBound, metricsBound: metricsBound)
    server.logStart()
    return server
  }

  /// Runs until SIGTERM/SIGINT or `stop()`, then stops the tree in order. Returns the
  /// process exit status.
  public func run() async -> Int32 { await application.run(shutdownTimeout: .seconds(10)) }

  /// Asks `run` to return (as a signal would).
  public func stop() { application.stop() }
}
