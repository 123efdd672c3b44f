// A real irssi for tests: run under `script` (a pseudo-terminal: irssi needs one) with a
// home directory of its own, typed at through the terminal's input, and logging every
// message of every window to a file the test reads (`/LOG OPEN ... ALL`) — which is
// where irssi says "Connection lost" or "Disconnected" if it sees its server go. The test
// owns the process: `quit` ends it, and it is killed by its pid if it lingers.
import Foundation
import Glibc
import OtterTestSupport

final class IrssiSession {
  let nick: String
  private let process = Process()
  private let input = Pipe()
  private let directory: String

  /// The irssi executable, or nil when it is not installed.
  static var executable: String? {
    ["/usr/bin/irssi", "/usr/local/bin/irssi"].first { FileManager.default.isExecutableFile(atPath: $0) }
  }

  /// Starts irssi connected to 127.0.0.1:`port` as `nick`, and waits (at most 15 s)
  /// until it is registered and logging.
  init(nick: String, port: Int) throws {
    guard let irssi = Self.executable, FileManager.default.isExecutableFile(atPath: "/usr/bin/script") else {
      throw TestError("irssi (or script) is not installed")
    }
    self.nick = nick
    directory = temporaryDirectory("irssi")
    try FileManager.default.createDirectory(atPath: directory + "/home", withIntermediateDirectories: true)
    let config = """
      settings = {
        core = { real_name = "Irssi Tester"; user_name = "\(nick)"; nick = "\(nick)"; };
        "fe-common/core" = { autolog = "no"; };
      };
      """
    try config.write(toFile: directory + "/home/config", atomically: true, encoding: .utf8)
    process.executableURL = URL(fileURLWithPath: "/usr/bin/script")
    process.arguments = [
      "-qfc", "stty rows 40 cols 160; exec \(irssi) --home \(directory)/home -c 127.0.0.1 -p \(port) -n \(nick)", "/dev/null",
    ]
    var environment = ProcessInfo.processInfo.environment
    environment["TERM"] = "xterm"
    process.environment = environment
    process.standardInput = input
    process.standardOutput = FileHandle.nullDevice
    process.standardError = FileHandle.nullDevice
    try withNoSignalsBlocked { try process.run() }
    // Log everything from now on; the line "Log file ... opened" says it is there.
    let deadline = Date().addingTimeInterval(15)
    while !log.contains("Log file") {
      guard process.isRunning, Date() < deadline else { throw TestError("irssi did not start logging: \(log)") }
      type("/log open \(directory)/all.log all")
      usleep(300_000)
    }
  }

  deinit {
    if process.isRunning {
      kill(process.processIdentifier, SIGKILL)
      process.waitUntilExit()
    }
    removeDirectory(directory)
  }

  /// Types `line` and Enter into irssi.
  func type(_ line: String) {
    input.fileHandleForWriting.write(Data((line + "\r").utf8))
  }

  /// Everything irssi logged so far.
  var log: String { (try? String(contentsOfFile: directory + "/all.log", encoding: .utf8)) ?? "" }

  /// Waits (at most `seconds`) until the log contains `text`.
  func waitFor(_ text: String, within seconds: Double = 10) throws {
    let deadline = Date().addingTimeInterval(seconds)
    while !log.contains(text) {
      if Date() > deadline { throw TestError("irssi never logged \"\(text)\":\n\(log)") }
      usleep(20_000)
    }
  }

  /// /quit, and waits for irssi to exit.
  func quit() {
    type("/quit")
    let deadline = Date().addingTimeInterval(5)
    while process.isRunning && Date() < deadline { usleep(20_000) }
  }
}
