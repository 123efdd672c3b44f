// A child OS process started with posix_spawn and ended by its pid: the redis-server,
// redis-benchmark and redis-cli peers of the `redis` benchmark. Unlike Foundation's
// Process it reports the child's own CPU time (wait4's rusage). Owned by the benchmark
// driver that started it (one thread); `stop` reaps it exactly once.
import Foundation

/// An OS process this benchmark started, stopped by its pid (never by name).
///
/// `@unchecked Sendable`: `exit` is written only by the thread that waits for the child
/// (the benchmark driver), and read after that.
final class ChildProcess: @unchecked Sendable {
  /// How the child ended, with the CPU time it used (user + system, seconds).
  struct Exit: Sendable {
    var status: Int32
    var cpuSeconds: Double
  }

  let pid: pid_t
  let name: String
  private var exit: Exit?
  /// The read end of the child's stdout and stderr, when captured.
  private let outputFD: Int32?
  /// Captured bytes read but not yet returned by `readLine`.
  private var pending: [UInt8] = []

  /// Starts `path` with `arguments`. Its stdout and stderr go to `outputFile` (appended),
  /// or to a pipe that `waitForOutput` reads when `captureOutput` is set, or to /dev/null.
  init(_ path: String, _ arguments: [String], outputFile: String? = nil, captureOutput: Bool = false) throws {
    name = (path as NSString).lastPathComponent
    var actions = posix_spawn_file_actions_t()
    posix_spawn_file_actions_init(&actions)
    defer { posix_spawn_file_actions_destroy(&actions) }
    var pipeFDs: [Int32] = [-1, -1]
    if captureOutput {
      guard pipe(&pipeFDs) == 0 else { throw PeerError.failed("pipe: errno \(errno)") }
      posix_spawn_file_actions_addclose(&actions, pipeFDs[0])
      posix_spawn_file_actions_adddup2(&actions, pipeFDs[1], 1)
      posix_spawn_file_actions_adddup2(&actions, pipeFDs[1], 2)
      posix_spawn_file_actions_addclose(&actions, pipeFDs[1])
    } else {
      let target = outputFile ?? "/dev/null"
      posix_spawn_file_actions_addopen(&actions, 1, target, O_WRONLY | O_CREAT | O_APPEND, 0o644)
      posix_spawn_file_actions_adddup2(&actions, 1, 2)
    }
    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
    // A clean signal state: nothing blocked, SIGPIPE back to its default.
    var attributes = posix_spawnattr_t()
    posix_spawnattr_init(&attributes)
    defer { posix_spawnattr_destroy(&attributes) }
    var none = sigset_t()
    sigemptyset(&none)
    posix_spawnattr_setsigmask(&attributes, &none)
    var defaults = sigset_t()
    sigemptyset(&defaults)
    sigaddset(&defaults, SIGPIPE)
    posix_spawnattr_setsigdefault(&attributes, &defaults)
    posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))

    let argv: [UnsafeMutablePointer<CChar>?] = ([path] + arguments).map { strdup($0) } + [nil]
    defer { for p in argv { free(p) } }
    var child: pid_t = 0
    let rc = posix_spawn(&child, path, &actions, &attributes, argv, environ)
    if captureOutput { close(pipeFDs[1]) }
    guard rc == 0 else {
      if captureOutput { close(pipeFDs[0]) }
      throw PeerError.failed("cannot start \(path): error \(rc)")
    }
    pid = child
    outputFD = captureOutput ? pipeFDs[0] : nil
  }

  deinit { if let outputFD { close(outputFD) } }

  /// Whether the child has not ended yet (reaps it if it has).
  var isRunning: Bool {
    if exit != nil { return false }
    return reap(options: WNOHANG) == nil
  }

  /// The next line of the captured output (without its newline), or nil if the output
  /// ended or `timeout` seconds passed first. For children that report as they go; do
  /// not mix with `waitForOutput`, which reads from where this stopped.
  func readLine(timeout: Double) -> String? {
    guard let fd = outputFD else { return nil }
    let deadline = Date().addingTimeInterval(timeout)
    var buffer = [UInt8](repeating: 0, count: 4096)
    while true {
      if let newline = pending.firstIndex(of: 0x0A) {
        let line = String(decoding: pending[..<newline], as: UTF8.self)
        pending.removeSubrange(...newline)
        return line
      }
      let left = deadline.timeIntervalSinceNow
      if left <= 0 { return nil }
      var p = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
      let ready = poll(&p, 1, Int32(min(left, 1) * 1000))
      if ready < 0 && errno != EINTR { return nil }
      if ready <= 0 { continue }
      let n = read(fd, &buffer, buffer.count)
      if n <= 0 { return nil }
      pending += buffer[0..<n]
    }
  }

  /// Reads the captured output to its end (or until `timeout`, then kills the child),
  /// then waits for the child: its output, status and CPU time.
  func waitForOutput(timeout: Double) -> (output: String, exit: Exit) {
    var output: [UInt8] = []
    if let fd = outputFD {
      let deadline = Date().addingTimeInterval(timeout)
      var buffer = [UInt8](repeating: 0, count: 65536)
      while true {
        let left = deadline.timeIntervalSinceNow
        if left <= 0 {
          kill(pid, SIGKILL)
          break
        }
        var p = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        let ready = poll(&p, 1, Int32(min(left, 1) * 1000))
        if ready < 0 && errno != EINTR { break }
        if ready <= 0 { continue }
        let n = read(fd, &buffer, buffer.count)
        if n <= 0 { break }
        output += buffer[0..<n]
      }
    }
    return (String(decoding: output, as: UTF8.self), waitForExit())
  }

  /// Waits for the child to end (it must be ending by itself).
  @discardableResult
  func waitForExit() -> Exit {
    if let exit { return exit }
    while reap(options: 0) == nil {}
    return exit!
  }

  /// Ends the child: SIGTERM, then SIGKILL after `grace` seconds; reaps it. Safe to call
  /// more than once.
  func stop(grace: Double = 5) {
    guard exit == nil else { return }
    kill(pid, SIGTERM)
    let deadline = Date().addingTimeInterval(grace)
    while reap(options: WNOHANG) == nil {
      if Date() > deadline {
        kill(pid, SIGKILL)
        waitForExit()
        return
      }
      usleep(10_000)
    }
  }

  /// wait4 on the child; records and returns its exit once it has ended.
  private func reap(options: Int32) -> Exit? {
    var status: Int32 = 0
    var usage = rusage()
    let r = wait4(pid, &status, options, &usage)
    if r == 0 { return nil }
    if r < 0 {
      if errno == EINTR { return nil }
      exit = Exit(status: -1, cpuSeconds: 0)  // not our child any more (reaped elsewhere)
      return exit
    }
    let cpu =
      Double(usage.ru_utime.tv_sec) + Double(usage.ru_utime.tv_usec) / 1e6 + Double(usage.ru_stime.tv_sec) + Double(usage.ru_stime.tv_usec)
      / 1e6
    exit = Exit(status: status, cpuSeconds: cpu)
    return exit
  }
}

/// CPU time this process has used so far (user + system, all threads), in seconds.
func ownCPUSeconds() -> Double {
  var usage = rusage()
  getrusage(__rusage_who_t(RUSAGE_SELF.rawValue), &usage)
  return Double(usage.ru_utime.tv_sec) + Double(usage.ru_utime.tv_usec) / 1e6 + Double(usage.ru_stime.tv_sec)
    + Double(usage.ru_stime.tv_usec) / 1e6
}
