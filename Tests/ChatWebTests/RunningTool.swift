// A tool a test works alongside while it runs (runTool waits for the end): the test
// reads what it printed so far, does its part, then waits for its exit. Used for a
// browser script that keeps its pages open while the test checks chatd from the outside
// (the script waits for a file the test creates: no pipe to its stdin, whose writes
// could raise SIGPIPE in the test process if the script died). The RunningTool owns that
// OS process: it alone signals and reaps it.
import Foundation
import Glibc
import OtterTestSupport

/// A running tool, its stdout and stderr collected in a file. Every wait is bounded; a
/// tool still running at deinit is stopped (by its pid).
final class RunningTool {
  let process = Process()
  private let outputFile: String

  /// Starts `tool` with `arguments` (Python writes no bytecode next to the scripts).
  init(_ tool: String, _ arguments: [String]) throws {
    outputFile = NSTemporaryDirectory() + "chatweb-tool-\(getpid())-\(UInt32.random(in: 0...UInt32.max)).log"
    _ = FileManager.default.createFile(atPath: outputFile, contents: nil)
    let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: outputFile))
    defer { try? handle.close() }
    process.executableURL = URL(fileURLWithPath: tool)
    process.arguments = arguments
    var environment = ProcessInfo.processInfo.environment
    environment["PYTHONDONTWRITEBYTECODE"] = "1"
    process.environment = environment
    process.standardInput = FileHandle.nullDevice
    process.standardOutput = handle
    process.standardError = handle
    try process.run()
  }

  deinit {
    _ = stop()
    try? FileManager.default.removeItem(atPath: outputFile)
  }

  /// Everything it wrote so far.
  var output: String { (try? String(contentsOfFile: outputFile, encoding: .utf8)) ?? "" }

  /// Waits until it has printed a line that is exactly `line`, for at most `seconds`.
  /// Throws with its output if it exits or the time passes first.
  func waitForLine(_ line: String, within seconds: Double) throws {
    let deadline = Date().addingTimeInterval(seconds)
    while !output.split(separator: "\n").contains(Substring(line)) {
      guard process.isRunning else { throw TestError("it exited (\(process.terminationStatus)) before printing \(line):\n\(output)") }
      guard Date() < deadline else { throw TestError("no \(line) within \(seconds) s:\n\(output)") }
      usleep(20_000)
    }
  }

  /// Waits for its exit, at most `seconds` (then it is stopped): its status and output.
  func finish(within seconds: Double) -> (status: Int32, output: String) {
    let deadline = Date().addingTimeInterval(seconds)
    while process.isRunning && Date() < deadline { usleep(20_000) }
    if stop() { return (-9, output + "\n[stopped after \(seconds) s]") }
    return (process.terminationStatus, output)
  }

  /// SIGTERM first, so the tool can stop what it started in turn (the browser script
  /// stops Chromium), then SIGKILL if it is still running 10 s later. Whether it had to.
  @discardableResult
  private func stop() -> Bool {
    guard process.isRunning else { return false }
    kill(process.processIdentifier, SIGTERM)
    let deadline = Date().addingTimeInterval(10)
    while process.isRunning && Date() < deadline { usleep(20_000) }
    if process.isRunning { kill(process.processIdentifier, SIGKILL) }
    process.waitUntilExit()
    return true
  }
}
