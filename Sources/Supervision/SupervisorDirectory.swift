// Finding a node's supervisors from their pids alone. The observer walks a tree it knows
// nothing about: which of these children is a supervisor, and what does it report? A
// supervisor's type (a `DynamicSupervisor<Args>`, for any `Args`) cannot be recovered
// from a pid, so every supervisor enters itself here when it starts, with a closure that
// asks it for its report through its typed reference, and leaves when it stops. Entries
// of supervisors that were killed (no terminate runs) are swept out as the table grows.
import Actors
import GenServer
import Synchronization

/// Every live supervisor of every node in this OS process, by pid.
final class SupervisorDirectory: Sendable {
  static let shared = SupervisorDirectory()

  /// Asks one supervisor for its report, from the process (or node) `caller`.
  typealias Ask = @Sendable (any ServerCaller, Int?, Timeout) async throws(SupervisorError) -> SupervisorReport

  private struct Table {
    var entries: [Pid: Ask] = [:]
    /// Sweep dead entries when the table reaches this size.
    var sweepAt = 64
  }
  private let table = Mutex(Table())

  func enter(_ pid: Pid, _ ask: @escaping Ask) {
    table.withLock { t in
      t.entries[pid] = ask
      if t.entries.count >= t.sweepAt {
        t.entries = t.entries.filter { $0.key.isAlive }
        t.sweepAt = max(64, t.entries.count * 2)
      }
    }
  }

  func leave(_ pid: Pid) {
    _ = table.withLock { $0.entries.removeValue(forKey: pid) }
  }

  /// The entry of `pid` if it is a live supervisor.
  func ask(for pid: Pid) -> Ask? {
    guard let ask = table.withLock({ $0.entries[pid] }) else { return nil }
    if pid.isAlive { return ask }
    leave(pid)
    return nil
  }
}

extension Pid {
  /// Whether this is a live supervisor (a `Supervisor` or a `DynamicSupervisor` of any
  /// argument type), as far as the directory of supervisors knows: a supervisor enters
  /// it as its `initialize` begins.
  public var isSupervisor: Bool { SupervisorDirectory.shared.ask(for: self) != nil }
}

extension ServerCaller {
  /// The report of the supervisor `pid`, whichever kind it is — what the observer draws
  /// a supervision tree from, knowing only pids. Nil if `pid` is not a live supervisor.
  /// At most `childLimit` children are listed (all if nil); `counts` covers them all.
  /// Throws `.unreachable` if it does not answer within `timeout` (a supervisor busy
  /// starting a child answers when it is done).
  public func supervisorReport(of pid: Pid, childLimit: Int? = nil, timeout: Timeout = .seconds(5)) async throws(SupervisorError)
    -> SupervisorReport?
  {
    guard let ask = SupervisorDirectory.shared.ask(for: pid) else { return nil }
    return try await ask(self, childLimit, timeout)
  }
}

/// The `k` smallest pids of `pids`, in order, in O(n log k) (a dynamic supervisor's
/// report of a few of its many children).
func smallest(_ k: Int, of pids: some Collection<Pid>) -> [Pid] {
  guard k > 0 else { return [] }
  if pids.count <= k { return pids.sorted() }
  var best: [Pid] = []
  best.reserveCapacity(k + 1)
  for pid in pids {
    if best.count == k, let last = best.last, !(pid < last) { continue }
    var lo = 0
    var hi = best.count
    while lo < hi {
      let mid = (lo + hi) / 2
      if best[mid] < pid { lo = mid + 1 } else { hi = mid }
    }
    best.insert(pid, at: lo)
    if best.count > k { best.removeLast() }
  }
  return best
}
