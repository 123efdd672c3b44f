import Actors
// chatd's settings, with the embedded defaults `swift run chatd` starts with.
import Foundation

/// Everything chatd can be told; `chatd --help` documents the flags that set these.
public struct ChatConfig: Sendable {
  /// IRC listener; a nil port turns it off (`--port off`: IRC over TLS only).
  public var host = "127.0.0.1"
  public var port: Int? = 6667
  /// IRC over TLS (`--tls HOST:PORT`, 6697 by convention); nil port: off.
  public var tlsHost = "127.0.0.1"
  public var tlsPort: Int?
  /// HTTPS and WebSocket over TLS for the web client (`--web-tls HOST:PORT`); nil port:
  /// off.
  public var webTLSHost = "127.0.0.1"
  public var webTLSPort: Int?
  /// The PEM certificate chain and private key both TLS listeners present (the key may
  /// be in the certificate's file); read at start and again on SIGHUP.
  public var tlsCertificateFile: String?
  public var tlsKeyFile: String?
  /// How long a TLS client has to complete its handshake before it is cut off.
  public var tlsHandshakeTimeout: Duration = .seconds(10)
  /// Whether the listeners come from chatd's parent (systemd's socket activation, a
  /// master's shared listeners) rather than from `host:port` (Server/InheritedListeners.swift).
  public var socketActivation: SocketActivation = .auto
  /// HTTP + WebSocket listener (0: off).
  public var webHost = "127.0.0.1"
  public var webPort = 8080
  /// The origins (`scheme://host[:port]`, normalised by `WebOriginPolicy`) whose pages
  /// may open the WebSocket and post the login forms (`--web-origin`, repeatable); empty:
  /// the page's own origin only (same-origin).
  public var webOrigins: [String] = []
  /// Whether a WebSocket client without a login session may chat as a guest
  /// (`--web-guests`); off refuses its upgrade (403) and the page goes to /login.
  public var webGuests = true
  /// The admin HTTP listener serving `/metrics` (Prometheus); nil: off, port 0: any free
  /// port. 9667: in the range Prometheus exporters use, and ending like IRC's 6667.
  public var metricsHost = "127.0.0.1"
  public var metricsPort: Int? = 9667
  /// Where the history database and the control socket live.
  public var dataDirectory = "./chatd-data"
  /// The control endpoint (Unix socket, mode 0600) the observer attaches to; nil: under
  /// the data directory.
  public var controlSocket: String?
  /// Stored history (SQLite); false keeps nothing on disk.
  public var history = true
  /// Where channel messages are kept when `history` is on: this node's SQLite file, or
  /// a network's Redis (`chatd --cluster`).
  public var historyBackend: HistoryBackend = .sqlite

  /// The network this node joins (`redis://HOST:PORT`): nil, the default, runs alone
  /// with nothing but its data directory (Cluster/ChatNetwork.swift).
  public var cluster: String?
  /// This node's name in the network (unique among its live nodes); nil: the server name.
  public var nodeName: String?
  /// Where this node accepts links from the other nodes (port 0: any free port), and the
  /// address they dial if that is a wildcard.
  public var clusterListenHost = "127.0.0.1"
  public var clusterListenPort = 0
  public var clusterAdvertisedHost: String?
  /// The shared secret nodes prove to each other; nil: one kept in Redis for the network
  /// (anyone who can reach that Redis is trusted anyway).
  public var clusterSecret: String?
  /// Where this node takes over sessions another node of its network hands it (a Unix
  /// socket, mode 0600; HandOff/); nil: under the data directory.
  public var handOffSocket: String?
  /// Separates networks that share one Redis.
  public var clusterName = "chatd"
  /// How long a node that stops renewing its place (frozen, cut off, overloaded past
  /// answering) keeps it: its users, nicks and channels wait that long before the others
  /// drop them. Long enough for a busy machine; a node whose process is gone is dropped
  /// at once whatever this says (its address refuses connections).
  public var clusterLease: Duration = .seconds(10)
  /// `--workers N`: run as a master of N chatd workers (OS processes, one network) on
  /// the same listeners (Workers/ChatMaster.swift); nil: serve clients in this process.
  public var workers: Int?

  /// Names shown to clients.
  public var serverName = "chatd.local"
  public var networkName = "OtterNet"
  public var motd: [String] = [
    "Welcome to chatd, an IRC server built on Otter:",
    "rooms, connections and presence are supervised processes.",
  ]
  /// Connection password (PASS), if any.
  public var password: String?
  /// Operators: name → password (OPER).
  public var operators: [String: String] = [:]

  /// Accounts (README "Accounts"): who may create one (REGISTER, NickServ REGISTER).
  public var accountRegistration: AccountRegistrationPolicy = .on
  /// The shortest password an account may be registered with (characters).
  public var minimumPasswordLength = 8
  /// How long a client may hold a nick that is a registered account's name without
  /// logging in to that account before it is renamed to a guest nick.
  public var nickGrace: Duration = .seconds(30)
  /// Which accounts keep their nick in their channels when their last connection
  /// closes (README "Always-on sessions"; NickServ SET ALWAYS-ON).
  public var alwaysOn: AlwaysOnPolicy = .off

  /// Limits (advertised in RPL_ISUPPORT).
  public var nickLength = 32
  public var channelLength = 64
  public var topicLength = 390
  public var awayLength = 390
  public var kickLength = 390
  public var userLength = 18
  public var channelsPerClient = 100
  public var monitorLimit = 100
  public var listModesLimit = 100
  public var targetsLimit = 4

  /// Seconds of silence before the server sends PING, and then before it gives up.
  public var pingInterval: Duration = .seconds(90)
  public var pingTimeout: Duration = .seconds(60)
  /// Time allowed to complete registration.
  public var registrationTimeout: Duration = .seconds(60)

  /// Flood control: a burst of this many lines, then this many per second; a client
  /// more than `floodDisconnect` lines ahead is disconnected. `floodProtection` false
  /// turns it off (test suites and load tools send bursts).
  public var floodProtection = true
  public var floodBurst = 20
  public var floodRate = 5.0
  public var floodDisconnect = 400

  /// Bytes a slow client may have waiting to be written before it is disconnected
  /// ("SendQ exceeded").
  public var sendQueueLimit = 1 << 20
  /// The kernel's send buffer per client socket (SO_SNDBUF), nil: the kernel's own
  /// autotuning (which on loopback lets megabytes sit in the kernel before SendQ counts).
  public var kernelSendBuffer: Int?
  /// When lines to a client are written (`SendCoalescing`). The default writes the lines
  /// produced while one message is handled together, so nothing waits; a window trades
  /// up to that much latency for fewer writes to busy clients.
  public var sendCoalescing: SendCoalescing = .endOfSlice

  /// How often the memory trimmer samples the node's activity: once a burst is over it
  /// gives the allocator's free memory back to the kernel (Server/MemoryTrimmer.swift).
  /// nil: never.
  public var memoryTrimInterval: Duration? = .seconds(1)

  /// Messages of a channel a joining client is sent (0: none).
  public var historyReplay = 20
  /// Messages of each channel kept in memory for the replay on JOIN.
  public var historyMemory = 200
  /// The most messages one CHATHISTORY command returns (`CHATHISTORY=` in RPL_ISUPPORT).
  public var chathistoryLimit = 100
  /// How long after chatd starts a channel restored from the history store waits for
  /// the members it had when chatd stopped: those who held op or voice get it back if
  /// they rejoin within it, and the channel is kept even if everyone in it leaves. After
  /// it a restored channel ends like any other, when its last member leaves.
  public var channelRestoreWindow: Duration = .seconds(600)

  /// The least severe log line written (`--log-level`; `--verbose` is `.debug`).
  public var logLevel: Logger.Level = .info
  /// Human lines or JSON lines (`--log-format`).
  public var logFormat: LogFormat = .human
  /// The log file (`--log-file`, reopened on SIGHUP); nil: stderr.
  public var logFile: String?

  /// The service manager's notification socket (systemd's `NOTIFY_SOCKET`, which chatd
  /// reads from its environment): told when chatd is ready, degraded and stopping
  /// (Server/ServiceNotifier.swift). Nil: nobody to tell.
  public var notifySocket: String?

  /// How long a stopping chatd may take in all (`--shutdown-timeout`): listeners close,
  /// clients are told goodbye, the history is written; what is left then is killed.
  public var shutdownTimeout: Duration = .seconds(5)

  /// How long one client's goodbye may take at shutdown (its last lines written, then
  /// its side of the close awaited): a quarter of the shutdown timeout, 2 s at most. IRC
  /// and WebSocket clients are told one transport after the other, so half the budget
  /// is left for the rooms, presence and the history writer.
  var goodbyeTime: Duration { min(.seconds(2), shutdownTimeout / 4) }

  public init() {}

  /// The account database of a chatd alone (a network keeps accounts in its Redis).
  public var accountsPath: String { URL(fileURLWithPath: dataDirectory).appendingPathComponent("accounts.sqlite3").path }

  /// Whether a TLS listener is configured (IRC or web).
  public var usesTLS: Bool { tlsPort != nil || webTLSPort != nil }

  /// The control socket's path.
  public var controlSocketPath: String {
    controlSocket ?? URL(fileURLWithPath: dataDirectory).appendingPathComponent("control.sock").path
  }

  /// The hand-off socket's path (network mode only).
  public var handOffSocketPath: String {
    handOffSocket ?? URL(fileURLWithPath: dataDirectory).appendingPathComponent("handoff.sock").path
  }
}

/// Which accounts are always-on (`--always-on`): their nick stays in their channels
/// while no connection of theirs is open.
public enum AlwaysOnPolicy: String, Sendable, CaseIterable {
  /// None.
  case off
  /// Those that asked for it (NickServ SET ALWAYS-ON ON).
  case optIn = "opt-in"
  /// All but those that asked not to be (NickServ SET ALWAYS-ON OFF).
  case optOut = "opt-out"

  /// Whether an account whose own setting is `choice` (nil: none made) is always-on.
  func applies(to choice: Bool?) -> Bool {
    switch self {
    case .off: return false
    case .optIn: return choice == true
    case .optOut: return choice != false
    }
  }
}

/// Who may create an account on chatd (`--account-registration`).
public enum AccountRegistrationPolicy: String, Sendable, CaseIterable {
  /// Registered clients (after NICK, USER and CAP END), with REGISTER or NickServ.
  case on
  /// Also before the connection is registered (IRCv3 `before-connect`).
  case beforeConnect = "before-connect"
  /// Nobody: accounts are made with `chatd account register` only.
  case off
}
