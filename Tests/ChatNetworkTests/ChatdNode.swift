// One chatd node of a test network: the built `chatd` binary run as its own OS process
// with `--cluster`, its own data directory, IRC on a free port (chatd picks it and says
// which), no web listener, metrics only when a test reads them. The test owns the
// process: it alone signals it (SIGKILL, SIGSTOP, SIGCONT, SIGTERM) by its pid, and a
// node still running at the end of the test (or of the test process) is killed.
import Foundation
import Glibc
import IRCTestSupport
import OtterTestSupport
import Synchronization
import XCTest

/// A chatd OS process in a test network.
final class ChatdNode {
  /// The node's name in the network (`--node`).
  let name: String
  /// Its scratch directory: `data/` (history, control socket) and `chatd.log` (stdout
  /// and stderr).
  let directory: String
  let process = Process()
  /// Where chatd said it listens (IRC), and its metrics port (0: off).
  private(set) var ircPort = 0
  private(set) var metricsPort = 0
  /// Whether the process is stopped by SIGSTOP.
  private(set) var paused = false

  /// What a node is started with beyond the harness's own arguments.
  struct Options {
    /// Serve /metrics on a free port of 127.0.0.1.
    var metrics = false
    /// More chatd arguments (after the harness's, so they may override them).
    var extraArguments: [String] = []
    /// More environment variables (NOTIFY_SOCKET, ...), over the test process's own.
    var environment: [String: String] = [:]
  }

  /// Starts `chatd --cluster redisURL --node name` and waits (at most 30 s) until it
  /// says where it listens. Throws with its output if it exits or says nothing.
  init(name: String, redisURL: String, options: Options = Options()) throws {
    self.name = name
    directory = temporaryDirectory("chatnet-\(name)")
    var arguments = [
      "--cluster", redisURL, "--node", name, "--port", "0", "--web-port", "0", "--no-flood-limit",
      "--data-dir", directory + "/data", "--shutdown-timeout", "3",
    ]
    arguments += ["--metrics-listen", options.metrics ? "127.0.0.1:0" : "off"]
    arguments += options.extraArguments
    let logPath = directory + "/chatd.log"
    _ = FileManager.default.createFile(atPath: logPath, contents: nil)
    let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: logPath))
    defer { try? handle.close() }
    process.executableURL = URL(fileURLWithPath: try builtExecutable("chatd"))
    process.arguments = arguments
    if !options.environment.isEmpty {
      process.environment = ProcessInfo.processInfo.environment.merging(options.environment) { $1 }
    }
    process.standardInput = FileHandle.nullDevice
    process.standardOutput = handle
    process.standardError = handle
    // A child inherits the spawning thread's signal mask: without this SIGTERM could be
    // ignored by a node spawned from a thread that blocks it.
    try withNoSignalsBlocked { try process.run() }
    ChatdNode.live.withLock { _ = $0.insert(process.processIdentifier) }
    _ = ChatdNode.killAtExit
    let deadline = Date().addingTimeInterval(30)
    while !output.contains("control socket") {
      guard process.isRunning, Date() < deadline else {
        kill()
        throw TestError("chatd \(name) did not start (\(arguments.joined(separator: " "))):\n\(output)")
      }
      usleep(10_000)
    }
    ircPort = Self.port(after: "IRC on ", in: output)
    metricsPort = Self.port(after: "metrics on http://", in: output)
  }

  deinit { kill() }

  /// The OS process id.
  var pid: pid_t { process.processIdentifier }
  /// Its data directory (history, control socket, hand-off socket).
  var dataDirectory: String { directory + "/data" }
  var isRunning: Bool { process.isRunning }

  /// Everything the node wrote (stdout and stderr).
  var output: String { (try? String(contentsOfFile: directory + "/chatd.log", encoding: .utf8)) ?? "" }

  /// The last `lines` lines of its output, for failure messages.
  func outputTail(_ lines: Int = 40) -> String {
    output.split(separator: "\n", omittingEmptySubsequences: false).suffix(lines).joined(separator: "\n")
  }

  /// `kill -9`: the node dies at once, as in a crash; reaped before this returns.
  func kill() {
    guard process.isRunning else { return }
    Glibc.kill(pid, SIGKILL)
    process.waitUntilExit()
    paused = false
    ChatdNode.live.withLock { _ = $0.remove(process.processIdentifier) }
  }

  /// SIGTERM, then SIGKILL if it has not ended within `grace` seconds. Its exit status.
  @discardableResult
  func stop(grace: Double = 5) -> Int32 {
    guard process.isRunning else { return process.terminationStatus }
    if paused { resume() }
    Glibc.kill(pid, SIGTERM)
    let deadline = Date().addingTimeInterval(grace)
    while process.isRunning && Date() < deadline { usleep(5_000) }
    kill()
    return process.terminationStatus
  }

  /// SIGSTOP: the process is frozen (its sockets stay open, nothing answers).
  func pause() {
    guard process.isRunning, !paused else { return }
    Glibc.kill(pid, SIGSTOP)
    paused = true
  }

  /// SIGCONT after `pause`.
  func resume() {
    guard process.isRunning, paused else { return }
    Glibc.kill(pid, SIGCONT)
    paused = false
  }

  /// A new IRC client connected to this node.
  func connect() throws -> IRCTestClient { try IRCTestClient(port: ircPort) }

  /// The number after `label` and the next ':' in `text`, up to the first non-digit.
  static func port(after label: String, in text: String) -> Int {
    guard let start = text.range(of: label)?.upperBound, let colon = text[start...].firstIndex(of: ":") else { return 0 }
    return Int(text[text.index(after: colon)...].prefix { $0.isNumber }) ?? 0
  }

  /// Nodes started by this test process and not reaped yet: killed at exit, so a run
  /// that ends early leaves none behind.
  private static let live = Mutex<Set<pid_t>>([])
  private static let killAtExit: Void = {
    atexit {
      for pid in ChatdNode.live.withLock({ $0 }) { Glibc.kill(pid, SIGKILL) }
    }
  }()
}
