// What every chatd process is given: the settings, the shared tables, and the names
// under which the singleton servers are registered (looked up on each use, so a
// restarted server is found under the same name).
import Actors
import GenServer
import Supervision
import Synchronization

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
  /// The network this node is part of (`--cluster`); nil for a node alone.
  let network: ChatNetwork?
  /// The TLS listeners' certificate and counters; nil when none is configured.
  let tls: ChatTLS?
  /// Bumped after a registered client of this node changes its capabilities: the rooms'
  /// delivery lists, which keep each member's tag variant, are stale from then on
  /// (Delivery/DeliveryList.swift). Written by connections (`setCapabilities`) only.
  let capabilityChanges = Atomic<UInt64>(0)
  /// The service manager to tell how chatd is doing (`NOTIFY_SOCKET`), if there is one.
  let notifier: ServiceNotifier?
  /// Sessions handed over by another node, waiting for their connection to start.
  let arrivals = HandOffArrivals()
  /// Always-on sessions of this node with no connection (Client/DetachedSessions.swift).
  let detached = DetachedSessions()
  /// Stored always-on sessions on their way to a connection (Client/SessionRestore.swift).
  let restorations = SessionRestorations()

  static let presenceName = "chatd.presence"
  static let historyName = "chatd.history"
  static let accountsName = "chatd.accounts"
  static let roomsName = "chatd.rooms"
  static let connectionsName = "chatd.connections"
  static let sweeperName = "chatd.sweeper"
  static let memoryTrimmerName = "chatd.memory-trimmer"
  static func roomName(_ folded: String) -> String { "room:" + folded }

  init(config: ChatConfig, node: Node, network: ChatNetwork? = nil, tls: ChatTLS? = nil) {
    self.config = config
    self.node = node
    self.network = network
    self.tls = tls
    self.logger = node.logger
    self.clients = ClientDirectory()
    self.channels = ChannelTable()
    self.nicks = NickTable()
    self.departures = QuitLedger()
    self.recent = RecentHistory(capacity: config.historyMemory)
    self.whowas = WhowasLog()
    self.metrics = ChatMetrics()
    self.startedAt = WallClock.seconds()
    self.notifier = ServiceNotifier(socketName: config.notifySocket, logger: node.logger)
    Self.registry.withLock { $0[ObjectIdentifier(node)] = Weak(self) }
  }

  deinit {
    let key = ObjectIdentifier(node)
    Self.registry.withLock { r in if r[key]?.value == nil || r[key]?.value === self { r.removeValue(forKey: key) } }
  }

  /// The chatd of each node, for values read from other nodes (Cluster/UserRecord.swift).
  private static let registry = Locked<[ObjectIdentifier: Weak]>([:])
  private struct Weak: Sendable {
    weak var value: ChatServices?
    init(_ value: ChatServices) { self.value = value }
  }

  /// The chatd running on `node`, if any.
  static func of(_ node: Node) -> ChatServices? { registry.withLock { $0[ObjectIdentifier(node)]?.value } }

  /// Tells presence (a cast: it may be restarting; it rebuilds from the tables).
  func tellPresence(_ message: Presence.Cast) {
    node.whereis(Self.presenceName, as: ServerMessage<Presence>.self)?.send(.cast(message))
  }

  /// The server a client is on: this one, or its node's (WHOIS, WHO).
  func serverName(of client: ClientHandle) -> String {
    guard let node = client.remote?.node else { return serverName }
    return network?.serverName(of: node) ?? node
  }

  /// The client holding `nick`: this node's, or a user of another node.
  func findNick(_ nick: String) -> ClientHandle? { nicks.find(nick) ?? network?.users.find(nick: nick) }
  /// Every client holding a nick, on every node.
  var everyone: [ClientHandle] { nicks.all + (network?.users.all ?? []) }

  var serverName: String { config.serverName }

  /// A client's connection has ended, however it ended (its exit hook, run by the
  /// connection process itself): it leaves the directory, then the presence server frees
  /// its nick (see Presence.swift). Its rooms see it go by their monitors.
  func clientLeft(_ client: ClientHandle) {
    clients.remove(client)
    detached.remove(client)
    network?.left(client)
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
    // Bytes, not `String.contains(_:)`: with Foundation imported that is a locale-aware
    // search, and it was 2 % of a TLS client's connect-and-register.
    for i in params.indices.dropLast() where params[i].isEmpty || params[i].utf8.contains(0x20) || params[i].utf8.first == 0x3A {
      params[i] = "*"
    }
    send(IRCMessage(source: server, numeric.code, [nick] + params).serialized(forceTrailing: true))
  }
}
