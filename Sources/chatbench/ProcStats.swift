// The server's CPU time and resident memory from /proc, read as ircload reads them, and
// this process's own CPU time.
import Glibc

/// Reads /proc/PID/stat and /proc/PID/status of a server. The files are opened once, at
/// the start: later this process may sit at its open-file limit and could not open them.
final class ProcWatch: Sendable {
  let pid: Int32
  private let statFD: Int32
  private let statusFD: Int32

  init(pid: Int32) {
    self.pid = pid
    statFD = open("/proc/\(pid)/stat", O_RDONLY | O_CLOEXEC)
    statusFD = open("/proc/\(pid)/status", O_RDONLY | O_CLOEXEC)
  }

  deinit {
    if statFD >= 0 { close(statFD) }
    if statusFD >= 0 { close(statusFD) }
  }

  /// Whether the process could be found.
  var isValid: Bool { statFD >= 0 && statusFD >= 0 }

  /// User + system CPU seconds of all its threads; nil if unknown (or the process is gone).
  func cpuSeconds() -> Double? {
    guard let text = readAll(statFD), let ticks = ProcWatch.cpuTicks(stat: text) else { return nil }
    return Double(ticks) / Double(sysconf(Int32(_SC_CLK_TCK)))
  }

  /// VmRSS in KiB; nil if unknown.
  func residentKB() -> Int? {
    guard let text = readAll(statusFD) else { return nil }
    return ProcWatch.residentKB(status: text)
  }

  /// The first three fields of /proc/loadavg ("1.05 0.80 0.61"), or "unknown".
  static func loadAverage() -> String {
    let fd = open("/proc/loadavg", O_RDONLY | O_CLOEXEC)
    guard fd >= 0 else { return "unknown" }
    defer { close(fd) }
    var buffer = [UInt8](repeating: 0, count: 128)
    let n = read(fd, &buffer, buffer.count)
    guard n > 0 else { return "unknown" }
    return String(decoding: buffer[0..<n], as: UTF8.self).split(separator: " ").prefix(3).joined(separator: " ")
  }

  private func readAll(_ fd: Int32) -> String? {
    guard fd >= 0 else { return nil }
    var buffer = [UInt8](repeating: 0, count: 8192)
    let n = buffer.withUnsafeMutableBytes { pread(fd, $0.baseAddress, $0.count, 0) }
    guard n > 0 else { return nil }
    return String(decoding: buffer[0..<n], as: UTF8.self)
  }

  /// utime + stime (fields 14 and 15) from the text of /proc/PID/stat, counting fields
  /// after the last ')' (the command name may hold spaces and parentheses).
  static func cpuTicks(stat: String) -> UInt64? {
    guard let close = stat.lastIndex(of: ")") else { return nil }
    let fields = stat[stat.index(after: close)...].split(separator: " ", omittingEmptySubsequences: true)
    // fields[0] is field 3 (state), so field k is fields[k - 3].
    guard fields.count >= 13, let user = UInt64(fields[11]), let system = UInt64(fields[12]) else { return nil }
    return user + system
  }

  /// The VmRSS line of /proc/PID/status, in KiB.
  static func residentKB(status: String) -> Int? {
    for line in status.split(separator: "\n") where line.hasPrefix("VmRSS:") {
      return line.dropFirst(6).split(whereSeparator: { $0 == " " || $0 == "\t" }).first.flatMap { Int($0) }
    }
    return nil
  }
}

/// User + system CPU seconds of this process (all threads).
func ownCPUSeconds() -> Double {
  var usage = rusage()
  getrusage(__rusage_who_t(RUSAGE_SELF.rawValue), &usage)
  return Double(usage.ru_utime.tv_sec) + Double(usage.ru_utime.tv_usec) / 1e6
    + Double(usage.ru_stime.tv_sec) + Double(usage.ru_stime.tv_usec) / 1e6
}
