// Running a short-lived program (redis-cli) to completion with a time limit: its exit
// status, stdout and stderr. Each call owns its child process and pipes; the child is
// killed (by its pid) if it outlives the limit, and always reaped before returning.
import Foundation
import Glibc
import OtterTestSupport

/// What a program run by `runProgram` did.
public struct ProgramOutput: Sendable, CustomStringConvertible {
  /// The exit status (128 + the signal if it was killed by one).
  public let status: Int32
  /// What it wrote to stdout.
  public let stdout: String
  /// What it wrote to stderr.
  public let stderr: String
  /// Whether it was killed for running past the time limit.
  public let timedOut: Bool

  /// Status and both outputs, for failure messages.
  public var description: String {
    "exit status \(status)\(timedOut ? " (killed: timed out)" : ""); stdout: \(stdout.debugDescription); "
      + "stderr: \(stderr.debugDescription)"
  }
}

/// Runs `path` with `arguments` (stdin empty) and waits for it to exit, at most `timeout`;
/// past that it is killed with SIGKILL. Throws only if the program cannot be started.
public func runProgram(_ path: String, _ arguments: [String], timeout: Duration = .seconds(10)) throws -> ProgramOutput {
  let process = Process()
  process.executableURL = URL(fileURLWithPath: path)
  process.arguments = arguments
  let out = Pipe()
  let err = Pipe()
  process.standardOutput = out
  process.standardError = err
  process.standardInput = FileHandle.nullDevice
  try withNoSignalsBlocked { try process.run() }
  // The child has its copies of the write ends: ours must go for EOF to come.
  try? out.fileHandleForWriting.close()
  try? err.fileHandleForWriting.close()
  let deadline = ContinuousClock.now + timeout
  var outBytes: [UInt8] = []
  var errBytes: [UInt8] = []
  var fds = [
    pollfd(fd: out.fileHandleForReading.fileDescriptor, events: Int16(POLLIN), revents: 0),
    pollfd(fd: err.fileHandleForReading.fileDescriptor, events: Int16(POLLIN), revents: 0),
  ]
  var chunk = [UInt8](repeating: 0, count: 65536)
  var timedOut = false
  while fds.contains(where: { $0.fd >= 0 }) {
    let left = deadline - ContinuousClock.now
    guard left > .zero else {
      timedOut = true
      break
    }
    let ms = Int32(min(left.clampedMilliseconds, 1000))
    let n = poll(&fds, nfds_t(fds.count), max(ms, 1))
    if n < 0 && errno != EINTR { break }
    for i in fds.indices where fds[i].fd >= 0 && fds[i].revents != 0 {
      let got = chunk.withUnsafeMutableBytes { read(fds[i].fd, $0.baseAddress, $0.count) }
      if got > 0 {
        if i == 0 { outBytes += chunk[0..<got] } else { errBytes += chunk[0..<got] }
      } else if got == 0 || (errno != EINTR && errno != EAGAIN) {
        fds[i].fd = -1
      }
    }
  }
  // Both pipes closed: the program has exited or is about to (or it ran out of time).
  while process.isRunning && !timedOut {
    if ContinuousClock.now >= deadline { timedOut = true } else { usleep(200) }
  }
  if timedOut && process.isRunning {
    kill(process.processIdentifier, SIGKILL)
  }
  waitForExit(process)
  try? out.fileHandleForReading.close()
  try? err.fileHandleForReading.close()
  let status = process.terminationReason == .uncaughtSignal ? 128 + process.terminationStatus : process.terminationStatus
  return ProgramOutput(
    status: status, stdout: String(decoding: outBytes, as: UTF8.self), stderr: String(decoding: errBytes, as: UTF8.self),
    timedOut: timedOut)
}
