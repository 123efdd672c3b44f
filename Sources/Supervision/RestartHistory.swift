// A supervisor's memory of its restarts, the same for `Supervisor` and
// `DynamicSupervisor`: the restart intensity that decides when to give up, the log of the
// last restarts that the observer shows, and the report built from both. It lives in the
// supervisor's state, and only the supervisor's process touches it.
import Actors

/// Restarts within the intensity's period, and the last ones in a log.
struct RestartHistory {
  /// How many restarts the log keeps (the most recent).
  static let logLimit = 32

  private(set) var intensity: RestartIntensity
  /// The last restarts, oldest first, including the one that made the supervisor give up.
  private(set) var log: [RestartRecord] = []

  init(intensity: Int, period: Duration) {
    self.intensity = RestartIntensity(intensity: intensity, period: period)
  }

  /// Restarts since the supervisor started.
  var total: Int { intensity.total }

  /// Counts and logs the restart of `child`, which exited with `reason`. False if it is
  /// one too many within the period: the supervisor must give up (the log says so).
  mutating func recordRestart(of child: String, reason: ExitReason, at now: UInt64) -> Bool {
    let withinBudget = intensity.record(now: now)
    log.append(RestartRecord(child: child, reason: reason.description, at: now, gaveUp: !withinBudget))
    if log.count > RestartHistory.logLimit { log.removeFirst(log.count - RestartHistory.logLimit) }
    return withinBudget
  }

  /// Notes the process `child`'s latest restart started (a dynamic supervisor's child,
  /// whose id is its old pid).
  mutating func noteReplacement(_ pid: Pid, of child: String) {
    if let i = log.lastIndex(where: { $0.child == child && $0.replacement == nil }) { log[i].replacement = pid }
  }

  /// Counts another attempt at a restart whose start failed (not logged: the failure
  /// that led to it is). False if the supervisor must give up.
  mutating func recordRetry(at now: UInt64) -> Bool { intensity.record(now: now) }

  /// The intensity used within the period ending `now` (for the supervisor's reports).
  mutating func usage(now: UInt64 = MonotonicClock.nanoseconds()) -> RestartUsage {
    RestartUsage(used: intensity.recent(now: now), intensity: intensity.intensity, period: intensity.period)
  }

  /// The supervisor's report, with this history in it.
  mutating func report(
    strategy: String, children: [ChildInfo], counts: ChildCounts, autoShutdown: AutoShutdown,
    now: UInt64 = MonotonicClock.nanoseconds()
  ) -> SupervisorReport {
    SupervisorReport(
      strategy: strategy, intensity: intensity.intensity, period: seconds(intensity.period),
      restartsInPeriod: intensity.recent(now: now), budgetLeft: intensity.remaining(now: now),
      totalRestarts: intensity.total, recentRestarts: log, children: children, counts: counts,
      autoShutdown: autoShutdown.rawValue, now: now)
  }
}
