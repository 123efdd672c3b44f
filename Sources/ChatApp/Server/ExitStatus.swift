// chatd's exit statuses: what a script or a service manager learns from how chatd
// ended. Where sysexits.h has a code for a kind of failure, chatd uses it; `chatd --help`
// prints this table and the README repeats it.
/// How chatd ended, as its process exit status.
public enum ChatExitStatus: Int32, CaseIterable, Sendable {
  /// Stopped in order by SIGTERM or SIGINT.
  case stopped = 0
  /// A part kept failing and the supervision tree gave up.
  case gaveUp = 1
  /// A bad command line.
  case usage = 2
  /// A listen address that is none of this machine's (EX_NOHOST).
  case notThisMachine = 68
  /// A port or the control socket is in use (EX_UNAVAILABLE).
  case inUse = 69
  /// Any other start failure: a bug (EX_SOFTWARE).
  case software = 70
  /// The system refused a resource: file descriptors, memory, threads (EX_OSERR).
  case system = 71
  /// The data directory, the control socket or the log file cannot be created
  /// (EX_CANTCREAT).
  case cannotCreate = 73
  /// The data directory or the history database cannot be read or written (EX_IOERR).
  case ioError = 74
  /// The shutdown took longer than `--shutdown-timeout` (EX_TEMPFAIL, as `Application`).
  case shutdownTimedOut = 75
  /// The network (--cluster) could not be joined: its Redis is unreachable, or the node
  /// name is taken by a live node (EX_PROTOCOL).
  case network = 76
  /// Permission denied (EX_NOPERM).
  case permission = 77
  /// The TLS certificate or key is missing or cannot be used (EX_CONFIG).
  case tlsCertificate = 78

  /// What the status means, for the table in `chatd --help`.
  public var meaning: String {
    switch self {
    case .stopped: return "stopped in order (SIGTERM or SIGINT)"
    case .gaveUp: return "a part kept failing and the supervision tree gave up"
    case .usage: return "bad command line"
    case .notThisMachine: return "a listen address is not one of this machine's"
    case .inUse: return "a port or the control socket is in use (another chatd?)"
    case .software: return "any other start failure (a bug: the message says what)"
    case .system: return "the system refused a resource (file descriptors, memory)"
    case .cannotCreate: return "the data directory, control socket or log file cannot be created"
    case .ioError: return "the data directory, history database or log file cannot be used"
    case .shutdownTimedOut: return "shutdown took longer than --shutdown-timeout"
    case .permission: return "permission denied (data directory, socket, log, port < 1024)"
    case .network: return "the network (--cluster) cannot be joined: Redis unreachable, or --node taken"
    case .tlsCertificate: return "the TLS certificate or key (--tls-cert, --tls-key) is missing or unusable"
    }
  }

  /// The table of every status, one per line, indented for `chatd --help`.
  public static var table: String {
    allCases.map { status in
      let code = String(status.rawValue)
      return "  " + code + String(repeating: " ", count: 4 - code.count) + status.meaning
    }.joined(separator: "\n")
  }
}
