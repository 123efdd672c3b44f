// chatd's logs, end to end against the chatd built next to the tests: JSON lines in a
// log file that SIGHUP reopens after logrotate's rename; presence killed eleven times in
// a row makes the root give up, which the log says (the supervisor report naming
// presence, then the application's critical line) before chatd exits 1; human lines on
// stderr by default, with the start, every restart and the stop.
import ChatApp
import Control
import Foundation
import OtterTestSupport
import XCTest

final class LogsEndToEndTests: XCTestCase {
  /// A chatd process of the tests' own, with its stderr in a file.
  struct Chatd {
    let process: Process
    let directory: String
    let stderrPath: String
    var controlSocket: String { directory + "/control.sock" }

    /// Starts chatd on free ports with its files in a new directory; `extra` flags
    /// (given that directory) come last.
    static func start(_ extra: (String) -> [String] = { _ in [] }) throws -> Chatd {
      let executable = try builtExecutable("chatd")
      let directory = temporaryDirectory("chatd-logs")
      let stderrPath = directory + "/stderr"
      _ = FileManager.default.createFile(atPath: stderrPath, contents: nil)
      let process = Process()
      process.executableURL = URL(fileURLWithPath: executable)
      process.arguments =
        [
          "--port", "0", "--web-port", "0", "--metrics-listen", "off", "--data-dir", directory + "/data", "--control-socket",
          directory + "/control.sock",
        ]
        + extra(directory)
      process.standardOutput = FileHandle.nullDevice
      process.standardError = FileHandle(forWritingAtPath: stderrPath)
      try process.run()
      return Chatd(process: process, directory: directory, stderrPath: stderrPath)
    }

    var stderr: String { (try? String(contentsOfFile: stderrPath, encoding: .utf8)) ?? "" }

    /// Waits for the exit; its status.
    func exitStatus(timeout: Duration = .seconds(20)) async throws -> Int32 {
      try await eventually("chatd to exit; its stderr:\n\(stderr)", timeout: timeout) { !process.isRunning }
      return process.terminationStatus
    }

    /// Kills presence (the current one) through the control endpoint; its pid.
    func killPresence(_ client: ControlClient, unlike previous: ProcessID?) async throws -> ProcessID {
      let pid = try await eventuallyValue("a presence process other than \(previous.map(\.description) ?? "none")") { () -> ProcessID? in
        let root = try client.tree().roots.first
        guard let pid = root?.children.first(where: { $0.id == "presence" })?.pid, pid != previous else { return nil }
        return pid
      }
      try client.kill(pid)
      return pid
    }

    func stop() {
      if process.isRunning { process.terminate() }
      process.waitUntilExit()
    }
  }

  /// The file's lines as JSON objects (every line must parse).
  func jsonLines(_ path: String, file: StaticString = #filePath, line: UInt = #line) throws -> [[String: Any]] {
    let text = (try? String(contentsOfFile: path, encoding: .utf8)) ?? ""
    return try text.split(separator: "\n").map { l in
      guard let object = try JSONSerialization.jsonObject(with: Data(l.utf8)) as? [String: Any] else {
        throw TestError("not a JSON object: \(l)")
      }
      return object
    }
  }

  func metadata(_ line: [String: Any]) -> [String: Any] { line["metadata"] as? [String: Any] ?? [:] }

  func testRootGivingUpIsLoggedAndChatdExitsOne() async throws {
    let chatd = try Chatd.start { ["--log-format", "json", "--log-file", $0 + "/chatd.log"] }
    defer { chatd.stop() }
    let log = chatd.directory + "/chatd.log"
    try await eventually("the start line") { try jsonLines(log).contains { ($0["message"] as? String)?.contains("started") == true } }
    let client = try ControlClient(path: chatd.controlSocket)
    defer { client.close() }
    // The root allows 10 restarts in 5 s: the 11th kill within them is one too many.
    var killed: [ProcessID] = []
    for _ in 1...11 { killed.append(try await chatd.killPresence(client, unlike: killed.last)) }
    let status = try await chatd.exitStatus()
    XCTAssertEqual(status, 1, "a root that gave up ends chatd with status 1")
    let lines = try jsonLines(log)
    for line in lines { XCTAssertEqual(Set(line.keys), ["time", "level", "label", "message", "metadata"]) }
    let start = try XCTUnwrap(lines.first)
    XCTAssertEqual(start["level"] as? String, "notice")
    for key in ["version", "irc", "web", "metrics", "control_socket", "data_dir", "os_pid"] {
      XCTAssertNotNil(metadata(start)[key], "the start line has \(key)")
    }
    XCTAssertEqual(metadata(start)["control_socket"] as? String, chatd.controlSocket)
    let reports = lines.filter { metadata($0)["report"] as? String == "supervisor" }
    XCTAssertEqual(reports.count, 11, "one supervisor report per kill")
    XCTAssertEqual(reports.map { metadata($0)["child_pid"] as? String }, killed.map(\.description))
    XCTAssertEqual(reports.map { metadata($0)["action"] as? String }, Array(repeating: "restart", count: 10) + ["give_up"])
    XCTAssertEqual(reports.map { metadata($0)["restarts_used"] as? Int }, Array(1...11))
    let giveUp = try XCTUnwrap(reports.last)
    XCTAssertEqual(giveUp["level"] as? String, "error")
    XCTAssertEqual(metadata(giveUp)["child"] as? String, "presence")
    XCTAssertEqual(metadata(giveUp)["reason"] as? String, "killed")
    XCTAssertEqual(metadata(giveUp)["supervisor"] as? String, "chatd")
    XCTAssertEqual(metadata(giveUp)["intensity"] as? Int, 10)
    let critical = try XCTUnwrap(lines.first { $0["level"] as? String == "critical" }, "\(lines)")
    XCTAssertTrue((critical["message"] as? String)?.hasPrefix("application chatd stopping: its root supervisor gave up") == true)
    let last = try XCTUnwrap(lines.last)
    XCTAssertEqual(metadata(last)["exit_status"] as? Int, 1)
    XCTAssertEqual(chatd.stderr, "", "with --log-file, nothing on stderr")
  }

  func testSIGHUPReopensTheLogFileAfterARename() async throws {
    let chatd = try Chatd.start { ["--log-format", "json", "--log-file", $0 + "/chatd.log"] }
    defer { chatd.stop() }
    let log = chatd.directory + "/chatd.log"
    try await eventually("the start line") { try !jsonLines(log).isEmpty }
    // logrotate's way: rename, then signal.
    XCTAssertEqual(rename(log, log + ".1"), 0)
    kill(chatd.process.processIdentifier, SIGHUP)
    try await eventually("a new file, reopened") {
      try jsonLines(log).contains { $0["message"] as? String == "log file reopened" }
    }
    XCTAssertTrue(chatd.process.isRunning, "SIGHUP reopens the log, it does not stop chatd")
    chatd.process.terminate()
    let status = try await chatd.exitStatus()
    XCTAssertEqual(status, 0)
    let rotated = try jsonLines(log + ".1")
    let fresh = try jsonLines(log)
    guard rotated.count == 1 else { return XCTFail("only the start line goes to the file before the rotation: \(rotated)") }
    XCTAssertTrue((rotated[0]["message"] as? String)?.contains("started") == true)
    let messages = fresh.compactMap { $0["message"] as? String }
    guard messages.count == 3 else { return XCTFail("reopened, stopping, stopped expected: \(messages)") }
    XCTAssertEqual(messages[0], "log file reopened")
    XCTAssertTrue(messages[1].hasPrefix("application chatd stopping: SIGTERM received, after "), messages[1])
    XCTAssertTrue(messages[2].hasPrefix("application chatd stopped in "), messages[2])
  }

  func testHumanLinesOnStderrByDefault() async throws {
    let chatd = try Chatd.start()
    defer { chatd.stop() }
    try await eventually("the start line on stderr") { chatd.stderr.contains(" started: IRC on 127.0.0.1:") }
    let client = try ControlClient(path: chatd.controlSocket)
    defer { client.close() }
    let presence = try await chatd.killPresence(client, unlike: nil)
    try await eventually("the supervisor report on stderr") { chatd.stderr.contains("supervisor report") }
    chatd.process.terminate()
    let status = try await chatd.exitStatus()
    XCTAssertEqual(status, 0)
    let lines = chatd.stderr.split(separator: "\n").map(String.init)
    guard lines.count == 4 else { return XCTFail("start, restart, stopping, stopped expected:\n\(chatd.stderr)") }
    let timestamp = /\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z/
    XCTAssertNotNil(lines[0].prefixMatch(of: timestamp), lines[0])
    XCTAssertTrue(lines[0].contains(" notice chatd: chatd "), lines[0])
    XCTAssertTrue(
      lines[1].contains(
        " error chatd: supervisor report: chatd <0.1.0>: child presence \(presence) exited (killed); restarting it (1 of 10 restarts in 5s) "
      ), lines[1])
    XCTAssertTrue(lines[1].contains(" action=restart child=presence child_pid=\(presence) "), lines[1])
    XCTAssertTrue(lines[2].contains(" notice chatd: application chatd stopping: SIGTERM received"), lines[2])
    XCTAssertTrue(lines[3].contains(" notice chatd: application chatd stopped in "), lines[3])
    XCTAssertTrue(lines[3].contains(" exit_status=0 "), lines[3])
  }

  func testAnUnopenableLogFileStopsTheStartWithItsName() async throws {
    let chatd = try Chatd.start { ["--log-file", $0 + "/no/such/dir/chatd.log"] }
    defer { chatd.stop() }
    let status = try await chatd.exitStatus()
    XCTAssertNotEqual(status, 0)
    XCTAssertTrue(
      chatd.stderr.contains("cannot open the log file \(chatd.directory)/no/such/dir/chatd.log: No such file or directory"), chatd.stderr)
  }

  func testLogFlags() throws {
    guard case .run(let defaults) = try ChatCommandLine.parse([]) else { return XCTFail("expected a run") }
    XCTAssertEqual(defaults.logLevel, .info)
    XCTAssertEqual(defaults.logFormat, .human)
    XCTAssertNil(defaults.logFile)
    guard
      case .run(let c) = try ChatCommandLine.parse(["--log-level", "warning", "--log-format", "json", "--log-file", "/var/log/chatd.log"])
    else { return XCTFail("expected a run") }
    XCTAssertEqual(c.logLevel, .warning)
    XCTAssertEqual(c.logFormat, .json)
    XCTAssertEqual(c.logFile, "/var/log/chatd.log")
    guard case .run(let verbose) = try ChatCommandLine.parse(["--verbose"]) else { return XCTFail("expected a run") }
    XCTAssertEqual(verbose.logLevel, .debug, "--verbose is --log-level debug")
    XCTAssertThrowsError(try ChatCommandLine.parse(["--log-level", "loud"])) {
      XCTAssertEqual("\($0)", "--log-level: expected one of trace, debug, info, notice, warning, error, critical, got \"loud\"")
    }
    XCTAssertThrowsError(try ChatCommandLine.parse(["--log-format", "xml"])) {
      XCTAssertEqual("\($0)", "--log-format: expected human or json, got \"xml\"")
    }
    XCTAssertThrowsError(try ChatCommandLine.parse(["--log-file"])) { XCTAssertEqual("\($0)", "--log-file needs a value") }
    for flag in ["--log-level", "--log-format", "--log-file", "--verbose"] { XCTAssertTrue(ChatCommandLine.help.contains(flag), flag) }
  }
}
