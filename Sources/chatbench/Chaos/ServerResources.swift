// The server's open descriptors and threads, counted in /proc/PID/fd and /proc/PID/task:
// what a process that releases what it owns gets back to once its load is gone.
import Actors
import Glibc

extension ResourceCounts {
  /// The counts of process `pid` now; nil if it cannot be read (gone, or not ours).
  static func of(pid: Int32) -> ResourceCounts? {
    guard let fds = entries("/proc/\(pid)/fd"), let threads = entries("/proc/\(pid)/task") else { return nil }
    return ResourceCounts(descriptors: fds, threads: threads)
  }

  /// Entries of a directory, without `.` and `..`.
  private static func entries(_ path: String) -> Int? {
    guard let dir = opendir(path) else { return nil }
    defer { closedir(dir) }
    var n = 0
    while let entry = readdir(dir) {
      let dot = withUnsafeBytes(of: entry.pointee.d_name) { name in
        name[0] == UInt8(ascii: ".") && (name[1] == 0 || (name[1] == UInt8(ascii: ".") && name[2] == 0))
      }
      if !dot { n += 1 }
    }
    return n
  }

  /// The fewest descriptors and threads `pid` shows over `seconds` (sampled every
  /// 200 ms): a server's idle thread pool shrinks a few seconds after it starts
  /// (libdispatch retires its spare workers), and a baseline taken before that would
  /// hide as many leaked threads.
  static func baseline(pid: Int32, seconds: Double) -> ResourceCounts? {
    guard var low = of(pid: pid) else { return nil }
    let end = MonotonicClock.microseconds() + UInt64(seconds * 1e6)
    while MonotonicClock.microseconds() < end {
      usleep(200_000)
      guard let now = of(pid: pid) else { return nil }
      low = ResourceCounts(descriptors: min(low.descriptors, now.descriptors), threads: min(low.threads, now.threads))
    }
    return low
  }

  /// Waits (up to `seconds`) until the counts of `pid` are back to `baseline` (threads
  /// within `threadSlack`); returns the last counts read.
  static func settle(pid: Int32, to baseline: ResourceCounts, threadSlack: Int, seconds: Double) -> ResourceCounts? {
    let end = MonotonicClock.microseconds() + UInt64(seconds * 1e6)
    var last = of(pid: pid)
    while let now = last, now.descriptors > baseline.descriptors || now.threads > baseline.threads + threadSlack,
      MonotonicClock.microseconds() < end
    {
      usleep(100_000)
      last = of(pid: pid)
    }
    return last
  }
}
