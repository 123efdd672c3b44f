// Why chatd did not start, said the way an operator can act on: one line with what
// failed, why, and which flag (or setting) to change, and the exit status for that kind
// of failure (ExitStatus.swift). Built from what the failing part reported: the data
// directory's check (DataDirectory.swift), a listener's socket error, the control
// endpoint's or the history store's start error (recorded by StartupFailures.swift).
import Actors
import Control
import GenServer
import Glibc
import TLS

/// Why chatd could not start. `description` is one line for stderr; `status` is what
/// chatd exits with.
public struct StartupError: Error, Sendable, Equatable, CustomStringConvertible {
  /// What chatd exits with for this kind of failure.
  public let status: ChatExitStatus
  /// One line: what failed, why, and which flag (or setting) to change.
  public let description: String

  init(_ status: ChatExitStatus, _ description: String) {
    self.status = status
    self.description = description
  }
}

extension StartupError {
  /// Which listener failed, for the words and flags of its message.
  enum ListenerKind: Sendable {
    case irc
    case ircTLS
    case web
    case webTLS
    case metrics

    var purpose: String {
      switch self {
      case .irc: "IRC"
      case .ircTLS: "IRC over TLS"
      case .web: "the web client"
      case .webTLS: "the web client over HTTPS"
      case .metrics: "metrics"
      }
    }
    var portFlag: String {
      switch self {
      case .irc: "--port"
      case .ircTLS: "--tls"
      case .web: "--web-port"
      case .webTLS: "--web-tls"
      case .metrics: "--metrics-listen"
      }
    }
    var addressFlag: String {
      switch self {
      case .irc: "--host or --listen"
      case .ircTLS: "--tls"
      case .web: "--web"
      case .webTLS: "--web-tls"
      case .metrics: "--metrics-listen"
      }
    }
    /// How to do without the listener, if one can.
    var turnOff: String {
      switch self {
      case .irc: ""
      case .ircTLS: ", or --tls off"
      case .web: ", or --web-port 0 for no web listener"
      case .webTLS: ", or --web-tls off"
      case .metrics: ", or --metrics-listen off for no metrics listener"
      }
    }
  }

  /// A listener could not listen on `host:port`.
  static func listen(_ kind: ListenerKind, host: String, port: Int, _ error: SocketError) -> StartupError {
    let address = host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)"
    let cannot = "cannot listen for \(kind.purpose) on \(address)"
    guard case .system(_, let e) = error else {
      if case .badAddress = error {
        return StartupError(
          .notThisMachine, "\(cannot): \(host) is not an IP address (use \(kind.addressFlag) with one, such as 127.0.0.1 or ::1)")
      }
      return StartupError(.software, "\(cannot): \(error)")
    }
    switch e {
    case EADDRINUSE:
      return StartupError(
        .inUse, "cannot listen for \(kind.purpose): \(address) is already in use (another chatd? use \(kind.portFlag)\(kind.turnOff))")
    case EADDRNOTAVAIL:
      return StartupError(
        .notThisMachine,
        "\(cannot): \(host) is not an address of this machine (use \(kind.addressFlag) with one of its addresses, or 0.0.0.0 for all)")
    case EACCES, EPERM:
      if port > 0 && port < 1024 {
        return StartupError(
          .permission,
          "\(cannot): ports below 1024 need privileges (use \(kind.portFlag) 1024 or above, or give chatd CAP_NET_BIND_SERVICE)")
      }
      return StartupError(.permission, "\(cannot): permission denied (use another \(kind.portFlag))")
    case EMFILE, ENFILE, ENOMEM, ENOBUFS:
      return StartupError(.system, "\(cannot): \(String(cString: strerror(e))) (raise the open-file limit, ulimit -n, or free memory)")
    default:
      return StartupError(.software, "\(cannot): \(error)")
    }
  }

  /// The control endpoint (the observer's socket at `path`) did not start.
  static func control(path: String, _ error: EndpointError) -> StartupError {
    let fix = "use --control-socket, or another --data-dir"
    switch error {
    case .inUse(_, let pid):
      return StartupError(
        .inUse, "the control socket \(path) is served by another node (OS process \(pid): another chatd with this --data-dir? \(fix))")
    case .directory(let directory, let e):
      let status: ChatExitStatus = e == EACCES || e == EPERM ? .permission : .cannotCreate
      let why = e == ENOTDIR ? "\(directory) is not a directory" : "cannot create \(directory): \(String(cString: strerror(e)))"
      return StartupError(status, "cannot create the control socket \(path): \(why) (\(fix))")
    case .listen(_, .system(_, let e)) where e == ENAMETOOLONG:
      return StartupError(.cannotCreate, "the control socket's path \(path) is too long for a Unix socket (at most 107 bytes: \(fix))")
    case .listen(_, .system(_, let e)):
      let status: ChatExitStatus =
        switch e {
        case EACCES, EPERM: .permission
        case EROFS, EIO: .ioError
        default: .cannotCreate
        }
      return StartupError(status, "cannot create the control socket \(path): \(String(cString: strerror(e))) (\(fix))")
    case .listen(_, let other):
      return StartupError(.software, "cannot create the control socket \(path): \(other)")
    case .discovery(let problem):
      return StartupError(
        .permission,
        "cannot leave the observer a pointer to the control socket: \(problem) (fix that, or set OTTER_RUNTIME_DIR to a directory of your own)"
      )
    }
  }

  /// The TLS certificate or key could not be used.
  static func tls(_ error: TLSConfigurationError) -> StartupError {
    let fix = " (use --tls-cert and --tls-key with a PEM certificate chain and its key; see README \"TLS\")"
    switch error.kind {
    case .unreadable(let e) where e == EACCES || e == EPERM: return StartupError(.permission, error.description + fix)
    case .library: return StartupError(.software, error.description)
    default: return StartupError(.tlsCertificate, error.description + fix)
    }
  }

  /// The log file (`--log-file`) could not be opened.
  static func logFile(_ error: LogOutputError) -> StartupError {
    let status: ChatExitStatus =
      switch error.errno {
      case EACCES, EPERM: .permission
      case ENOENT, ENOTDIR, EISDIR: .cannotCreate
      default: .ioError
      }
    return StartupError(status, "\(error) (use --log-file with another path, or none for stderr)")
  }

  /// The history database at `path` could not be opened.
  static func history(path: String, reason: String) -> StartupError {
    StartupError(
      .ioError, "cannot open the history database \(path): \(reason) (move the file away, use another --data-dir, or --no-history)")
  }

  /// The account database at `path` could not be opened.
  static func accounts(path: String, reason: String) -> StartupError {
    StartupError(.ioError, "cannot open the account database \(path): \(reason) (restore it from a backup, or use another --data-dir)")
  }

  /// The node (its schedulers, their epoll instances and threads) could not be made.
  static func node(_ error: any Error) -> StartupError {
    StartupError(.system, "cannot start the schedulers: \(error) (the system is short of file descriptors, memory or threads)")
  }

  /// The root child `id` failed to start with `error`: the message for the parts that
  /// can fail because of the machine or the settings; anything else is a bug.
  static func child(_ id: String, _ error: any Error, config: ChatConfig) -> StartupError {
    // A server's start failure carries what initialize gave as its reason.
    var cause = error
    if let start = error as? StartError, case .failed(.error(let inner)) = start { cause = inner }
    switch (id, cause) {
    case ("irc", let e as SocketError): return listen(.irc, host: config.host, port: config.port ?? 0, e)
    case ("irc-tls", let e as SocketError): return listen(.ircTLS, host: config.tlsHost, port: config.tlsPort ?? 0, e)
    case ("web", let e as SocketError): return listen(.web, host: config.webHost, port: config.webPort, e)
    case ("web-tls", let e as SocketError): return listen(.webTLS, host: config.webTLSHost, port: config.webTLSPort ?? 0, e)
    case ("metrics", let e as SocketError): return listen(.metrics, host: config.metricsHost, port: config.metricsPort ?? 0, e)
    case ("control", let e as EndpointError): return control(path: config.controlSocketPath, e)
    case ("handoff", .system(_, let errno) as SocketError) where errno == EADDRINUSE:
      return StartupError(
        .inUse,
        "another node takes hand-offs at \(config.handOffSocketPath) (another chatd with this --data-dir? use --handoff-socket, or another --data-dir)"
      )
    case ("handoff", let e as SocketError):
      return StartupError(
        .cannotCreate, "cannot listen for hand-offs at \(config.handOffSocketPath): \(e) (use --handoff-socket, or another --data-dir)")
    case ("history", let e as HistoryOpenError): return history(path: e.path, reason: e.reason)
    case ("accounts", let e as AccountStoreOpenError): return accounts(path: e.path, reason: e.reason)
    default: return StartupError(.software, "cannot start \(id): \(error) (a bug: please report it)")
    }
  }
}
