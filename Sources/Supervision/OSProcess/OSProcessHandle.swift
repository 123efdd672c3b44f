// One OS process as its owner shares it with the rest of the node: its pid and pidfd,
// whether it has been reaped, what it said over sd_notify, and the CPU sample the
// observer's percentages are computed from.
//
// Writers: the owner process (attach, reap, notes from the notify socket, ready); its
// exit hook (`ownerEnded`); any reader of `status` (the CPU sample). Everything behind
// one mutex, so a signal is never sent through a pidfd being closed, and the process
// group (named by the child's pid) is signalled only while the child is unreaped — the
// zombie holds the group id, so it cannot name someone else's group.
import Actors
import COtterSys
import Glibc
import Synchronization

final class OSProcessHandle: Sendable {
  /// The child's id in its supervisor (for logs).
  let childID: String

  private struct State {
    var pid: Int32 = 0
    var pidfd: Int32 = -1
    var reaped = false
    /// The owner's exit hook has run: a child that comes later must be killed.
    var ownerGone = false
    var notifySocket: NotifySocket?
    var spawnedAt: UInt64 = 0
    var ready = false
    var statusText: String?
    var stopping = false
    var mainPid: Int32?
    /// The last CPU reading (ns of CPU, monotonic ns) and the percentage it gave.
    var cpuSample: (cpu: UInt64, at: UInt64)?
    var cpuPercent: Double = 0
  }

  private let state = Mutex(State())

  init(childID: String) {
    self.childID = childID
  }

  deinit {
    // Reaped or handed to the spawner by `ownerEnded` in every ordinary case.
    state.withLock { s in
      if s.pidfd >= 0 { close(s.pidfd) }
    }
  }

  /// The child now runs: the handle owns its pidfd from here on. False if the owner has
  /// ended meanwhile (the caller then kills the child and has it reaped).
  func attach(_ child: SpawnedChild, at now: UInt64) -> Bool {
    state.withLock { s in
      if s.ownerGone { return false }
      s.pid = child.pid
      s.pidfd = child.pidfd
      s.spawnedAt = now
      return true
    }
  }

  /// A new descriptor of the child's pidfd (close-on-exec) for the owner's epoll, or nil.
  func watchDescriptor() -> Int32? {
    state.withLock { s in
      guard s.pidfd >= 0, !s.reaped else { return nil }
      let fd = fcntl(s.pidfd, F_DUPFD_CLOEXEC, 0)
      return fd >= 0 ? fd : nil
    }
  }

  /// The child's notify socket, removed when the owner ends.
  func setNotifySocket(_ socket: NotifySocket) {
    state.withLock { $0.notifySocket = socket }
  }

  /// The child's pid (0 before the spawn).
  var pid: Int32 { state.withLock { $0.pid } }

  /// When the child was spawned (monotonic ns; 0 before).
  var spawnedAt: UInt64 { state.withLock { $0.spawnedAt } }

  /// Sends `signal` to the child; false once it has ended (or before it runs).
  @discardableResult
  func signal(_ signal: Int32) -> Bool {
    state.withLock { s in
      guard s.pidfd >= 0, !s.reaped else { return false }
      return otter_pidfd_signal(s.pidfd, signal) == 0
    }
  }

  /// SIGKILL to the child and to whatever else is still in its process group.
  func killAll() {
    state.withLock { s in
      guard s.pidfd >= 0, !s.reaped else { return }
      _ = otter_pidfd_signal(s.pidfd, SIGKILL)
      _ = otter_signal_group(s.pid, SIGKILL)
    }
  }

  /// Reaps the child once its pidfd has said it ended: first whatever it left running in
  /// its process group is killed (no orphans), then waitid. Nil if it has not ended after
  /// all. The pidfd is closed once reaped.
  func reap() -> OSExit? {
    state.withLock { s -> OSExit? in
      guard s.pidfd >= 0, !s.reaped else { return nil }
      _ = otter_signal_group(s.pid, SIGKILL)
      var code: Int32 = 0
      var status: Int32 = 0
      let r = otter_pidfd_reap(s.pidfd, &code, &status)
      if r == 0 { return nil }
      s.reaped = true
      close(s.pidfd)
      s.pidfd = -1
      return r > 0 ? OSExit(code: code, status: status) : .unknown
    }
  }

  /// The owner process ended (its exit hook, whatever the reason). A child still running
  /// is killed, with its group, and handed to the spawner thread to be reaped.
  func ownerEnded() {
    let (orphan, notify): (Int32?, NotifySocket?) = state.withLock { s in
      s.ownerGone = true
      defer { s.notifySocket = nil }
      guard s.pidfd >= 0, !s.reaped else { return (nil, s.notifySocket) }
      _ = otter_pidfd_signal(s.pidfd, SIGKILL)
      _ = otter_signal_group(s.pid, SIGKILL)
      s.reaped = true
      defer { s.pidfd = -1 }
      return (s.pidfd, s.notifySocket)
    }
    notify?.remove()
    if let orphan { Spawner.shared.reap(orphan) }
  }

  /// The child said `READY=1` (or is ready on spawn).
  func markReady() { state.withLock { $0.ready = true } }

  /// What the child said over the notify socket.
  func note(_ message: NotifyMessage) {
    state.withLock { s in
      if let text = message.status { s.statusText = text }
      if message.stopping { s.stopping = true }
      if let pid = message.mainPid { s.mainPid = pid }
    }
  }

  /// The child as the observer shows it; nil before it runs and after it ended. The CPU
  /// percentage is over the time since the previous reading (by anyone) if that was at
  /// least 200 ms ago, else the previous figure; the first reading gives the average
  /// since the spawn.
  func status(now: UInt64 = MonotonicClock.nanoseconds()) -> OSProcessStatus? {
    let (pid, running, spawnedAt) = state.withLock { ($0.pid, $0.pidfd >= 0 && !$0.reaped, $0.spawnedAt) }
    guard running, pid > 0 else { return nil }
    var cpu: UInt64 = 0
    var rss: UInt64 = 0
    var started: UInt64 = 0
    guard otter_process_usage(pid, &cpu, &rss, &started) == 0 else { return nil }
    return state.withLock { s -> OSProcessStatus in
      if let last = s.cpuSample {
        let wall = now &- last.at
        if wall >= 200_000_000 {
          s.cpuPercent = Double(cpu &- min(cpu, last.cpu)) / Double(wall) * 100
          s.cpuSample = (cpu, now)
        }
      } else {
        let wall = max(1, now &- spawnedAt)
        s.cpuPercent = Double(cpu) / Double(wall) * 100
        s.cpuSample = (cpu, now)
      }
      return OSProcessStatus(
        osPid: pid, cpuPercent: s.cpuPercent, residentBytes: rss, uptime: .nanoseconds(Int64(now &- spawnedAt)), ready: s.ready,
        statusText: s.statusText, stopping: s.stopping, mainPid: s.mainPid)
    }
  }

  /// The resident set of the running child (bytes), nil once it ended.
  func residentBytes() -> UInt64? {
    let (pid, running) = state.withLock { ($0.pid, $0.pidfd >= 0 && !$0.reaped) }
    guard running, pid > 0 else { return nil }
    var cpu: UInt64 = 0
    var rss: UInt64 = 0
    var started: UInt64 = 0
    guard otter_process_usage(pid, &cpu, &rss, &started) == 0 else { return nil }
    return rss
  }
}
