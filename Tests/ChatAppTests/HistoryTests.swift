// Channel history: stored in SQLite under the data directory, replayed on join — also
// after the server restarts.
import Foundation
import IRCTestSupport
import OtterTestSupport
import XCTest
@testable import ChatApp

final class HistoryTests: XCTestCase {
  func testJoiningClientGetsRecentHistoryWithServerTime() async throws {
    try await withChatServer { server in
      let a = try IRCTestClient(port: server.ircPort)
      try a.register("alice")
      try a.join("#log")
      for i in 0..<5 { a.send("PRIVMSG #log :line \(i)") }
      a.send("PING :sync")
      try a.expect("PONG")
      let b = try IRCTestClient(port: server.ircPort)
      try b.register("bob", caps: ["server-time", "batch", "message-tags"])
      b.send("JOIN #log")
      for i in 0..<5 {
        let m = try b.expect("PRIVMSG line \(i)") { $0.command == "PRIVMSG" }
        XCTAssertEqual(m.params, ["#log", "line \(i)"])
        XCTAssertNotNil(m.tag("time") ?? nil)
      }
      // Without server-time the replay is prefixed with the time.
      let c = try IRCTestClient(port: server.ircPort)
      try c.register("carol")
      c.send("JOIN #log")
      let first = try c.expect("PRIVMSG") { $0.command == "PRIVMSG" }
      XCTAssertTrue(first.params[1].hasPrefix("["), first.params[1])
      XCTAssertTrue(first.params[1].hasSuffix("line 0"), first.params[1])
    }
  }

  func testHistoryIsStoredInSQLiteAndSurvivesARestart() async throws {
    let dir = temporaryDirectory("history")
    try await withChatServer(testConfig(dataDirectory: dir)) { server in
      let a = try IRCTestClient(port: server.ircPort)
      try a.register("alice")
      try a.join("#keep")
      for i in 0..<30 { a.send("PRIVMSG #keep :kept \(i)") }
      a.send("QUIT")
      try a.expectClosed()
    }
    XCTAssertTrue(FileManager.default.fileExists(atPath: dir + "/history.sqlite3"))
    // A new server on the same directory: the last 20 (the replay size) come back.
    try await withChatServer(testConfig(dataDirectory: dir)) { server in
      let b = try IRCTestClient(port: server.ircPort)
      try b.register("bob", caps: ["server-time"])
      b.send("JOIN #keep")
      for i in 10..<30 {
        XCTAssertEqual(try b.expect("PRIVMSG") { $0.command == "PRIVMSG" }.params.last, "kept \(i)")
      }
    }
    try? FileManager.default.removeItem(atPath: dir)
  }

  func testNoHistoryFlagKeepsNothingOnDisk() async throws {
    let dir = temporaryDirectory("nohistory")
    var config = testConfig(dataDirectory: dir)
    config.history = false
    try await withChatServer(config) { server in
      let a = try IRCTestClient(port: server.ircPort)
      try a.register("alice")
      try a.join("#gone")
      a.send("PRIVMSG #gone :not kept")
      a.send("PING :x")
      try a.expect("PONG")
    }
    XCTAssertFalse(FileManager.default.fileExists(atPath: dir + "/history.sqlite3"))
    try? FileManager.default.removeItem(atPath: dir)
  }
}
