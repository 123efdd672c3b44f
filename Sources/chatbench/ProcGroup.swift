// The cost of a server or of a whole network: the CPU time and RSS of each of its
// processes (from /proc, read by ProcWatch), summed. Created by a run for its target and
// read only by that run's driver.

/// Watches the processes of one target together.
final class ProcGroup: Sendable {
  let processes: [ServerProcess]
  private let watches: [ProcWatch]

  init(_ processes: [ServerProcess]) {
    self.processes = processes
    watches = processes.map { ProcWatch(pid: $0.pid) }
  }

  /// The processes not found in /proc.
  var missing: [ServerProcess] { zip(processes, watches).filter { !$0.1.isValid }.map(\.0) }

  /// CPU seconds of each process, in order; nil where unknown (the process is gone).
  func cpuSecondsEach() -> [Double?] { watches.map { $0.cpuSeconds() } }

  /// User + system CPU seconds of all of them; nil if any is unknown (a sum without a
  /// process would understate the cost).
  func cpuSeconds() -> Double? { ProcGroup.sum(cpuSecondsEach()) }

  /// VmRSS of all of them, KiB; nil if any is unknown.
  func residentKB() -> Int? {
    var total = 0
    for w in watches {
      guard let kb = w.residentKB() else { return nil }
      total += kb
    }
    return total
  }

  /// The sum, or nil if any value is missing (or there are none).
  static func sum(_ values: [Double?]) -> Double? {
    var total = 0.0
    for v in values {
      guard let v else { return nil }
      total += v
    }
    return values.isEmpty ? nil : total
  }
}
