// An otter-dist-node OS process for a test: started with its flags, driven through its
// standard input, its standard output read line by line on a thread of its own; killed
// (by pid) at the end of the test whatever happened. The lines are owned by the reader
// thread and read under a lock.
import Actors
import Foundation
import Glibc
import OtterTestSupport
import XCTest

// `@unchecked Sendable`: `process`, the pipes, `address` and `incarnation` are set in
// init only (before the object is shared); `lines` is behind its lock.
final class NodeProcess: @unchecked Sendable {
  let name: String
  let process = Process()
  private let input = Pipe()
  private let output = Pipe()
  private let lines = Locked<[String]>([])
  /// The address it listens on, from its `ready` line.
  private(set) var address = ""
  private(set) var incarnation: UInt64 = 0

  init(_ test: XCTestCase, name: String, secret: String = "s3cret", extra: [String] = []) throws {
    self.name = name
    process.executableURL = URL(fileURLWithPath: try builtExecutable("otter-dist-node"))
    process.arguments = ["--name", name, "--secret", secret] + extra
    process.standardInput = input
    process.standardOutput = output
    process.standardError = FileHandle.standardError
    try withNoSignalsBlocked { try process.run() }
    test.addTeardownBlock { [self] in stop() }
    let handle = output.fileHandleForReading
    let lines = self.lines
    Thread.detachNewThread {
      var buffer = Data()
      while true {
        let chunk = handle.availableData
        if chunk.isEmpty { break }
        buffer.append(chunk)
        while let nl = buffer.firstIndex(of: 10) {
          let line = String(decoding: buffer[buffer.startIndex..<nl], as: UTF8.self)
          buffer.removeSubrange(buffer.startIndex...nl)
          lines.withLock { $0.append(line) }
        }
      }
    }
    let ready = try expect("ready", timeout: .seconds(10)).split(separator: " ")
    address = String(ready[2])
    incarnation = UInt64(ready[3]) ?? 0
  }

  var pid: pid_t { process.processIdentifier }

  /// Sends one command line.
  func send(_ line: String) {
    input.fileHandleForWriting.write(Data((line + "\n").utf8))
  }

  /// Sends `line` and waits for the line starting with `prefix` that answers it.
  @discardableResult
  func command(_ line: String, expect prefix: String = "ok", timeout: Duration = .seconds(10)) throws -> String {
    send(line)
    return try expect(prefix, timeout: timeout)
  }

  /// Waits for the next unread line starting with `prefix` (earlier other lines stay
  /// unread); throws on timeout with everything the node printed.
  @discardableResult
  func expect(_ prefix: String, timeout: Duration = .seconds(10)) throws -> String {
    let deadline = ContinuousClock.now + timeout
    while ContinuousClock.now < deadline {
      let found: String? = lines.withLock { all in
        guard let i = all.firstIndex(where: { $0.hasPrefix(prefix) }) else { return nil }
        return all.remove(at: i)
      }
      if let found { return found }
      if let error = lines.withLock({ all in all.first { $0.hasPrefix("error") } }) {
        throw TestError("\(name): \(error) (waiting for \(prefix))")
      }
      if !process.isRunning {
        throw TestError("\(name) exited with status \(process.terminationStatus) while waiting for \"\(prefix)\"")
      }
      usleep(1000)
    }
    throw TestError("\(name): no line starting with \"\(prefix)\" within \(timeout); it printed: \(lines.withLock { $0 })")
  }

  /// Whether a line starting with `prefix` has been printed (and not yet taken).
  func has(_ prefix: String) -> Bool { lines.withLock { $0.contains { $0.hasPrefix(prefix) } } }

  func signal(_ sig: Int32) { Glibc.kill(pid, sig) }

  /// Kills it (SIGKILL, a crash) and reaps it.
  func kill() {
    guard process.isRunning else { return }
    signal(SIGCONT)
    signal(SIGKILL)
    process.waitUntilExit()
  }

  func stop() {
    guard process.isRunning else { return }
    try? input.fileHandleForWriting.close()
    signal(SIGCONT)
    signal(SIGTERM)
    let deadline = ContinuousClock.now + .seconds(2)
    while process.isRunning && ContinuousClock.now < deadline { usleep(2000) }
    kill()
  }
}
