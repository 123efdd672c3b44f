// Churn checks shared by the test targets: after many processes, timers, requests or
// sockets have come and gone, a node must be back where it started — the same number of
// processes and open descriptors, and the C heap within a small bound of its baseline.
// A leak of a few bytes per item over thousands of items shows; allocator noise does not.
import Actors
import COtterSys
import Glibc

/// What the node and the OS process hold at one moment.
public struct ResourceUse: Sendable, CustomStringConvertible {
  /// Bytes the C allocator has handed out and not taken back (every Swift object).
  public let mallocBytes: Int
  /// Live processes of the node.
  public let processes: Int
  /// Open file descriptors of the OS process.
  public let descriptors: Int

  /// Reads the three figures now.
  public static func now(_ node: Node) -> ResourceUse {
    ResourceUse(
      mallocBytes: Int(otter_malloc_in_use()), processes: node.stats().processCount,
      descriptors: openDescriptors)
  }

  public var description: String { "\(mallocBytes) B in use, \(processes) processes, \(descriptors) fds" }

  /// Open file descriptors of this OS process now.
  public static var openDescriptors: Int { Int(otter_open_descriptors()) }
}

/// How a churn check ended.
public struct ChurnOutcome: Sendable, CustomStringConvertible {
  /// After the warm-up round, once it had settled.
  public let baseline: ResourceUse
  /// After the measured round: the first reading within bounds, or the last one.
  public let after: ResourceUse
  public let items: Int
  public let boundBytes: Int

  /// Whether the node came back: same processes, no more descriptors (they are the OS
  /// process's, so another test's socket closing late may lower the count), heap within
  /// the bound.
  public var settled: Bool {
    after.processes == baseline.processes && after.descriptors <= baseline.descriptors
      && after.mallocBytes - baseline.mallocBytes <= boundBytes
  }

  public var description: String {
    let grown = after.mallocBytes - baseline.mallocBytes
    return "baseline \(baseline); after \(items) items \(after): heap \(grown >= 0 ? "+" : "")\(grown) B "
      + "(\(grown / max(1, items)) B per item, bound \(boundBytes) B)"
  }
}

/// The heap growth a churn check tolerates: a second identical round still moves the
/// allocator's per-thread caches and some table capacities by up to ~60 KB here, whatever
/// the number of items (3,000 or 24,000). A leak of 100 bytes per item is twice this
/// bound or more at the item counts `checkChurn` requires.
public let churnBoundBytes = 128 * 1024

/// Runs `round` (which makes `items` things come and go and returns once they have)
/// twice: the first warms caches, pools and table capacities up; the second is measured
/// against the state the first left. Waits up to `settleTimeout` for exits to finish.
public func checkChurn(
  _ node: Node, items: Int, settleTimeout: Duration = .seconds(10), _ round: () async throws -> Void
) async throws -> ChurnOutcome {
  precondition(items * 100 > 2 * churnBoundBytes, "too few items for a leak of 100 B each to show")
  // The global executor sets its timer up (descriptors, threads) on the first sleep in the
  // OS process: that must not count.
  try? await Task.sleep(for: .milliseconds(1))
  let start = ResourceUse.now(node)
  try await round()
  var baseline = await settle(node, until: settleTimeout) { use in
    use.processes == start.processes && use.descriptors == start.descriptors
  }
  // The heap reading of a node that has just gone quiet still moves (the last exits
  // finishing on other threads): take the lowest of a few.
  for _ in 0..<5 {
    pause(milliseconds: 20)
    let again = ResourceUse.now(node)
    if again.mallocBytes < baseline.mallocBytes { baseline = again }
  }
  try await round()
  let after = await settle(node, until: settleTimeout) { use in
    use.processes == baseline.processes && use.descriptors <= baseline.descriptors
      && use.mallocBytes - baseline.mallocBytes <= churnBoundBytes
  }
  return ChurnOutcome(baseline: baseline, after: after, items: items, boundBytes: churnBoundBytes)
}

/// Polls until `done` holds or `timeout` passes; the last reading.
func settle(_ node: Node, until timeout: Duration, _ done: (ResourceUse) -> Bool) async -> ResourceUse {
  let deadline = MonotonicClock.nanoseconds() &+ timeout.clampedNanoseconds
  while true {
    let use = ResourceUse.now(node)
    if done(use) || MonotonicClock.nanoseconds() > deadline { return use }
    pause(milliseconds: 5)
  }
}

/// Sleeps the calling thread. Not `Task.sleep`: with this toolchain each `Task.sleep`
/// leaves about 90 bytes on the heap for good, which a churn check would count.
func pause(milliseconds: UInt32) { usleep(milliseconds * 1000) }
