// Bounds every run: a hard deadline per run (ircload's --max-time alarm) and SIGINT /
// SIGTERM handling; either one kills the servers this process started before it exits,
// so no server is ever left running.
import Actors
import COtterSys
import Foundation
import Synchronization

enum Watchdog {
  /// Servers started by this process (pid → name), killed on a deadline or a signal.
  private static let children = Mutex<[Int32: String]>([:])
  /// CLOCK_MONOTONIC µs after which the process gives up; 0: no deadline.
  private static let deadline = Atomic<UInt64>(0)
  private static let what = Mutex<String>("")
  private static let started = Atomic<Bool>(false)

  /// Starts the watching threads (once).
  static func start() {
    guard started.compareExchange(expected: false, desired: true, ordering: .relaxed).exchanged else { return }
    Thread.detachNewThread {
      while true {
        usleep(100_000)
        let d = deadline.load(ordering: .acquiring)
        if d != 0 && MonotonicClock.microseconds() > d {
          abort(message: "chatbench: --max-time reached during \(what.withLock { $0 }), aborting", code: 3)
        }
      }
    }
    let fd = otter_signal_watch_open()
    if fd >= 0 {
      Thread.detachNewThread {
        var byte: UInt8 = 0
        while read(fd, &byte, 1) == 1 {
          abort(message: "chatbench: signal \(byte), stopping the servers it started", code: 128 + Int32(byte))
        }
      }
    }
  }

  /// Sets the deadline of the run that starts now.
  static func arm(seconds: Double, for description: String) {
    what.withLock { $0 = description }
    deadline.store(MonotonicClock.microseconds() + UInt64(seconds * 1e6), ordering: .releasing)
  }

  static func disarm() { deadline.store(0, ordering: .releasing) }

  static func adopt(_ pid: Int32, name: String) { children.withLock { $0[pid] = name } }
  static func release(_ pid: Int32) { _ = children.withLock { $0.removeValue(forKey: pid) } }

  /// Kills every server started here, then exits with `code`.
  static func abort(message: String, code: Int32) -> Never {
    writeStderr(message + "\n")
    let pids = children.withLock { $0 }
    for (pid, _) in pids { kill(pid, SIGKILL) }
    for (pid, _) in pids {
      var status: Int32 = 0
      waitpid(pid, &status, 0)
    }
    _exit(code)
  }
}
