// What every chatd process is given: the settings, the shared tables, and the names
// under which the singleton servers are registered (looked up on each use, so a
// restarted server is found under the same name).
import Actors
import GenServer
import Supervision

/// The server-wide context, passed to connections, rooms and presence: one shared
/// object, so a connection process carries a reference, not a copy of the settings.
final class ChatServices: Sendable {
  let config: ChatConfig
  let clients: ClientDirectory
  let channels: ChannelTable
  /// Who holds which nick (written by presence).
  let nicks: NickTable
  /// Who has been told of whose QUIT.
  let departures: QuitLedger
  let recent: RecentHistory
  let whowas: WhowasLog
  /// Messages, deliveries and history counters for the metrics endpoint.
  let metrics: ChatMetrics
  /// Unix seconds at start (RPL_CREATED).
  let startedAt: Int
  /// The node the server runs on (unowned: the node's processes hold this object).
  unowned let node: Node
  /// The node's logger: chatd's own lines go where the runtime's reports go.
  let logger: Logger

  static let presenceName = "chatd.presence"
  static let historyName = "chatd.history"
  static let roomsName = "chatd.rooms"
  static let connectionsName = "chatd.connections"
  static let sweeperName = "chatd.sweeper"
  static func roomName(_ folded: String) -> String { "room:" + folded }

  init(config: ChatConfig, node: Node) {
    self.config = config
    self.node = node
    self.logger = node.logger
    self.clients = ClientDirectory()
    self.channels = ChannelTable()
    self.nicks = NickTable()
    self.departures = QuitLedger()
    self.recent = RecentHistory(capacity: config.historyMemory)
    self.whowas = WhowasLog()
    self.metrics = ChatMetrics()
    self.startedAt = WallClock.seconds()
  }

  var serverName: String { config.serverName }

  /// A client's connection has ended, however it ended (its exit hook, run by the
  /// connection process itself): it leaves the directory, then the presence server frees
  /// its nick (see Presence.swift). Its rooms see it go by their monitors.
  func clientLeft(_ client: ClientHandle) {
    clients.remove(client)
    node.whereis(Self.presenceName, as: ServerMessage<Presence>.self)?.send(.cast(.release(client)))
  }
}

extension ClientHandle {
  /// Sends `:server CODE <nick> params... [text]`: the numeric's standard text, if it has
  /// one, goes last (as the trailing parameter).
  func numeric(_ server: String, _ numeric: Numeric, _ params: String...) {
    self.numeric(server, numeric, params)
  }

  /// A middle parameter that would not survive serialisation (empty, a space, a leading
  /// colon) is sent as `*`; only the last one may hold spaces.
  func numeric(_ server: String, _ numeric: Numeric, _ params: [String]) {
    var params = params
    if let text = numeric.text { params.append(text) }
    for i in params.indices.dropLast() where params[i].isEmpty || params[i].contains(" ") || params[i].hasPrefix(":") {
      params[i] = "*"
    }
    send(IRCMessage(source: server, numeric.code, [nick] + params).serialized(forceTrailing: true))
  }
}
