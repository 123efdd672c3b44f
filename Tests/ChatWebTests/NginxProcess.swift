// Debian's nginx, run by a test as the test's own user: a configuration generated from a
// template into a temporary directory that also holds its logs, pid file and temp
// files, so it needs no root and touches nothing of the system's nginx. The
// NginxProcess owns that OS process (and the directory): it alone starts, signals and
// reaps it.
import Foundation
import Glibc
import OtterTestSupport
import XCTest

/// An nginx started by a test on a free 127.0.0.1 port; stopped by `stop` (SIGTERM to its
/// master, by pid), or killed at deinit if the test did not get that far.
final class NginxProcess {
  /// nginx's path, or a skip that says how to install it.
  static func find() throws -> String {
    guard let nginx = findTool(["nginx", "/usr/sbin/nginx"]) else {
      throw XCTSkip("needs nginx: apt-get install nginx-light (scripts/setup.sh does)")
    }
    return nginx
  }

  let process = Process()
  /// The prefix directory: nginx.conf, error.log, access.log, nginx.pid, temp files.
  let prefix: String
  /// The port it listens on (127.0.0.1).
  let port: Int

  /// Fills in `template` (scripts/web/NAME) — @PREFIX@, @LISTEN@, @USER@ and
  /// `substitutions` — and starts nginx with it, in the foreground, waiting (bounded)
  /// until it accepts connections. Throws with its error log if it does not.
  init(template name: String, substitutions: [String: String]) throws {
    let nginx = try Self.find()
    prefix = temporaryDirectory("nginx", mode: 0o755)
    port = freePort()
    var config = try String(contentsOf: repositoryRoot.appendingPathComponent("scripts/web/" + name), encoding: .utf8)
    var values = substitutions
    values["@PREFIX@"] = prefix
    values["@LISTEN@"] = "127.0.0.1:\(port)"
    values["@USER@"] = Self.userLine
    for (key, value) in values { config = config.replacingOccurrences(of: key, with: value) }
    try config.write(toFile: prefix + "/nginx.conf", atomically: true, encoding: .utf8)
    process.executableURL = URL(fileURLWithPath: nginx)
    // -e: the error log from the first line nginx writes (before it has read the
    // configuration it would open the system's). -g: in the foreground, so this process
    // is the master and SIGTERM to it stops the workers too.
    process.arguments = [
      "-p", prefix, "-c", prefix + "/nginx.conf", "-e", prefix + "/error.log", "-g", "daemon off; pid \(prefix)/nginx.pid;",
    ]
    process.standardOutput = FileHandle.nullDevice
    process.standardError = FileHandle.nullDevice
    try process.run()
    for _ in 0..<200 {
      if (try? TestConnection(port: port)) != nil { return }
      guard process.isRunning else { break }
      usleep(50_000)
    }
    stop()
    throw TestError("nginx did not start on 127.0.0.1:\(port): \(errorLog)")
  }

  deinit { stop() }

  /// Run by root, nginx's workers would switch to `nobody`; told to stay the test's user,
  /// the whole nginx runs as that user. Run by anyone else, nginx cannot switch (and
  /// would warn about a `user` line), so there is none.
  private static var userLine: String {
    guard geteuid() == 0, let entry = getpwuid(geteuid()), let name = entry.pointee.pw_name else { return "" }
    return "user \(String(cString: name));"
  }

  /// SIGTERM (nginx's fast shutdown, its workers with it) and wait; SIGKILL if it is
  /// still running 10 s later. Removes the prefix directory. Safe to call twice.
  func stop() {
    if process.isRunning {
      kill(process.processIdentifier, SIGTERM)
      let deadline = Date().addingTimeInterval(10)
      while process.isRunning && Date() < deadline { usleep(10_000) }
      if process.isRunning { kill(process.processIdentifier, SIGKILL) }
      process.waitUntilExit()
    }
    removeDirectory(prefix)
  }

  var errorLog: String { (try? String(contentsOfFile: prefix + "/error.log", encoding: .utf8)) ?? "" }
  /// One line per request: the client, the request, the status, the node that served it.
  var accessLog: String { (try? String(contentsOfFile: prefix + "/access.log", encoding: .utf8)) ?? "" }
}
