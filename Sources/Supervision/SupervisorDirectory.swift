// Finding a node's supervisors from their pids alone. The observer walks a tree it knows
// nothing about: which of these children is a supervisor, and what does it report? A
// supervisor's type (a `DynamicSupervisor<Args>`, for any `Args`) cannot be recovered
// from a pid, so every supervisor enters itself here when it starts, with a closure that
// asks it for its report through its typed reference (a static supervisor adds one that
// restarts a child by id: the observer's restart), and leaves when it stops. Entries
// of supervisors that were killed (no terminate runs) are swept out as the table grows.
import Actors
import GenServer
import Synchronization

/// Every live supervisor of every node in this OS process, by pid.
final class SupervisorDirectory: Sendable {
  static let shared = SupervisorDirectory()

  /// Asks one supervisor for its report, from the process (or node) `caller`.
  typealias Ask = @Sendable (any ServerCaller, Int?, Timeout) async throws(SupervisorError) -> SupervisorReport
  /// Stops a child (by id) with its shutdown and starts it again, from `caller`.
  typealias Restart = @Sendable (any ServerCaller, String, Timeout) async throws(SupervisorError) -> Pid?

  private struct Entry {
    let ask: Ask
    let restart: Restart?
  }

  private struct Table {
    var entries: [Pid: Entry] = [:]
    /// Sweep dead entries when the table reaches this size.
    var sweepAt = 64
  }
  private let table = Mutex(Table())

  func enter(_ pid: Pid, restart: Restart? = nil, _ ask: @escaping Ask) {
    table.withLock { t in
      t.entries[pid] = Entry(ask: ask, restart: restart)
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
  func ask(for pid: Pid) -> Ask? { entry(pid)?.ask }

  /// The restart of `pid` if it is a live static supervisor.
  func restart(for pid: Pid) -> Restart? { entry(pid)?.restart }

  private func entry(_ pid: Pid) -> Entry? {
    guard let entry = table.withLock({ $0.entries[pid] }) else { return nil }
    if pid.isAlive { return entry }
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

  /// Stops the child `id` of the static supervisor `pid` with its shutdown protocol and
  /// starts it again (`terminateChild` then `restartChild`) — what the observer's restart
  /// does, knowing only the supervisor's pid. An OS process child is stopped with its
  /// stop signal and started again, waited for until it is ready. Throws `.notFound` if
  /// `pid` is not a live `Supervisor` (a dynamic supervisor restarts no child by id) or
  /// has no such child; a temporary child is stopped and not started again (its spec
  /// goes when it stops).
  public func restartChild(of pid: Pid, id: String, timeout: Timeout = .seconds(30)) async throws(SupervisorError) -> Pid? {
    guard let restart = SupervisorDirectory.shared.restart(for: pid) else { throw .notFound }
    return try await restart(self, id, timeout)
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
