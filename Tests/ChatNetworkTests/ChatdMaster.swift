// A `chatd --workers N` master in a test: the built binary as its own OS process, with
// its own data directory (its embedded redis-server keeps its data there), IRC on a free
// port (it says which), no web or metrics listener. The test owns the process and
// signals it by its pid; a master still running at the end is stopped (its workers and
// Redis die with it).
import Foundation
import Glibc
import IRCTestSupport
import OtterTestSupport
import XCTest

final class ChatdMaster {
  let directory: String
  let process = Process()
  private(set) var ircPort = 0

  /// Starts the master and waits (60 s at most) until it says where it listens — it says
  /// so once every worker serves.
  init(workers: Int, extraArguments: [String] = [], environment: [String: String] = [:]) throws {
    directory = temporaryDirectory("chatd-master")
    let arguments =
      [
        "--workers", String(workers), "--port", "0", "--web-port", "0", "--metrics-listen", "off", "--no-flood-limit",
        "--data-dir", directory + "/data", "--shutdown-timeout", "3",
      ] + extraArguments
    let logPath = directory + "/chatd.log"
    _ = FileManager.default.createFile(atPath: logPath, contents: nil)
    let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: logPath))
    defer { try? handle.close() }
    process.executableURL = URL(fileURLWithPath: try builtExecutable("chatd"))
    process.arguments = arguments
    if !environment.isEmpty { process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 } }
    process.standardInput = FileHandle.nullDevice
    process.standardOutput = handle
    process.standardError = handle
    try withNoSignalsBlocked { try process.run() }
    let deadline = Date().addingTimeInterval(60)
    while !output.contains("chatd reload asks it") {
      guard process.isRunning, Date() < deadline else {
        stop()
        throw TestError("chatd --workers \(workers) did not start:\n\(outputTail())")
      }
      usleep(20_000)
    }
    ircPort = ChatdNode.port(after: "IRC on ", in: output.components(separatedBy: "master of").last ?? "")
  }

  deinit { stop() }

  var pid: pid_t { process.processIdentifier }
  var dataDirectory: String { directory + "/data" }
  var output: String { (try? String(contentsOfFile: directory + "/chatd.log", encoding: .utf8)) ?? "" }

  func outputTail(_ lines: Int = 60) -> String {
    output.split(separator: "\n", omittingEmptySubsequences: false).suffix(lines).joined(separator: "\n")
  }

  func connect() throws -> IRCTestClient { try IRCTestClient(port: ircPort) }

  /// The OS processes the master runs now (workers and Redis), by pid, with their
  /// command lines.
  var children: [pid_t: String] {
    var out: [pid_t: String] = [:]
    for task in (try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/task")) ?? [] {
      let list = (try? String(contentsOfFile: "/proc/\(pid)/task/\(task)/children", encoding: .utf8)) ?? ""
      for p in list.split(separator: " ").compactMap({ pid_t($0) }) {
        let raw = (try? Data(contentsOf: URL(fileURLWithPath: "/proc/\(p)/cmdline"))) ?? Data()
        out[p] = String(decoding: raw.map { $0 == 0 ? 0x20 : $0 }, as: UTF8.self)
      }
    }
    return out
  }

  /// The pid of the worker whose node is `node`.
  func worker(_ node: String) -> pid_t? { children.first { $0.value.contains("--node \(node) ") }?.key }

  /// `chatd reload` against this master: its exit status and output.
  func reload() throws -> (status: Int32, output: String) {
    let p = Process()
    p.executableURL = URL(fileURLWithPath: try builtExecutable("chatd"))
    p.arguments = ["reload", "--data-dir", dataDirectory, "--timeout", "120"]
    let pipe = Pipe()
    p.standardOutput = pipe
    p.standardError = pipe
    try p.run()
    let data = pipe.fileHandleForReading.readDataToEndOfFile()
    p.waitUntilExit()
    return (p.terminationStatus, String(decoding: data, as: UTF8.self))
  }

  /// SIGTERM, then SIGKILL after `grace` seconds. Its exit status.
  @discardableResult
  func stop(grace: Double = 20) -> Int32 {
    guard process.isRunning else { return process.terminationStatus }
    Glibc.kill(pid, SIGTERM)
    let deadline = Date().addingTimeInterval(grace)
    while process.isRunning && Date() < deadline { usleep(10_000) }
    if process.isRunning {
      Glibc.kill(pid, SIGKILL)
      process.waitUntilExit()
    }
    return process.terminationStatus
  }
}

/// Whether process `pid` still exists (a zombie counts as gone).
func processExists(_ pid: pid_t) -> Bool {
  guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8) else { return false }
  guard let close = stat.lastIndex(of: ")") else { return false }
  return !stat[stat.index(close, offsetBy: 2)...].hasPrefix("Z")
}
