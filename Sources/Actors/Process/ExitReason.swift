// Why a process ended, and the reason an exit signal carries.
//
// Erlang's reasons are arbitrary terms; here they are a closed enum with a case for
// thrown Swift errors and one for free-form reasons, so that the rules of the exit-signal
// table (`normal` ignored, `kill` untrappable, `killed` reported) can be checked by the
// compiler instead of by atom comparisons.

/// The reason a process exited, or the reason carried by an exit signal.
public enum ExitReason: Sendable, CustomStringConvertible {
  /// The process finished its work (its body returned). Ignored by linked processes
  /// that do not trap exits.
  case normal
  /// Orderly shutdown, usually asked for by a supervisor.
  case shutdown
  /// Orderly shutdown with a detail, Erlang's `{shutdown, Term}`.
  case shutdownWith(String)
  /// The untrappable kill. As the reason of an explicit `exit(pid, .kill)` the target
  /// dies with `.killed`; arriving through a link it is an ordinary (trappable) reason.
  case kill
  /// The process was killed by an explicit `exit(pid, .kill)`.
  case killed
  /// The process did not exist (link or monitor to a dead pid).
  case noproc
  /// The process's node went away (or was never reached): what links and monitors to
  /// processes of another node fire with when the connection to it is lost.
  case noconnection
  /// The process body threw this error.
  case error(any Error)
  /// Any other reason, given to `exit`.
  case custom(String)

  /// `normal`, `shutdown` or `shutdown(_)`: the reasons a transient child is not restarted for
  /// and that are not logged as crashes.
  public var isOrderly: Bool {
    switch self {
    case .normal, .shutdown, .shutdownWith: return true
    default: return false
    }
  }

  /// True for `.normal` only.
  public var isNormal: Bool {
    if case .normal = self { return true }
    return false
  }

  public var description: String {
    switch self {
    case .normal: return "normal"
    case .shutdown: return "shutdown"
    case .shutdownWith(let detail): return "{shutdown,\(detail)}"
    case .kill: return "kill"
    case .killed: return "killed"
    case .noproc: return "noproc"
    case .noconnection: return "noconnection"
    case .error(let error): return "error: \(String(describing: error))"
    case .custom(let text): return text
    }
  }
}

extension ExitReason: Equatable {
  /// Reasons compare by case; errors compare by their dynamic type and description,
  /// which is what a test or a log line can observe.
  public static func == (lhs: ExitReason, rhs: ExitReason) -> Bool {
    switch (lhs, rhs) {
    case (.normal, .normal), (.shutdown, .shutdown), (.kill, .kill), (.killed, .killed),
      (.noproc, .noproc), (.noconnection, .noconnection):
      return true
    case (.shutdownWith(let a), .shutdownWith(let b)): return a == b
    case (.custom(let a), .custom(let b)): return a == b
    case (.error(let a), .error(let b)):
      return type(of: a) == type(of: b) && String(reflecting: a) == String(reflecting: b)
    default: return false
    }
  }
}

/// Thrown out of `receive`, `sleep` and the other suspension points of a process that
/// has been told to exit (killed, or an exit signal it does not trap). Process code may
/// catch it to clean up, but the process is already dead for the rest of the node: its
/// links and monitors have fired and its name is free.
public struct ProcessExit: Error, CustomStringConvertible {
  @inlinable public init(reason: ExitReason) { self.reason = reason }
  /// Why the process is exiting.
  public let reason: ExitReason
  public var description: String { "process exiting: \(reason)" }
}

/// Errors thrown by the runtime's API for bad requests (Erlang's `badarg` cases).
public enum ProcessError: Error, Equatable, CustomStringConvertible {
  /// `register` was given a name that is already taken.
  case nameTaken(String)
  /// `register` was called for a process that already has a name.
  case alreadyRegistered(String)
  /// The name is not registered (send to a name, unregister).
  case notRegistered(String)
  /// The registered process does not take messages of the type sent.
  case wrongMessageType(name: String, expected: String)
  /// The target process is not alive.
  case noproc
  /// The node is shutting down and accepts no new processes.
  case nodeStopped
  /// The name is not valid (empty).
  case invalidName(String)

  public var description: String {
    switch self {
    case .nameTaken(let n): return "the name '\(n)' is already registered"
    case .alreadyRegistered(let n): return "the process is already registered as '\(n)'"
    case .notRegistered(let n): return "no process is registered as '\(n)'"
    case .wrongMessageType(let n, let t): return "the process registered as '\(n)' takes messages of type \(t)"
    case .noproc: return "no such process"
    case .nodeStopped: return "the node is shutting down"
    case .invalidName(let n): return "'\(n)' is not a valid process name"
    }
  }
}
