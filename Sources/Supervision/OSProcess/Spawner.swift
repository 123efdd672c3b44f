// The one thread of this OS process that starts OS children, and reaps those whose owner
// process ended before they did.
//
// Why a thread: PR_SET_PDEATHSIG, which makes a child die with the process that
// supervises it, fires when the *thread* that started the child ends, not the process. A
// scheduler thread ends with its node (tests stop nodes all the time, and a program may
// run several), so children are started from this thread, which lives as long as the
// process: started on first use, then parked in poll(2) (no CPU while idle). It is one
// thread for every child, never one per child; exits are watched on the schedulers'
// epoll (pidfds), not here. A spawn blocks only this thread, for the clone and exec of
// one child (the caller gets the outcome as a message).
//
// Reaping: an owner killed outright (its exit hook runs, but no code of its may wait)
// has its OS process killed with SIGKILL and gives the pidfd here; this thread reaps it
// once it is gone, so no zombie is left behind.
//
// State: `queue` (jobs and whether the thread runs) behind its mutex, written by any
// thread that submits and by this thread when it takes the jobs; the reaping list is
// this thread's alone.
import COtterSys
import Glibc
import Synchronization

final class Spawner: Sendable {
  static let shared = Spawner()

  enum Job: Sendable {
    case spawn(SpawnPlan, @Sendable (Result<SpawnedChild, SpawnFailure>) -> Void)
    /// Reap the process of this pidfd once it has ended (it was sent SIGKILL), then close it.
    case reap(Int32)
  }

  private struct Queue {
    var jobs: [Job] = []
    var running = false
  }

  private let queue = Mutex(Queue())
  private let wakeFD: Int32
  /// Microseconds the spawner waits before it answers a spawn: 0, except in tests that
  /// make the child's first words reach its owner before the answer does.
  let answerDelayForTests = Atomic<Int>(0)

  private init() {
    wakeFD = otter_eventfd()
  }

  /// Starts `plan` on the spawner thread; `done` is called there with the outcome.
  func spawn(_ plan: SpawnPlan, done: @escaping @Sendable (Result<SpawnedChild, SpawnFailure>) -> Void) {
    submit(.spawn(plan, done))
  }

  /// Takes `pidfd` (whose process was sent SIGKILL): reaped and closed once it has ended.
  func reap(_ pidfd: Int32) {
    submit(.reap(pidfd))
  }

  private func submit(_ job: Job) {
    let start = queue.withLock { q -> Bool in
      q.jobs.append(job)
      if q.running { return false }
      q.running = true
      return true
    }
    if start && !startThread() {
      // No thread, no children: fail what waits (a reap falls back to a blocking wait).
      let jobs = queue.withLock { q -> [Job] in
        q.running = false
        defer { q.jobs = [] }
        return q.jobs
      }
      for job in jobs { Spawner.runWithoutThread(job) }
      return
    }
    _ = otter_eventfd_signal(wakeFD)
  }

  private func startThread() -> Bool {
    guard wakeFD >= 0 else { return false }
    let box = Unmanaged.passRetained(self).toOpaque()
    var tid = pthread_t()
    let rc = pthread_create(
      &tid, nil,
      { arg in
        let spawner = Unmanaged<Spawner>.fromOpaque(arg!).takeRetainedValue()
        spawner.run()
        return nil
      }, box)
    if rc != 0 {
      Unmanaged<Spawner>.fromOpaque(box).release()
      return false
    }
    pthread_detach(tid)
    return true
  }

  private static func runWithoutThread(_ job: Job) {
    switch job {
    case .spawn(_, let done): done(.failure(SpawnFailure(step: Int32(OTTER_SPAWN_CLONE), errno: EAGAIN, plan: nil)))
    case .reap(let pidfd):
      var code: Int32 = 0
      var status: Int32 = 0
      var p = pollfd(fd: pidfd, events: Int16(POLLIN), revents: 0)
      _ = poll(&p, 1, 5000)
      _ = otter_pidfd_reap(pidfd, &code, &status)
      close(pidfd)
    }
  }

  private func run() {
    otter_set_thread_name("otter-spawner")
    var reaping: [Int32] = []
    var fds: [pollfd] = []
    while true {
      fds.removeAll(keepingCapacity: true)
      fds.append(pollfd(fd: wakeFD, events: Int16(POLLIN), revents: 0))
      for fd in reaping { fds.append(pollfd(fd: fd, events: Int16(POLLIN), revents: 0)) }
      let n = poll(&fds, nfds_t(fds.count), -1)
      if n < 0 && errno != EINTR { usleep(10_000) }
      if fds[0].revents != 0 { _ = otter_eventfd_drain(wakeFD) }
      var still: [Int32] = []
      for (i, fd) in reaping.enumerated() {
        guard fds[i + 1].revents != 0 else {
          still.append(fd)
          continue
        }
        var code: Int32 = 0
        var status: Int32 = 0
        if otter_pidfd_reap(fd, &code, &status) == 0 {
          still.append(fd)
        } else {
          close(fd)
        }
      }
      reaping = still
      let jobs = queue.withLock { q -> [Job] in
        defer { q.jobs = [] }
        return q.jobs
      }
      for job in jobs {
        switch job {
        case .spawn(let plan, let done):
          let result = plan.run()
          let delay = answerDelayForTests.load(ordering: .relaxed)
          if delay > 0 { usleep(UInt32(delay)) }
          done(result)
        case .reap(let pidfd): reaping.append(pidfd)
        }
      }
    }
  }
}

/// A child to start, as the spawner thread needs it: C-ready strings and descriptor
/// numbers (made by `OSProcessLaunch` from an `OSProcessSpec`).
struct SpawnPlan: Sendable {
  /// An absolute path.
  var path: String
  /// Including the program's name first.
  var arguments: [String]
  /// `NAME=value` strings.
  var environment: [String]
  /// Add `LISTEN_PID=` with the child's own pid.
  var listenPID: Bool
  var directory: String?
  /// This process's descriptor → the child's number.
  var descriptors: [(source: Int32, target: Int32)]
  /// Numbers in the child that get /dev/null.
  var nullTargets: [Int32]
  /// Descriptors made for this spawn alone (the pipes' write ends): closed here once the
  /// child has its copies, whether the spawn worked or not.
  var closeAfter: [Int32]

  /// Starts the child (spawner thread). The descriptors in `closeAfter` are closed.
  func run() -> Result<SpawnedChild, SpawnFailure> {
    defer { for fd in closeAfter { close(fd) } }
    var devNull: Int32 = -1
    if !nullTargets.isEmpty {
      devNull = open("/dev/null", O_RDWR | O_CLOEXEC)
      if devNull < 0 { return .failure(SpawnFailure(step: Int32(OTTER_SPAWN_DESCRIPTORS), errno: errno, plan: self)) }
    }
    defer { if devNull >= 0 { close(devNull) } }
    var sources = descriptors.map(\.source) + nullTargets.map { _ in devNull }
    var targets = descriptors.map(\.target) + nullTargets
    var scratch = [Int32](repeating: -1, count: sources.count)

    let argv: [UnsafeMutablePointer<CChar>?] = arguments.map { strdup($0) } + [nil]
    defer { for p in argv { free(p) } }
    var env: [UnsafeMutablePointer<CChar>?] = environment.map { strdup($0) }
    var pidDigits: UnsafeMutablePointer<CChar>?
    if listenPID {
      // "LISTEN_PID=" and room for the digits the child writes (see otter_process.h).
      let prefix = Array("LISTEN_PID=".utf8CString.dropLast())
      if let slot = calloc(prefix.count + 22, 1)?.assumingMemoryBound(to: CChar.self) {
        for (i, c) in prefix.enumerated() { slot[i] = c }
        pidDigits = slot + prefix.count
        env.append(slot)
      }
    }
    env.append(nil)
    defer { for p in env { free(p) } }

    var pidfd: Int32 = -1
    var step: Int32 = 0
    let pid: Int32 = path.withCString { cPath in
      argv.withUnsafeBufferPointer { argvBuffer in
        env.withUnsafeBufferPointer { envBuffer in
          withOptionalCString(directory) { cDirectory in
            sources.withUnsafeMutableBufferPointer { src in
              targets.withUnsafeMutableBufferPointer { dst in
                scratch.withUnsafeMutableBufferPointer { tmp in
                  var args = otter_spawn_args(
                    path: cPath, argv: argvBuffer.baseAddress, envp: envBuffer.baseAddress, directory: cDirectory,
                    sources: src.baseAddress, targets: dst.baseAddress, count: Int32(src.count), scratch: tmp.baseAddress,
                    death_signal: SIGKILL, pid_digits: pidDigits, new_group: 1)
                  return otter_spawn(&args, &pidfd, &step)
                }
              }
            }
          }
        }
      }
    }
    if pid < 0 { return .failure(SpawnFailure(step: step, errno: -pid, plan: self)) }
    return .success(SpawnedChild(pid: pid, pidfd: pidfd))
  }
}

private func withOptionalCString<R>(_ s: String?, _ body: (UnsafePointer<CChar>?) -> R) -> R {
  guard let s else { return body(nil) }
  return s.withCString { body($0) }
}

/// A child the spawner started: its pid, and a pidfd the receiver now owns.
struct SpawnedChild: Sendable {
  let pid: Int32
  let pidfd: Int32
}

/// Why a spawn failed, as a person can act on it.
struct SpawnFailure: Error, Sendable, CustomStringConvertible {
  let step: Int32
  let errno: Int32
  let path: String?
  let directory: String?
  /// The descriptors the spec asked for that are not open in this process (read when
  /// the spawn failed): what to name when they could not be passed.
  let notOpen: [Int32]

  init(step: Int32, errno: Int32, plan: SpawnPlan?) {
    self.step = step
    self.errno = errno
    self.path = plan?.path
    self.directory = plan?.directory
    let asked = (plan?.descriptors.map(\.source) ?? []).filter { !(plan?.closeAfter.contains($0) ?? false) }
    self.notOpen = step == Int32(OTTER_SPAWN_DESCRIPTORS) ? asked.filter { fcntl($0, F_GETFD) < 0 } : []
  }

  var description: String {
    let why = String(cString: strerror(errno))
    switch step {
    case Int32(OTTER_SPAWN_EXEC): return "cannot execute \(path ?? "the program"): \(why)"
    case Int32(OTTER_SPAWN_DIRECTORY): return "cannot enter the working directory \(directory ?? ""): \(why)"
    case Int32(OTTER_SPAWN_DESCRIPTORS):
      let which = notOpen.isEmpty ? "" : " (not open here: \(notOpen.map(String.init).joined(separator: ", ")))"
      return "cannot pass the descriptors to the child\(which): \(why)"
    case Int32(OTTER_SPAWN_PARENT_GONE): return "the supervising process is ending"
    case Int32(OTTER_SPAWN_PIDFD): return "cannot watch the child (pidfd_open): \(why)"
    default: return "cannot start a process: \(why)"
    }
  }
}
