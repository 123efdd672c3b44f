// chatd's command line: every flag, its meaning, and clear errors for bad ones.
import Actors
import Foundation

/// What the command line asked for.
public enum ChatCommand: Equatable, Sendable {
  case run(ChatConfig)
  /// `chatd emit`: post one message into a network's channel and exit.
  case emit(EmitRequest)
  case emitHelp
  /// `chatd reload`: ask a master for a rolling reload of its workers.
  case reload(ReloadRequest)
  case reloadHelp
  /// `chatd handoff`: hand a running node's sessions to another node, then stop it.
  case handOff(HandOffRequest)
  case handOffHelp
  /// `chatd account`: manage accounts and exit.
  case account(AccountCommand)
  case accountHelp
  /// `--check-config`: print these settings and exit.
  case check(ChatConfig)
  case help
  case version
}

extension ChatConfig: Equatable {
  public static func == (a: ChatConfig, b: ChatConfig) -> Bool {
    a.host == b.host && a.port == b.port && a.webHost == b.webHost && a.webPort == b.webPort
      && a.metricsHost == b.metricsHost && a.metricsPort == b.metricsPort
      && a.dataDirectory == b.dataDirectory && a.controlSocket == b.controlSocket && a.history == b.history
      && a.serverName == b.serverName && a.networkName == b.networkName && a.motd == b.motd && a.password == b.password
      && a.operators == b.operators && a.nickLength == b.nickLength && a.floodProtection == b.floodProtection
      && a.floodBurst == b.floodBurst && a.floodRate == b.floodRate && a.sendQueueLimit == b.sendQueueLimit
      && a.pingInterval == b.pingInterval && a.pingTimeout == b.pingTimeout && a.registrationTimeout == b.registrationTimeout
      && a.historyReplay == b.historyReplay && a.channelRestoreWindow == b.channelRestoreWindow
      && a.logLevel == b.logLevel && a.logFormat == b.logFormat && a.logFile == b.logFile
      && a.shutdownTimeout == b.shutdownTimeout && a.cluster == b.cluster && a.nodeName == b.nodeName
      && a.clusterListenHost == b.clusterListenHost && a.clusterListenPort == b.clusterListenPort
      && a.clusterAdvertisedHost == b.clusterAdvertisedHost && a.clusterSecret == b.clusterSecret && a.clusterName == b.clusterName
      && a.clusterLease == b.clusterLease && a.workers == b.workers && a.socketActivation == b.socketActivation
      && a.handOffSocket == b.handOffSocket && a.accountRegistration == b.accountRegistration && a.alwaysOn == b.alwaysOn
      && a.minimumPasswordLength == b.minimumPasswordLength && a.nickGrace == b.nickGrace
      && a.tlsHost == b.tlsHost && a.tlsPort == b.tlsPort && a.webTLSHost == b.webTLSHost
      && a.webTLSPort == b.webTLSPort && a.tlsCertificateFile == b.tlsCertificateFile && a.tlsKeyFile == b.tlsKeyFile
      && a.tlsHandshakeTimeout == b.tlsHandshakeTimeout && a.webOrigins == b.webOrigins && a.webGuests == b.webGuests
  }
}

/// A bad command line, with the message to print.
public struct UsageError: Error, CustomStringConvertible, Equatable {
  public let description: String

  /// A flag `parse` does not know (a config file names it an unknown setting instead).
  public static func unknownOption(_ flag: String) -> UsageError {
    UsageError(description: "unknown option \(flag) (see chatd --help)")
  }
}

public enum ChatCommandLine {
  public static let help =
    """
    usage: chatd [options]
           chatd emit --cluster URL CHANNEL TEXT [options]   (chatd emit --help)
           chatd handoff --to SOCKET [options]               (chatd handoff --help)

    An IRC chat daemon on Otter. With no options it serves IRC on 127.0.0.1:6667 and
    keeps its data (history, control socket) under ./chatd-data. A flag's value may also
    be written --flag=VALUE.

    Configuration file
      --config FILE             read settings from FILE first, one "flag = value" a line
                                (a flag without its --; see docs/chatd.conf.example);
                                the flags on the command line override it
      --check-config            print the settings chatd would run with (defaults, then
                                the file, then the flags) and exit: 0, or \(ChatExitStatus.usage.rawValue) if one is bad

    Listening
      --listen HOST:PORT        IRC listener (default 127.0.0.1:6667; port 0 picks one;
                                off: no plain IRC listener, for IRC over TLS only)
      --host HOST               IRC listener address
      --port PORT               IRC listener port (off: none)
      --web HOST:PORT           HTTP + WebSocket listener (default 127.0.0.1:8080)
      --web-port PORT           its port; 0 turns it off
      --web-origin URL          an origin (scheme://host[:port]) whose pages may open
                                the WebSocket and post the login form (repeatable;
                                default: the page's own origin only)
      --web-origins URL,...     the same, several at once (a config file's list)
      --web-guests on|off       whether a browser without a login may chat as a
                                guest (default on; off: it is sent to /login)
      --metrics-listen HOST:PORT
                                Prometheus metrics at http://HOST:PORT/metrics
                                (default 127.0.0.1:9667; port 0 picks one; off:
                                no metrics listener)
      --control-socket PATH     the observer's control socket (default DATA/control.sock)
      --socket-activation MODE  take the IRC and web listeners from the parent
                                process (systemd's LISTEN_FDS, descriptors named irc
                                and web) instead of listening: auto (the default)
                                when LISTEN_PID is this process, require (fail
                                without them; LISTEN_PID may be unset), or off

    TLS (see README "TLS": making a certificate, reloading it)
      --tls HOST:PORT           IRC over TLS (6697 by convention; default off); a
                                client may present a certificate, whose SHA-256
                                fingerprint identifies it (WHOIS shows it to itself)
      --web-tls HOST:PORT       HTTPS and WSS for the web client (default off), with
                                the same certificate; --web-port 0 leaves only it
      --tls-cert FILE           the PEM certificate chain the TLS listeners present
                                (the server's certificate first, then intermediates)
      --tls-key FILE            its PEM private key, with no passphrase (default: the
                                --tls-cert file); both files are read again on
                                SIGHUP: new connections get the new certificate,
                                connected clients keep theirs
      --tls-handshake-timeout SECONDS
                                time a TLS client has to complete its handshake
                                before it is cut off (default 10)

    Data
      --data-dir DIR            where history and the control socket live (default ./chatd-data)
      --no-history              keep no history on disk (replay from memory only)
      --history-replay N        messages a joining client is replayed (default 20; 0: none)
      --restore-window SECONDS  after a restart, how long a channel (kept with its topic
                                and modes) waits for its members to come back: ops and
                                voices get their status back (default 600)

    Identity and access
      --server-name NAME        server name shown to clients (default chatd.local)
      --network-name NAME       network name (default OtterNet)
      --motd FILE               message of the day, one line per line (default: built in)
      --password PASS           connection password clients must send with PASS
      --oper NAME:PASSWORD      an operator account (repeatable)

    Accounts (see README "Accounts"; `chatd account --help` manages them offline)
      --account-registration POLICY
                                who may register an account with REGISTER or
                                NickServ: on (registered clients; the default),
                                before-connect (also before NICK/USER complete),
                                off (only `chatd account register`)
      --min-password-length N   the shortest account password (default 8)
      --always-on POLICY        whose nick stays in its channels while none of its
                                connections is open: off (the default), opt-in
                                (accounts that ask: NickServ SET ALWAYS-ON ON),
                                opt-out (all but those that say OFF)
      --nick-grace SECONDS      how long a client may keep a nick registered to an
                                account without logging in to it before it is
                                renamed to a guest nick (default 30)

    Limits
      --nick-length N           longest nick (default 32)
      --no-flood-limit          do not throttle clients that send fast (tests, load tools)
      --flood-burst N           lines a client may send at once (default 20)
      --flood-rate N            lines per second after the burst (default 5)
      --sendq BYTES             output a slow client may have queued before it is
                                disconnected (default 1048576)
      --sndbuf BYTES            the kernel's send buffer per client (default: the
                                kernel's autotuning, up to megabytes per socket)
      --send-window MS          write a busy client's lines at most once per MS
                                milliseconds, together (1-1000); 0 (the default):
                                write the lines produced while handling one
                                message together, so nothing waits; off: one
                                write per line
      --ping-interval SECONDS   silence before the server pings a client (default 90)
      --ping-timeout SECONDS    time to answer that ping (default 60)
      --registration-timeout SECONDS
                                time a new connection has to register (NICK and
                                USER) before it is closed (default 60)

    Network (many chatd nodes, one chat network; see README "Running a chatd network")
      --cluster URL             join the network coordinated by the Redis at URL
                                (redis://HOST:PORT); without it chatd runs alone
      --node NAME               this node's name in the network (default: --server-name);
                                its server name is NAME.chatd.local unless --server-name
      --cluster-listen HOST:PORT
                                where the other nodes link to this one
                                (default 127.0.0.1:0: any free port)
      --cluster-advertise HOST  the address they dial, if --cluster-listen is a wildcard
      --cluster-secret SECRET   what the nodes prove to each other (or the environment's
                                CHATD_CLUSTER_SECRET; default: one kept in the Redis)
      --cluster-name NAME       keeps networks sharing one Redis apart (default chatd)
      --cluster-lease SECONDS   how long a node that stops answering keeps its place
                                (2-600, default 10); a node whose process is gone
                                (its link address refuses connections) is dropped
                                at once
      --handoff-socket PATH     where this node takes over the sessions another node
                                hands it (chatd handoff; default DATA/handoff.sock)

    Workers (one machine, many processes; see README "Workers and zero-downtime reload")
      --workers [N]             run N chatd workers (default: one per core) as one
                                network behind these listeners, under a master that
                                restarts them and replaces them one by one on
                                `chatd reload` or SIGHUP, keeping sessions; with no
                                --cluster it runs its own redis-server (data in
                                DATA/redis); 0: no workers (serve here)

    Logs (crash and supervisor reports, start and stop; see README "Logs")
      --log-level LEVEL         trace, debug, info, notice, warning, error or critical
                                (default info: start, stop, every crash and restart;
                                debug adds connections and progress reports, trace
                                every line clients send)
      --log-format FORMAT       human (default) or json (one JSON object per line)
      --log-file PATH           append to PATH instead of stderr; reopened on SIGHUP
                                (for logrotate)
      --verbose                 the same as --log-level debug

    Stopping
      --shutdown-timeout SECONDS
                                on SIGTERM or SIGINT chatd stops listening, tells
                                every client goodbye (IRC: ERROR, WebSocket: close
                                1001), writes the history and exits; what is left
                                after this long is stopped without waiting and chatd
                                exits with 75 (default 5)

    Other
      --version                 print the version
      -h, --help                print this help

    Exit status (a start that fails says what failed and which flag to change, in one
    line on stderr)

    """ + ChatExitStatus.table

  /// What `arguments` (the command line without the program's name) ask for: `--config
  /// FILE`'s settings first, then the flags over them; a bad one throws the line to print.
  public static func parse(_ arguments: [String]) throws(UsageError) -> ChatCommand {
    if arguments.first == "emit" { return try parseEmit(Array(arguments.dropFirst())) }
    if arguments.first == "reload" { return try parseReload(Array(arguments.dropFirst())) }
    if arguments.first == "handoff" { return try parseHandOff(Array(arguments.dropFirst())) }
    if arguments.first == "account" { return try parseAccount(Array(arguments.dropFirst())) }
    var given: Set<String> = []
    return try parse(arguments, over: nil, given: &given, finish: true)
  }

  /// Parses `arguments` over `base`: the settings a config file gave (then `--config` is
  /// not read again), or nil (the defaults; `--config FILE` is read, then the arguments
  /// are parsed again over what it gave, so the flags override it wherever they stand).
  /// `given` gathers the flags given so far (the file's, then the command line's), for
  /// the checks that weigh settings together; `finish` runs those checks (not after each
  /// line of a file: later lines and the command line may still change what they weigh).
  static func parse(
    _ arguments: [String], over base: ChatConfig?, given: inout Set<String>, finish: Bool
  ) throws(UsageError) -> ChatCommand {
    var config = base ?? ChatConfig()
    var configFile: String?
    var check = false
    var i = 0
    // The value written into the flag itself (`--port=6667`; a config file's lines arrive
    // so); nil once a flag has taken it.
    var inline: String?
    func value(_ flag: String) throws(UsageError) -> String {
      if let v = inline {
        inline = nil
        return v
      }
      i += 1
      guard i < arguments.count else { throw UsageError(description: "\(flag) needs a value") }
      return arguments[i]
    }
    func integer(_ flag: String, _ range: ClosedRange<Int>) throws(UsageError) -> Int {
      let v = try value(flag)
      guard let n = Int(v), range.contains(n) else {
        throw UsageError(description: "\(flag): expected a whole number in \(range.lowerBound)...\(range.upperBound), got \"\(v)\"")
      }
      return n
    }
    func hostPort(_ flag: String) throws(UsageError) -> (String, Int) { try parseHostPort(flag, try value(flag)) }
    func parseHostPort(_ flag: String, _ v: String, expected: String = "HOST:PORT") throws(UsageError) -> (String, Int) {
      guard let colon = v.lastIndex(of: ":"), let port = Int(v[v.index(after: colon)...]), (0...65535).contains(port) else {
        throw UsageError(description: "\(flag): expected \(expected), got \"\(v)\"")
      }
      var host = String(v[..<colon])
      if host.hasPrefix("[") && host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
      return (try address(flag, host), port)
    }
    // chatd listens on addresses, it does not look names up: say so now rather than at
    // the listen.
    func address(_ flag: String, _ host: String) throws(UsageError) -> String {
      var v4 = in_addr()
      var v6 = in6_addr()
      guard host.isEmpty || host == "localhost" || inet_pton(AF_INET, host, &v4) == 1 || inet_pton(AF_INET6, host, &v6) == 1 else {
        throw UsageError(description: "\(flag): expected an IP address (such as 127.0.0.1, ::1 or 0.0.0.0), got \"\(host)\"")
      }
      return host
    }
    while i < arguments.count {
      var arg = arguments[i]
      inline = nil
      if arg.hasPrefix("--"), let equals = arg.firstIndex(of: "=") {
        inline = String(arg[arg.index(after: equals)...])
        arg = String(arg[..<equals])
      }
      let before = (config, check)
      switch arg {
      case "-h", "--help": return .help
      case "--version": return .version
      case "--listen":
        let v = try value(arg)
        if v == "off" {
          config.port = nil
        } else {
          (config.host, config.port) = try parseHostPort(arg, v, expected: "HOST:PORT or off")
        }
      case "--host": config.host = try address(arg, try value(arg))
      case "--port":
        let v = try value(arg)
        if v == "off" {
          config.port = nil
        } else {
          guard let port = Int(v), (0...65535).contains(port) else {
            throw UsageError(description: "\(arg): expected a whole number in 0...65535, got \"\(v)\"")
          }
          config.port = port
        }
      case "--tls":
        let v = try value(arg)
        if v == "off" {
          config.tlsPort = nil
        } else {
          (config.tlsHost, config.tlsPort) = try parseHostPort(arg, v, expected: "HOST:PORT or off")
        }
      case "--web-tls":
        let v = try value(arg)
        if v == "off" {
          config.webTLSPort = nil
        } else {
          (config.webTLSHost, config.webTLSPort) = try parseHostPort(arg, v, expected: "HOST:PORT or off")
        }
      case "--tls-cert":
        let v = try value(arg)
        guard !v.isEmpty else { throw UsageError(description: "--tls-cert: expected a file path, got an empty one") }
        config.tlsCertificateFile = v
      case "--tls-key":
        let v = try value(arg)
        guard !v.isEmpty else { throw UsageError(description: "--tls-key: expected a file path, got an empty one") }
        config.tlsKeyFile = v
      case "--tls-handshake-timeout": config.tlsHandshakeTimeout = .seconds(try integer(arg, 1...300))
      case "--web": (config.webHost, config.webPort) = try hostPort(arg)
      case "--web-port": config.webPort = try integer(arg, 0...65535)
      case "--web-origin", "--web-origins":
        for item in try value(arg).split(separator: ",") {
          let text = item.trimmingCharacters(in: .whitespaces)
          guard let origin = WebOriginPolicy.normalize(text) else {
            throw UsageError(
              description: "\(arg): expected an origin like https://chat.example.org or http://127.0.0.1:8080 "
                + "(scheme, host and port only), got \"\(text)\"")
          }
          if !config.webOrigins.contains(origin) { config.webOrigins.append(origin) }
        }
      case "--web-guests":
        let v = try value(arg)
        guard v == "on" || v == "off" else { throw UsageError(description: "--web-guests: expected on or off, got \"\(v)\"") }
        config.webGuests = v == "on"
      case "--metrics-listen":
        let v = try value(arg)
        if v == "off" {
          config.metricsPort = nil
        } else {
          (config.metricsHost, config.metricsPort) = try parseHostPort(arg, v, expected: "HOST:PORT or off")
        }
      case "--control-socket": config.controlSocket = try value(arg)
      case "--socket-activation":
        let v = try value(arg)
        guard let mode = SocketActivation(rawValue: v) else {
          throw UsageError(description: "--socket-activation: expected auto, require or off, got \"\(v)\"")
        }
        config.socketActivation = mode
      case "--data-dir": config.dataDirectory = try value(arg)
      case "--no-history": config.history = false
      case "--history-replay": config.historyReplay = try integer(arg, 0...10_000)
      case "--restore-window": config.channelRestoreWindow = .seconds(try integer(arg, 0...604_800))
      case "--server-name":
        let name = try value(arg)
        guard !name.isEmpty, !name.contains(" "), !name.contains("!"), !name.contains("@") else {
          throw UsageError(description: "--server-name: \"\(name)\" is not a valid server name")
        }
        config.serverName = name
      case "--network-name":
        let name = try value(arg)
        guard !name.isEmpty, !name.contains(" ") else { throw UsageError(description: "--network-name: no spaces allowed") }
        config.networkName = name
      case "--motd":
        let path = try value(arg)
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
          throw UsageError(description: "--motd: cannot read \(path)")
        }
        config.motd = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        if config.motd.last == "" { config.motd.removeLast() }
      case "--password": config.password = try value(arg)
      case "--oper":
        let v = try value(arg)
        guard let colon = v.firstIndex(of: ":"), colon != v.startIndex, v.index(after: colon) != v.endIndex else {
          throw UsageError(description: "--oper: expected NAME:PASSWORD")
        }
        config.operators[String(v[..<colon])] = String(v[v.index(after: colon)...])
      case "--account-registration":
        let v = try value(arg)
        guard let policy = AccountRegistrationPolicy(rawValue: v) else {
          throw UsageError(description: "--account-registration: expected on, before-connect or off, got \"\(v)\"")
        }
        config.accountRegistration = policy
      case "--always-on":
        let v = try value(arg)
        guard let policy = AlwaysOnPolicy(rawValue: v) else {
          throw UsageError(description: "--always-on: expected off, opt-in or opt-out, got \"\(v)\"")
        }
        config.alwaysOn = policy
      case "--min-password-length": config.minimumPasswordLength = try integer(arg, 1...128)
      case "--nick-grace": config.nickGrace = .seconds(try integer(arg, 1...3600))
      case "--nick-length": config.nickLength = try integer(arg, 9...255)
      case "--no-flood-limit": config.floodProtection = false
      case "--flood-burst": config.floodBurst = try integer(arg, 1...100_000)
      case "--flood-rate": config.floodRate = Double(try integer(arg, 1...100_000))
      case "--sendq": config.sendQueueLimit = try integer(arg, 4096...(1 << 30))
      case "--sndbuf": config.kernelSendBuffer = try integer(arg, 4096...(1 << 26))
      case "--send-window":
        let v = try value(arg)
        if v == "off" {
          config.sendCoalescing = .off
        } else {
          guard let ms = Int(v), (0...1000).contains(ms) else {
            throw UsageError(description: "--send-window: expected off or milliseconds from 0 to 1000, got \(v)")
          }
          config.sendCoalescing = ms == 0 ? .endOfSlice : .window(.milliseconds(ms))
        }
      case "--ping-interval": config.pingInterval = .seconds(try integer(arg, 1...86_400))
      case "--ping-timeout": config.pingTimeout = .seconds(try integer(arg, 1...86_400))
      case "--registration-timeout": config.registrationTimeout = .seconds(try integer(arg, 1...86_400))
      case "--shutdown-timeout": config.shutdownTimeout = .seconds(try integer(arg, 1...3600))
      case "--log-level":
        let v = try value(arg)
        guard let level = Logger.Level(name: v) else {
          let names = Logger.Level.allCases.map(\.rawValue).joined(separator: ", ")
          throw UsageError(description: "--log-level: expected one of \(names), got \"\(v)\"")
        }
        config.logLevel = level
      case "--log-format":
        let v = try value(arg)
        guard let format = LogFormat(rawValue: v) else {
          throw UsageError(description: "--log-format: expected human or json, got \"\(v)\"")
        }
        config.logFormat = format
      case "--log-file":
        let v = try value(arg)
        guard !v.isEmpty else { throw UsageError(description: "--log-file: expected a file path, got an empty one") }
        config.logFile = v
      case "--verbose": config.logLevel = .debug
      case "--cluster":
        let v = try value(arg)
        guard v.hasPrefix("redis://") || v.hasPrefix("rediss://") || v.hasPrefix("unix://") || v.hasPrefix("redis+unix://") else {
          throw UsageError(description: "--cluster: expected a Redis URL such as redis://127.0.0.1:6379, got \"\(v)\"")
        }
        config.cluster = v
      case "--node":
        let v = try value(arg)
        guard !v.isEmpty, v.utf8.count <= 64, v.allSatisfy({ $0.isLetter || $0.isNumber || "-_.".contains($0) }) else {
          throw UsageError(description: "--node: a node name is 1-64 letters, digits, '-', '_' or '.', got \"\(v)\"")
        }
        config.nodeName = v
      case "--cluster-listen": (config.clusterListenHost, config.clusterListenPort) = try hostPort(arg)
      case "--cluster-advertise": config.clusterAdvertisedHost = try value(arg)
      case "--cluster-secret":
        let v = try value(arg)
        guard v.utf8.count >= 8 else { throw UsageError(description: "--cluster-secret: at least 8 characters") }
        config.clusterSecret = v
      case "--cluster-name":
        let v = try value(arg)
        guard !v.isEmpty, v.allSatisfy({ $0.isLetter || $0.isNumber || "-_.".contains($0) }) else {
          throw UsageError(description: "--cluster-name: letters, digits, '-', '_' or '.', got \"\(v)\"")
        }
        config.clusterName = v
      case "--cluster-lease": config.clusterLease = .seconds(try integer(arg, 2...600))
      case "--workers":
        // The count is optional: `--workers` alone is one per core.
        if inline == nil, i + 1 < arguments.count, !arguments[i + 1].hasPrefix("-") {
          inline = arguments[i + 1]
          i += 1
        }
        if let v = inline {
          inline = nil
          guard let n = Int(v), (0...256).contains(n) else {
            throw UsageError(description: "--workers: expected a number of workers in 0...256 (0: none), got \"\(v)\"")
          }
          config.workers = n == 0 ? nil : n
        } else {
          config.workers = max(1, ProcessInfo.processInfo.activeProcessorCount)
        }
      case "--handoff-socket":
        let v = try value(arg)
        guard !v.isEmpty, v.utf8.count < 108 else {
          throw UsageError(description: "--handoff-socket: expected a Unix socket path of at most 107 bytes, got \"\(v)\"")
        }
        config.handOffSocket = v
      case "--config":
        let path = try value(arg)
        if let first = configFile { throw UsageError(description: "--config: given twice (\(first), \(path)); name one file") }
        configFile = path
      case "--check-config": check = true
      default:
        throw UsageError.unknownOption(arg)
      }
      // A flag that takes no value was given one: true is the flag, false is its absence
      // (how a config file writes `no-history = true`).
      if let v = inline {
        switch v {
        case "true": given.insert(arg)
        case "false": (config, check) = before
        default: throw UsageError(description: "\(arg): expected true or false (it takes no other value), got \"\(v)\"")
        }
      } else {
        given.insert(arg)
      }
      i += 1
    }
    if let path = configFile, base == nil {
      var (fileConfig, fileGiven) = try ChatConfigFile.read(path)
      return try parse(arguments, over: fileConfig, given: &fileGiven, finish: finish)
    }
    guard finish else { return check ? .check(config) : .run(config) }
    // Each node of a network is its own IRC server: named after the node unless told.
    if config.cluster != nil, let node = config.nodeName, !given.contains("--server-name") {
      config.serverName = "\(node).chatd.local"
    }
    let clusterFlags = [
      "--node", "--cluster-listen", "--cluster-advertise", "--cluster-secret", "--cluster-name", "--cluster-lease", "--handoff-socket",
    ]
    if config.cluster == nil, let flag = clusterFlags.first(where: given.contains) {
      throw UsageError(description: "\(flag) needs --cluster redis://HOST:PORT (a node joins a network through its Redis)")
    }
    if config.usesTLS, config.tlsCertificateFile == nil {
      let flag = config.tlsPort != nil ? "--tls" : "--web-tls"
      throw UsageError(
        description: "\(flag) needs --tls-cert FILE, the PEM certificate to present (and --tls-key FILE unless that file holds the key)")
    }
    if !config.usesTLS, let flag = ["--tls-cert", "--tls-key"].first(where: given.contains) {
      throw UsageError(description: "\(flag): no TLS listener uses it (add --tls HOST:PORT or --web-tls HOST:PORT)")
    }
    if config.port == nil, !config.usesTLS, config.webPort == 0 {
      throw UsageError(description: "nothing to listen on: --port off with no --tls, --web or --web-tls listener")
    }
    if config.cluster != nil, config.clusterSecret == nil, let secret = ProcessInfo.processInfo.environment["CHATD_CLUSTER_SECRET"],
      !secret.isEmpty
    {
      config.clusterSecret = secret
    }
    return check ? .check(config) : .run(config)
  }
}
