// Finding the OS process behind an owner's pid: the supervisor's reports (and so the
// observer) and the public `OSProcess` lookups read it. Each owner enters its handle when
// it starts and leaves when it ends (its exit hook, which runs however it ends). Written
// by owners, read by anyone; behind one mutex.
import Actors
import Synchronization

/// Every live OS process owner of this OS process, by pid.
final class OSProcessDirectory: Sendable {
  static let shared = OSProcessDirectory()

  private let table = Mutex<[Pid: OSProcessHandle]>([:])

  func enter(_ owner: Pid, _ handle: OSProcessHandle) {
    table.withLock { $0[owner] = handle }
  }

  func leave(_ owner: Pid) {
    _ = table.withLock { $0.removeValue(forKey: owner) }
  }

  func handle(of owner: Pid) -> OSProcessHandle? {
    table.withLock { $0[owner] }
  }

  /// Owners entered (for the churn tests: none may stay behind).
  var count: Int { table.withLock { $0.count } }
}

/// Looking at and signalling the OS processes that supervised OS process children run.
public enum OSProcess {
  /// The OS process that `owner` (a child's pid, as `whichChildren` gives it) runs, as
  /// the kernel reports it now; nil if `owner` is not an OS process child, or its OS
  /// process is not running (not started yet, or ended).
  public static func status(of owner: Pid) -> OSProcessStatus? {
    OSProcessDirectory.shared.handle(of: owner)?.status()
  }

  /// Sends `signal` to the OS process `owner` runs (through its pidfd: never to a process
  /// that took a reused pid). False if there is none running. Its supervisor sees what
  /// follows as for any exit: `SIGKILL` is a crash, and the child is restarted by its
  /// restart type.
  @discardableResult
  public static func signal(_ owner: Pid, _ signal: Int32) -> Bool {
    OSProcessDirectory.shared.handle(of: owner)?.signal(signal) ?? false
  }

  /// Owners alive now in this OS process (each runs one OS process, or is about to).
  public static var ownerCount: Int { OSProcessDirectory.shared.count }
}

/// An OS process child as the kernel and its owner see it now.
public struct OSProcessStatus: Sendable, Equatable {
  /// Its pid.
  public let osPid: Int32
  /// CPU used (user + system) as a percentage of one core, over the time since the
  /// previous reading of this child's status (or since its start, for the first).
  public let cpuPercent: Double
  /// Resident set, bytes.
  public let residentBytes: UInt64
  /// Since it was spawned.
  public let uptime: Duration
  /// Whether it counts as started (sent `READY=1`, or needs not).
  public let ready: Bool
  /// The last `STATUS=` it sent over sd_notify.
  public let statusText: String?
  /// It sent `STOPPING=1`.
  public let stopping: Bool
  /// A `MAINPID=` it sent (shown, not watched: only the child itself is).
  public let mainPid: Int32?
}
