// soju.im/search against a real chatd over TCP, over the SQLite history's FTS5 index:
// matches in a `soju.im/search` batch with server-time and msgid, oldest first; the
// selectors (from, after, before, limit); members only; whatever a client types as
// text is a search, never an SQL or FTS error; a database from before the index is
// indexed when chatd starts.
import IRCTestSupport
import OtterTestSupport
import XCTest

@testable import ChatApp

final class SearchTests: XCTestCase {
  static let caps = ["soju.im/search", "batch", "server-time", "message-tags"]

  /// Sends SEARCH and returns the batch's messages (checking the batch's frame).
  static func search(_ client: IRCTestClient, _ attributes: String) throws -> [IRCMessage] {
    client.send("SEARCH " + attributes)
    // (A JOIN's replay is a batch too: skipped.)
    let open = try client.expect("a search batch") { $0.command == "BATCH" && $0.params.last == "soju.im/search" }
    XCTAssertEqual(open.params.count, 2, "\(open)")
    let id = String(open.params[0].dropFirst())
    var found: [IRCMessage] = []
    while true {
      let m = try client.expect("batch line") { $0.params.first == "-" + id || $0.tag("batch") == .some(id) }
      if m.command == "BATCH" {
        XCTAssertEqual(m.params, ["-" + id])
        return found
      }
      found.append(m)
    }
  }

  func testSearchFindsAChannelsMessagesForItsMembers() async throws {
    try await withChatServer { server in
      let alice = try IRCTestClient(port: server.ircPort)
      try alice.register("alice", caps: Self.caps)
      try alice.join("#s")
      let bob = try IRCTestClient(port: server.ircPort)
      try bob.register("bob")
      try bob.join("#s")
      for text in ["That was fast!", "Fasting is hard.", "nothing to see", "<script>alert(1)</script> fast"] {
        bob.send("PRIVMSG #s :\(text)")
      }
      try alice.expect("PRIVMSG", containing: "<script>")
      alice.send("PRIVMSG #s :my own fast words")

      let fast = try Self.search(alice, "in=#s;text=fast")
      XCTAssertEqual(
        fast.map { $0.params.last! }, ["That was fast!", "Fasting is hard.", "<script>alert(1)</script> fast", "my own fast words"],
        "prefix matches, oldest first")
      for m in fast {
        XCTAssertEqual(m.command, "PRIVMSG")
        XCTAssertEqual(m.params.first, "#s")
        XCTAssertNotNil(m.tag("time") ?? nil)
        XCTAssertNotNil(m.tag("msgid") ?? nil)
      }
      XCTAssertEqual(try Self.search(alice, "in=#S;text=FAST;limit=2").map { $0.params.last! }.count, 2, "the newest two")
      XCTAssertEqual(
        try Self.search(alice, "in=#s;text=fast;limit=2").map { $0.params.last! }, ["<script>alert(1)</script> fast", "my own fast words"])
      XCTAssertEqual(try Self.search(alice, "in=#s;text=fast;from=ALICE").map { $0.params.last! }, ["my own fast words"])
      XCTAssertEqual(try Self.search(alice, "in=#s;from=bob").count, 4, "no text: every message from bob")
      XCTAssertEqual(try Self.search(alice, "in=#s;text=hard fasting").map { $0.params.last! }, ["Fasting is hard."], "every word")
      XCTAssertEqual(try Self.search(alice, "in=#s;text=fast;before=2010-01-01T00:00:00.000Z").count, 0)
      XCTAssertEqual(
        try Self.search(alice, "in=#s;text=fast;after=2010-01-01T00:00:00.000Z;limit=1").map { $0.params.last! }, ["That was fast!"])
      // FTS5 syntax and SQL as text: a search for those words, never an error.
      for text in ["fast AND (", "\"unbalanced", "NEAR(", "*", "'; DROP TABLE messages; --", "a:b", "^fast"] {
        _ = try Self.search(
          alice, "in=#s;text=" + text.replacingOccurrences(of: " ", with: "\\s").replacingOccurrences(of: ";", with: "\\:"))
      }
      XCTAssertEqual(try Self.search(alice, "in=#s;text=fast").count, 4, "the table is still there")
    }
  }

  func testRefusals() async throws {
    try await withChatServer { server in
      let alice = try IRCTestClient(port: server.ircPort)
      try alice.register("alice", caps: Self.caps)
      try alice.join("#mine")
      let outsider = try IRCTestClient(port: server.ircPort)
      try outsider.register("outsider", caps: Self.caps)
      outsider.send("SEARCH in=#mine;text=x")
      XCTAssertEqual(try outsider.expect("FAIL").params.prefix(3), ["SEARCH", "INVALID_PARAMS", "in=#mine"], "members only")
      outsider.send("SEARCH in=#nowhere;text=x")
      XCTAssertEqual(try outsider.expect("FAIL").params.prefix(3), ["SEARCH", "INVALID_PARAMS", "in=#nowhere"], "as if it were not there")
      alice.send("SEARCH")
      XCTAssertEqual(try alice.expect("FAIL").params.prefix(2), ["SEARCH", "NEED_MORE_PARAMS"])
      alice.send("SEARCH text=x")
      XCTAssertEqual(try alice.expect("FAIL").params.prefix(3), ["SEARCH", "INVALID_PARAMS", "text=x"])
      alice.send("SEARCH in=#mine;limit=none")
      XCTAssertEqual(try alice.expect("FAIL").params.prefix(3), ["SEARCH", "INVALID_PARAMS", "limit=none"])
      alice.send("SEARCH in=#mine;after=yesterday")
      XCTAssertEqual(try alice.expect("FAIL").params.prefix(3), ["SEARCH", "INVALID_PARAMS", "after=yesterday"])
      alice.send("SEARCH in=#mine;colour=red")
      XCTAssertEqual(try alice.expect("FAIL").params.prefix(3), ["SEARCH", "INVALID_PARAMS", "colour=red"])
      alice.send("SEARCH in=#mine;text=" + String(repeating: "w\\s", count: 40))
      XCTAssertEqual(try alice.expect("FAIL").params.prefix(2), ["SEARCH", "INVALID_PARAMS"])
      // Without the capability, SEARCH is not a command.
      let plain = try IRCTestClient(port: server.ircPort)
      try plain.register("plain")
      plain.send("SEARCH in=#mine;text=x")
      try plain.expect("421")
      // CAP LS lists it.
      let asking = try IRCTestClient(port: server.ircPort)
      asking.send("CAP LS 302")
      XCTAssertTrue(try asking.expect("CAP", containing: "LS").params.last!.split(separator: " ").contains("soju.im/search"))
    }
  }

  func testADatabaseFromBeforeTheIndexIsIndexedOnStart() async throws {
    let config = testConfig()
    try await withChatServer(config) { server in
      let (alice, _) = try twoMembers(of: "#old", server)
      alice.send("PRIVMSG #old :an archived remark")
      alice.send("QUIT")
      try alice.expectClosed()
    }
    // As an older chatd left it: no index, no trigger.
    let db = try SQLiteDatabase(path: config.dataDirectory + "/history.sqlite3")
    try db.execute("DROP TRIGGER messages_fts_insert")
    try db.execute("DROP TABLE messages_fts")
    db.close()
    try await withChatServer(config) { server in
      let alice = try IRCTestClient(port: server.ircPort)
      try alice.register("alice", caps: Self.caps)
      try alice.join("#old")
      XCTAssertEqual(try Self.search(alice, "in=#old;text=archived").map { $0.params.last! }, ["an archived remark"])
    }
  }

  func testQueryParsing() {
    guard case .success(let q) = SearchQuery.parse("in=#c;text=Hello,\\sworld!;from=Bob;limit=500", maxLimit: 100) else {
      return XCTFail("parses")
    }
    XCTAssertEqual(q.words, ["hello", "world"])
    XCTAssertEqual(q.from, "bob")
    XCTAssertEqual(q.limit, 100, "capped")
    XCTAssertEqual(q.ftsExpression, "\"hello\"* \"world\"*")
    let entry = HistoryEntry(time: 5, msgid: "m", source: "Bob!b@h", command: "PRIVMSG", channel: "#c", text: "HELLO there, worldly one")
    XCTAssertTrue(q.matches(entry))
    XCTAssertFalse(q.matches(HistoryEntry(time: 5, msgid: "m", source: "eve!e@h", command: "PRIVMSG", channel: "#c", text: "hello world")))
  }
}
