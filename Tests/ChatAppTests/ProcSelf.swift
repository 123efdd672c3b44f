// What this test process holds, read from /proc/self: descriptors (all, or those open on
// files under a directory) and threads (all, or those the kernel knows by a name, and
// the CPU time they used).
import Foundation

enum ProcSelf {
  /// Open file descriptors.
  static func descriptors() -> Int { entries("/proc/self/fd").count }

  /// Descriptors open on files under `directory` (a database and its WAL, say).
  static func descriptors(under directory: String) -> Int { files(under: directory).count }

  /// The files under `directory` this process has open, one entry per descriptor.
  static func files(under directory: String) -> [String] {
    let prefix = URL(fileURLWithPath: directory).resolvingSymlinksInPath().path + "/"
    return entries("/proc/self/fd").compactMap { fd in
      (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/fd/\(fd)")).flatMap { $0.hasPrefix(prefix) ? $0 : nil }
    }.sorted()
  }

  /// Threads.
  static func threads() -> Int { entries("/proc/self/task").count }

  /// Threads whose kernel name (`comm`, set with pthread_setname_np) is `name`.
  static func threads(named name: String) -> Int {
    entries("/proc/self/task").filter { tid in
      (try? String(contentsOfFile: "/proc/self/task/\(tid)/comm", encoding: .utf8))?
        .trimmingCharacters(in: .whitespacesAndNewlines) == name
    }.count
  }

  /// Threads whose kernel name starts with one of `prefixes`.
  static func threads(prefixed prefixes: [String]) -> Int {
    entries("/proc/self/task").filter { tid in
      let name = (try? String(contentsOfFile: "/proc/self/task/\(tid)/comm", encoding: .utf8)) ?? ""
      return prefixes.contains { name.hasPrefix($0) }
    }.count
  }

  /// CPU time (user + system, in clock ticks) the threads named `name` have used.
  static func cpuTicks(ofThreadsNamed name: String) -> Int {
    entries("/proc/self/task").reduce(0) { total, tid in
      guard
        (try? String(contentsOfFile: "/proc/self/task/\(tid)/comm", encoding: .utf8))?
          .trimmingCharacters(in: .whitespacesAndNewlines) == name,
        let stat = try? String(contentsOfFile: "/proc/self/task/\(tid)/stat", encoding: .utf8),
        let close = stat.lastIndex(of: ")")
      else { return total }
      // After "(comm)": state is field 3; utime and stime are fields 14 and 15.
      let fields = stat[stat.index(after: close)...].split(separator: " ")
      return total + (Int(fields[11]) ?? 0) + (Int(fields[12]) ?? 0)
    }
  }

  private static func entries(_ path: String) -> [String] {
    (try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []
  }
}
