// The chatd binary built next to the tests, run as an operator runs it: its own OS
// process, its ports read from what it prints, stopped with a signal, its exit status
// and stderr checked. `swift build` builds it (a bare `swift test` may not: the tests
// then skip, saying so). Its metrics listener is off unless the arguments turn it on:
// its default port may be another chatd's on this machine.
import Foundation
import Glibc
import OtterTestSupport
import XCTest

/// A chatd started by a test. Every wait is bounded; a chatd still running at the end
/// is killed (by its pid: only this one).
final class ChatdProcess {
  /// The binary's path, or a skip that says how to build it.
  static func built() throws -> String { try builtExecutable("chatd") }

  /// Runs chatd with `arguments` until it exits (a start that fails): its exit status
  /// and what it wrote (stderr; stdout stays empty when the start fails). With
  /// `unprivileged`, as the user nobody (setpriv), for the permission errors root never
  /// meets; nil when that is not possible here.
  static func failedStart(_ arguments: [String], unprivileged: Bool = false) throws -> (status: Int32, output: String)? {
    let chatd = try built()
    if unprivileged && getuid() == 0 {
      guard let setpriv = findTool(["setpriv"]) else { return nil }
      return try runTool(setpriv, ["--reuid=65534", "--regid=65534", "--clear-groups", chatd] + quiet + arguments, timeout: 30)
    }
    return try runTool(chatd, quiet + arguments, timeout: 30)
  }

  /// Put before a test's own arguments, which can override them.
  static let quiet = ["--metrics-listen", "off"]

  let process = Process()
  private let outputFile: String
  /// The ports chatd said it listens on (0: none).
  private(set) var ircPort = 0
  private(set) var webPort = 0

  /// Starts chatd and waits until it says where it listens.
  init(_ arguments: [String]) throws {
    outputFile = NSTemporaryDirectory() + "chatd-\(getpid())-\(UInt32.random(in: 0...UInt32.max)).log"
    _ = FileManager.default.createFile(atPath: outputFile, contents: nil)
    let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: outputFile))
    defer { try? handle.close() }
    process.executableURL = URL(fileURLWithPath: try Self.built())
    process.arguments = Self.quiet + arguments
    process.standardOutput = handle
    process.standardError = handle
    try process.run()
    // "chatd 0.1: IRC on 127.0.0.1:PORT, web on http://127.0.0.1:PORT/, data in ..."
    let deadline = Date().addingTimeInterval(30)
    while !output.contains("control socket") {
      guard process.isRunning, Date() < deadline else { throw TestError("chatd did not start: \(output)") }
      usleep(20_000)
    }
    ircPort = Self.port(after: "IRC on ", in: output)
    webPort = Self.port(after: "web on http://", in: output)
  }

  deinit {
    if process.isRunning {
      kill(process.processIdentifier, SIGKILL)
      process.waitUntilExit()
    }
    try? FileManager.default.removeItem(atPath: outputFile)
  }

  /// Everything chatd wrote so far (stdout and stderr).
  var output: String { (try? String(contentsOfFile: outputFile, encoding: .utf8)) ?? "" }

  /// Sends `signal` to this chatd.
  func signal(_ signal: Int32) { kill(process.processIdentifier, signal) }

  /// Waits for chatd to exit (at most `within` seconds; then it is killed and the test
  /// fails): its exit status and the seconds it took.
  func exit(within seconds: Double) throws -> (status: Int32, seconds: Double) {
    let start = Date()
    while process.isRunning && Date().timeIntervalSince(start) < seconds { usleep(5_000) }
    guard !process.isRunning else {
      kill(process.processIdentifier, SIGKILL)
      process.waitUntilExit()
      throw TestError("chatd still running \(seconds) s later: \(output)")
    }
    return (process.terminationStatus, Date().timeIntervalSince(start))
  }

  /// The number after `label` and the next ':' in `text`, up to the first non-digit.
  static func port(after label: String, in text: String) -> Int {
    guard let start = text.range(of: label)?.upperBound, let colon = text[start...].firstIndex(of: ":") else { return 0 }
    return Int(text[text.index(after: colon)...].prefix { $0.isNumber }) ?? 0
  }
}
