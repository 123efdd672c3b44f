// Giving the C allocator's free memory back to the kernel when a node goes quiet.
//
// glibc keeps what a program frees in its arenas for the next allocation; only the top
// of each heap shrinks by itself, so the memory a burst of load used (queued lines,
// history, a mass disconnect's QUIT copies) stays resident long after it was freed,
// scattered between live objects. `malloc_trim(0)` hands every whole free page back to
// the kernel (madvise), wherever it lies. It costs a walk of the free lists and a system
// call per free run, and the pages it gives back fault in again when reused, so it is
// done once a burst is over, not while work goes on: the policy here decides when, from
// the node's activity and the allocator's free bytes; a process that owns it (chatd's
// memory trimmer) samples both on a timer. Writers: that process alone (the policy is
// its state); the counters it reads are the schedulers' (relaxed atomics).
import COtterSys

/// When to give the allocator's free memory back: once the node has been quiet for a
/// whole sampling interval after a burst, if enough is free.
///
/// A value the owning process keeps and feeds one sample per interval; it never reads a
/// clock or the allocator itself, so its decisions can be tested directly.
public struct MemoryTrimPolicy: Sendable, Equatable {
  /// At most this much activity (I/O events and process runs, all schedulers) in one
  /// interval counts as quiet: an idle server's timers and pings, not a client's traffic.
  public var quietActivity: UInt64
  /// Trim only if the allocator holds at least this many free bytes.
  public var minimumFreeBytes: UInt64

  /// The activity counter at the previous sample (nil before the first).
  private var lastActivity: UInt64?
  /// Whether something happened since the last trim that may have freed memory: a busy
  /// interval, or free bytes grown by `minimumFreeBytes` since the trim.
  private var armed = true
  /// The allocator's free bytes right after the last trim. They stay counted as free
  /// after a trim (the chunks are still free, only their pages went back), so growth
  /// past this, not the figure itself, says there is more to give back.
  private var freeAfterTrim: UInt64 = 0

  /// Defaults: quiet is at most 200 events a second; 1 MiB free is worth a trim.
  public init(quietActivity: UInt64 = 200, minimumFreeBytes: UInt64 = 1 << 20) {
    self.quietActivity = quietActivity
    self.minimumFreeBytes = minimumFreeBytes
  }

  /// Takes one sample — the node's activity counter (`Node.activity`) and the
  /// allocator's free bytes (`MallocHeap.freeBytes`) — and says whether to trim now.
  /// After a trim, call `trimmed(freeBytes:)`.
  ///
  /// `freeBytes` is read only after a quiet interval: reading it walks every arena's
  /// free lists under the arena's lock (1–2 ms on a loaded chatd's heap), which would
  /// stall the sampling scheduler and every thread that allocates meanwhile, once a
  /// second, while clients are being served.
  public mutating func sample(activity: UInt64, freeBytes: @autoclosure () -> UInt64) -> Bool {
    defer { lastActivity = activity }
    guard let last = lastActivity else { return false }
    if activity &- last > quietActivity {
      armed = true
      return false
    }
    let free = freeBytes()
    if free > freeAfterTrim &+ minimumFreeBytes { armed = true }
    return armed && free >= minimumFreeBytes
  }

  /// Records a trim: nothing more to do until the next burst.
  public mutating func trimmed(freeBytes: UInt64) {
    armed = false
    freeAfterTrim = freeBytes
  }
}

/// The C allocator (glibc malloc) of this OS process.
public enum MallocHeap {
  /// Bytes held free for reuse in every arena, resident or not (mallinfo2).
  public static var freeBytes: UInt64 { otter_malloc_free() }

  /// Gives every whole free page back to the kernel (`malloc_trim(0)`). True if any
  /// memory was released.
  @discardableResult
  public static func trim() -> Bool { otter_malloc_trim() != 0 }
}

extension Node {
  /// A counter of the node's work since it started: socket readiness events and process
  /// runs, summed over its schedulers. Only its growth means anything; reading it takes
  /// two relaxed loads per scheduler.
  public var activity: UInt64 {
    schedulers.reduce(0) { $0 &+ $1.ioEvents.load(ordering: .relaxed) &+ $1.dispatches.load(ordering: .relaxed) }
  }
}
