import Foundation
import IRCTestSupport
import OtterTestSupport
import XCTest

@testable import Actors
@testable import ChatApp
// What chatd leaves on disk and where its secrets go: the data directory 0700 and the
// history's files 0600 (an older chatd's wider modes tightened at start, and logged;
// a directory shared by design refused), and passwords and the TLS key never in the
// log (even at trace), /metrics or what the observer reads.
@testable import Control

/// The permission bits of `path` (nil if it does not exist).
func mode(_ path: String) -> mode_t? {
  var st = stat()
  guard stat(path, &st) == 0 else { return nil }
  return st.st_mode & 0o7777
}

final class DataAtRestTests: XCTestCase {

  func testANewDataDirectoryAndTheHistoryAreThisUsersAlone() async throws {
    let parent = temporaryDirectory("chatd-rest", mode: 0o755)
    defer { removeDirectory(parent) }
    let data = parent + "/data"
    let oldMask = umask(0o022)
    defer { umask(oldMask) }
    try await withChatServer(testConfig(dataDirectory: data)) { server in
      let (alice, bob) = try twoMembers(of: "#disk", server)
      alice.send("PRIVMSG #disk :kept on disk")
      try bob.expect("PRIVMSG", containing: "kept on disk")
      let history = try XCTUnwrap(server.historyPath)
      // The write-ahead log and its index appear with the first write.
      try await eventually("the WAL files") { mode(history + "-wal") != nil && mode(history + "-shm") != nil }
      XCTAssertEqual(mode(data), 0o700)
      XCTAssertEqual(mode(history), 0o600)
      XCTAssertEqual(mode(history + "-wal"), 0o600)
      XCTAssertEqual(mode(history + "-shm"), 0o600)
      XCTAssertEqual(mode(server.config.controlSocketPath), 0o600)
    }
  }

  func testWiderModesLeftByAnOlderChatdAreTightenedAndLogged() async throws {
    let data = temporaryDirectory("chatd-rest", mode: 0o755)
    defer { removeDirectory(data) }
    let history = data + "/history.sqlite3"
    for file in [history, history + "-wal"] {
      XCTAssertTrue(FileManager.default.createFile(atPath: file, contents: nil, attributes: [.posixPermissions: 0o644]))
    }
    let capture = LogCapture()
    try await withChatServer(testConfig(dataDirectory: data), capture: capture) { server in
      XCTAssertEqual(mode(data), 0o700)
      XCTAssertEqual(mode(history), 0o600)
      let lines = capture.all.filter { $0.level == .warning }.map(\.message)
      XCTAssertTrue(lines.contains("the data directory \(data) was open to other users (mode 755); it is 700 now"), "\(lines)")
      XCTAssertTrue(lines.contains("\(history) was readable by other users (mode 644); it is 600 now"), "\(lines)")
      XCTAssertTrue(lines.contains("\(history)-wal was readable by other users (mode 644); it is 600 now"), "\(lines)")
    }
  }

  func testADirectorySharedByDesignIsRefused() async throws {
    let shared = temporaryDirectory("chatd-rest", mode: 0o1777)
    defer { removeDirectory(shared) }
    do {
      try await withChatServer(testConfig(dataDirectory: shared)) { _ in XCTFail("started in a shared directory") }
    } catch let error as StartupError {
      XCTAssertEqual(error.status, .permission)
      XCTAssertEqual(
        error.description,
        "the data directory \(shared) is shared with other users (mode 1777): give chatd a directory of its own (use --data-dir)")
    }
    XCTAssertEqual(mode(shared), 0o1777, "left as it was")
  }

  /// Passwords given with PASS and OPER, and the TLS key, are in no log line (at trace,
  /// where every line a client sends is logged), no metric and nothing the observer
  /// reads; the key file's path may be.
  func testSecretsStayOutOfTheLogMetricsAndTheObserver() async throws {
    guard TLSTunnel.available else { throw XCTSkip("no openssl tool") }
    let directory = temporaryDirectory("chatd-secrets")
    defer { removeDirectory(directory) }
    let certificate = try TestCertificate.make(in: directory)
    var config = tlsConfig(certificate, plainPort: true)
    config.password = "letmein-7f3a"
    config.operators = ["root": "sesame-91c2"]
    config.logLevel = .trace
    let capture = LogCapture()
    try await withChatServer(config, capture: capture) { server in
      let alice = try IRCTestClient(tlsPort: server.ircTLSPort)
      alice.send("PASS letmein-7f3a")
      try alice.register("alice")
      alice.send("OPER root sesame-91c2")
      try alice.expect("381")
      alice.send("PRIVMSG NickServ :IDENTIFY alice hunter2-55aa")
      alice.send("AUTHENTICATE dGVzdAB0ZXN0AGh1bnRlcjI=")
      alice.send("PING :done")
      try alice.expect("PONG")

      var seen = capture.all.map(\.description).joined(separator: "\n")
      seen += try http(try XCTUnwrap(server.metricsPort), "GET /metrics HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n").body
      let observer = try ControlClient(path: server.config.controlSocketPath)
      defer { observer.close() }
      seen += try observer.snapshotJSON(top: (.reductions, 1000, 0)).description
      for row in try observer.top(limit: 1000).rows {
        seen += (try? observer.request(.process, [(key: "pid", value: row.pid.json)]).description) ?? ""
      }

      XCTAssertTrue(seen.contains("PASS <redacted>"), "the trace log shows the line, not the password")
      XCTAssertTrue(seen.contains("OPER root <redacted>"))
      XCTAssertTrue(seen.contains(certificate.keyFile), "the key's path may be logged")
      let key = try String(contentsOfFile: certificate.keyFile, encoding: .utf8)
      let keyLines = key.split(separator: "\n").filter { !$0.hasPrefix("-----") }
      XCTAssertFalse(keyLines.isEmpty)
      for secret in ["letmein-7f3a", "sesame-91c2", "hunter2-55aa", "dGVzdAB0ZXN0AGh1bnRlcjI=", "PRIVATE KEY"] + keyLines.map(String.init) {
        XCTAssertFalse(seen.contains(secret), "\(secret) was shown")
      }
    }
  }
}
