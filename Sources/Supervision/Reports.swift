// What a supervisor tells about itself: its children, counts, restart history and the
// budget left (the observer shows these), and its errors.
import Actors

/// One child, as `whichChildren` lists it.
public struct ChildInfo: Sendable, CustomStringConvertible {
  public enum Status: String, Sendable, Codable {
    case running
    /// Waiting for a restart (backoff delay, or a retry after a failed start).
    case restarting
    /// Not running and not about to be (a transient child that ended normally, a child
    /// terminated with `terminateChild`, or one whose start returned ignore).
    case stopped
  }
  public let id: String
  public let pid: Pid?
  public let status: Status
  public let type: ChildType
  public let restart: Restart
  public let shutdown: String
  /// Times this child has been restarted by its supervisor (a static supervisor's
  /// children; 0 for a dynamic supervisor's, whose restarted child has a new id).
  public var restarts: Int = 0
  /// For an OS process child that runs: its OS process as the kernel reports it now.
  public var os: OSProcessStatus? = nil

  public var description: String { "\(id) \(pid.map(\.description) ?? status.rawValue) \(type.rawValue)" }
}

/// `countChildren`'s answer.
public struct ChildCounts: Sendable, Equatable {
  public let specs: Int
  public let active: Int
  public let supervisors: Int
  public let workers: Int
}

/// One restart (or the one that made the supervisor give up).
public struct RestartRecord: Sendable {
  public let child: String
  /// The exit reason of the child that failed.
  public let reason: String
  /// Monotonic nanoseconds.
  public let at: UInt64
  /// This failure was past the budget: the supervisor stopped.
  public let gaveUp: Bool
  /// The process the child was restarted as, for a dynamic supervisor's children (named
  /// by pid, so a restarted child has a new name): how the observer tells a restarted
  /// room from a new one. Nil until the restart succeeded, and for static children
  /// (whose id stays).
  public internal(set) var replacement: Pid? = nil
}

/// A supervisor's state for the observer.
public struct SupervisorReport: Sendable {
  public let strategy: String
  public let intensity: Int
  /// Seconds.
  public let period: Double
  /// Restarts within the current period.
  public let restartsInPeriod: Int
  /// Restarts still allowed within the period before the supervisor gives up.
  public let budgetLeft: Int
  public let totalRestarts: Int
  /// The last restarts (up to 32), oldest first.
  public let recentRestarts: [RestartRecord]
  /// The children in start order (a dynamic supervisor's by pid), at most as many as
  /// the request's `childLimit`.
  public let children: [ChildInfo]
  /// Counts over all children, listed or not.
  public let counts: ChildCounts
  /// `SupervisorFlags.autoShutdown` ("never" for a dynamic supervisor).
  public let autoShutdown: String
  /// Monotonic nanoseconds when the report was made (to age `recentRestarts` by).
  public let now: UInt64
}

/// Errors of the supervisor API, as supervisor.erl names them.
public enum SupervisorError: Error, Sendable, Equatable, CustomStringConvertible {
  /// A child with this id runs already, with this pid.
  case alreadyStarted(Pid)
  /// A child spec with this id exists (not running).
  case alreadyPresent
  /// The child runs (restartChild, deleteChild).
  case running
  /// The child is waiting for a restart.
  case restarting
  /// No child with this id (or pid).
  case notFound
  /// The child's start function failed.
  case startFailed(ExitReason)
  /// The spec breaks a rule (e.g. a significant permanent child).
  case invalidSpec(String)
  /// A dynamic supervisor already has its maximum number of children.
  case maxChildren
  /// The supervisor itself could not be reached.
  case unreachable(CallError)

  public var description: String {
    switch self {
    case .alreadyStarted(let pid): return "already started as \(pid)"
    case .alreadyPresent: return "already present"
    case .running: return "running"
    case .restarting: return "restarting"
    case .notFound: return "not found"
    case .startFailed(let r): return "start failed: \(r)"
    case .invalidSpec(let s): return "invalid child spec: \(s)"
    case .maxChildren: return "max children reached"
    case .unreachable(let e): return "supervisor unreachable: \(e)"
    }
  }
}
