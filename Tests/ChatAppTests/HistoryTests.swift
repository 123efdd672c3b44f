// Channel history: stored in SQLite under the data directory, replayed on join — also
// after the server restarts.
import Foundation
import IRCTestSupport
import OtterTestSupport
import XCTest

@testable import Actors
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

  /// A `/me` replayed to a client without server-time keeps its stamp inside the CTCP
  /// ACTION (a stamp in front of `\x01` shows as a raw `\x01ACTION`); a CTCP request
  /// sent to the channel is not replayed to anyone (they would answer it).
  func testReplayedActionKeepsTheStampInsideTheAction() async throws {
    try await withChatServer { server in
      let a = try IRCTestClient(port: server.ircPort)
      try a.register("alice")
      try a.join("#me")
      a.send("PRIVMSG #me :\u{01}ACTION waves\u{01}")
      a.send("PRIVMSG #me :\u{01}VERSION\u{01}")
      a.send("PRIVMSG #me :plain words")
      a.send("PING :sync")
      try a.expect("PONG")
      let c = try IRCTestClient(port: server.ircPort)
      try c.register("carol")
      c.send("JOIN #me")
      let action = try c.expect("the replayed ACTION") { $0.command == "PRIVMSG" }
      let text = action.params[1]
      XCTAssertTrue(text.hasPrefix("\u{01}ACTION ["), text.debugDescription)
      XCTAssertTrue(text.hasSuffix("] waves\u{01}"), text.debugDescription)
      XCTAssertNotNil(text.wholeMatch(of: /\x{01}ACTION \[\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\] waves\x{01}/), text.debugDescription)
      let next = try c.expect("the replayed plain line") { $0.command == "PRIVMSG" }
      XCTAssertTrue(next.params[1].hasSuffix("] plain words"), "the VERSION request is not replayed: \(next.params[1].debugDescription)")
      // With server-time the text is as sent, and the request is left out too.
      let b = try IRCTestClient(port: server.ircPort)
      try b.register("bob", caps: ["server-time"])
      b.send("JOIN #me")
      XCTAssertEqual(try b.expect("PRIVMSG") { $0.command == "PRIVMSG" }.params[1], "\u{01}ACTION waves\u{01}")
      XCTAssertEqual(try b.expect("PRIVMSG") { $0.command == "PRIVMSG" }.params[1], "plain words")
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

  /// A kill cannot be trapped, so `terminate` never runs: the store's writer thread and
  /// its database must still go with it, or every restart leaves a thread and the
  /// database's descriptors (the file and its WAL) behind.
  func testKilledHistoryStoreLeavesNoThreadOrDescriptorBehind() async throws {
    let dir = temporaryDirectory("history-kill")
    defer { try? FileManager.default.removeItem(atPath: dir) }
    try await withChatServer(testConfig(dataDirectory: dir)) { server in
      let a = try IRCTestClient(port: server.ircPort)
      try a.register("alice")
      try a.join("#kept")
      a.send("PRIVMSG #kept :before the kills")
      a.send("PING :warm")
      try a.expect("PONG", containing: "warm")
      XCTAssertEqual(ProcSelf.threads(named: "chatd-history"), 1)
      let descriptors = ProcSelf.descriptors()
      // Otter's own threads (schedulers, the history writer); the global executor's
      // libdispatch workers come and go with whatever else the test process is doing.
      let threads = ProcSelf.threads(prefixed: ["otter-", "chatd-"])
      let databaseFiles = ProcSelf.descriptors(under: dir)
      XCTAssertGreaterThan(databaseFiles, 0)
      // Eight kills: under the root's budget (10 restarts in 5 s).
      for round in 0..<8 {
        let old = try XCTUnwrap(server.node.whereis(ChatServices.historyName))
        server.node.exit(old, reason: .kill)
        try await eventually("history restarted (round \(round))") {
          server.node.whereis(ChatServices.historyName).map { $0 != old } ?? false
        }
        a.send("PRIVMSG #kept :after kill \(round)")
        a.send("PING :r\(round)")
        try a.expect("PONG", containing: "r\(round)")
      }
      // Each is reported on its own: on a leak all four fail.
      func settles(_ what: String, _ now: () -> Int, _ ok: (Int) -> Bool) async {
        if (try? await eventually(what, timeout: .seconds(10), { ok(now()) })) == nil {
          XCTFail("\(what): now \(now()); open under the data directory: \(ProcSelf.files(under: dir))")
        }
      }
      await settles("one history writer thread", { ProcSelf.threads(named: "chatd-history") }) { $0 == 1 }
      await settles("the database's descriptors as before (\(databaseFiles))", { ProcSelf.descriptors(under: dir) }) { $0 == databaseFiles }
      await settles("descriptors back to \(descriptors)", { ProcSelf.descriptors() }) { $0 <= descriptors }
      await settles("Otter's threads back to \(threads)", { ProcSelf.threads(prefixed: ["otter-", "chatd-"]) }) { $0 <= threads }
    }
  }

  /// What a killed store's writer was handed is still written before the database
  /// closes: the writer drains its queue whoever stops it.
  func testAppendsHandedToTheWriterSurviveAKill() async throws {
    let dir = temporaryDirectory("history-drain")
    defer { try? FileManager.default.removeItem(atPath: dir) }
    try await withChatServer(testConfig(dataDirectory: dir)) { server in
      let a = try IRCTestClient(port: server.ircPort)
      try a.register("alice")
      try a.join("#drain")
      for i in 0..<300 { a.send("PRIVMSG #drain :kept \(i)") }
      a.send("PING :sent")
      try a.expect("PONG", containing: "sent")
      // Every append was cast before its echo; once the store's mailbox is empty they
      // are all in the writer's queue, most of them still lingering when the kill lands.
      let store = try XCTUnwrap(server.node.whereis(ChatServices.historyName))
      try await eventually("the store's mailbox to empty") { (server.node.processInfo(store)?.messageQueueLength ?? 0) == 0 }
      server.node.exit(store, reason: .kill)
      // The restarted store answers through its own writer: from then on a single
      // writer thread means the killed one has closed the database and ended.
      try await eventually("history restarted") { server.node.whereis(ChatServices.historyName).map { $0 != store } ?? false }
      _ = try await server.node.call(ChatServices.historyName, HistoryStore.self, .flush)
      try await eventually("the old writer to end", timeout: .seconds(10)) { ProcSelf.threads(named: "chatd-history") == 1 }
      let db = try SQLiteDatabase(path: dir + "/history.sqlite3")
      let count = try db.prepare("SELECT count(*) FROM messages WHERE text LIKE 'kept %'")
      XCTAssertTrue(try count.step())
      XCTAssertEqual(count.int64(0), 300)
    }
  }
}
