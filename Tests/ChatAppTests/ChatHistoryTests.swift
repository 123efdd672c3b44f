// CHATHISTORY (IRCv3 draft/chathistory) on one chatd with its SQLite history: every
// subcommand (the checks in ChatHistoryChecks.swift, which RedisHistoryTests.swift runs
// against Redis too), and what does not depend on the backend — the capability and
// ISUPPORT tokens, messages sent for real coming back with the msgid and time they
// were delivered with, who may read what, and the FAIL replies.
import IRCTestSupport
import OtterTestSupport
import XCTest

@testable import ChatApp

final class ChatHistoryTests: XCTestCase {
  // MARK: - Every subcommand, SQLite

  func testLatest() async throws { try await HistoryFixture.run(testConfig()) { try await ChatHistoryChecks.latest($0) } }
  func testBefore() async throws { try await HistoryFixture.run(testConfig()) { try await ChatHistoryChecks.before($0) } }
  func testAfter() async throws { try await HistoryFixture.run(testConfig()) { try await ChatHistoryChecks.after($0) } }
  func testAround() async throws { try await HistoryFixture.run(testConfig()) { try await ChatHistoryChecks.around($0) } }
  func testBetween() async throws { try await HistoryFixture.run(testConfig()) { try await ChatHistoryChecks.between($0) } }
  func testSameMillisecond() async throws { try await HistoryFixture.run(testConfig()) { try await ChatHistoryChecks.sameMillisecond($0) } }
  func testUnknownMsgid() async throws { try await HistoryFixture.run(testConfig()) { try await ChatHistoryChecks.unknownMsgid($0) } }
  func testTargets() async throws { try await HistoryFixture.run(testConfig()) { try await ChatHistoryChecks.targets($0) } }

  // MARK: - The protocol

  func testTheCapabilityAndTheISupportTokensAreAdvertised() async throws {
    var config = testConfig()
    config.chathistoryLimit = 5
    try await withChatServer(config) { server in
      let a = try IRCTestClient(port: server.ircPort)
      a.send("CAP LS 302")
      let ls = try a.expect("CAP", containing: "LS")
      XCTAssertTrue(ls.params.last?.split(separator: " ").contains("draft/chathistory") == true, "\(ls)")
      try a.register("alice", caps: ["draft/chathistory"])
      let tokens = try a.expect("ISUPPORT with CHATHISTORY") { $0.command == "005" && $0.params.contains { $0.hasPrefix("CHATHISTORY=") } }
      XCTAssertTrue(tokens.params.contains("CHATHISTORY=5"), "\(tokens)")
      let all = [tokens] + (0..<2).compactMap { _ in try? a.expect("005", within: 1) }
      XCTAssertTrue(all.contains { $0.params.contains("MSGREFTYPES=msgid,timestamp") }, "\(all)")
    }
  }

  /// Messages sent for real come back with the msgid and time they were delivered with;
  /// a limit past the server's maximum is served as the maximum.
  func testSentMessagesComeBackAsTheyWereDelivered() async throws {
    var config = testConfig()
    config.chathistoryLimit = 5
    try await withChatServer(config) { server in
      let caps = ["batch", "server-time", "message-tags", "echo-message", "draft/chathistory"]
      let a = try IRCTestClient(port: server.ircPort)
      try a.register("alice", caps: caps)
      try a.join("#real")
      var delivered: [IRCMessage] = []
      for i in 0..<7 {
        a.send("PRIVMSG #real :line \(i)")
        delivered.append(try a.expect("the echo of line \(i)") { $0.command == "PRIVMSG" })
      }
      a.send("NOTICE #real :a notice")
      delivered.append(try a.expect("the echo of the notice") { $0.command == "NOTICE" })
      let (open, got) = try chathistoryBatch(a, "CHATHISTORY LATEST #real * 100")
      XCTAssertEqual(Array(open.params.dropFirst()), ["chathistory", "#real"])
      XCTAssertEqual(got.count, 5, "CHATHISTORY=5: \(got)")
      for (sent, stored) in zip(delivered.suffix(5), got) {
        XCTAssertEqual(stored.command, sent.command)
        XCTAssertEqual(stored.params, sent.params)
        XCTAssertEqual(stored.source, sent.source)
        XCTAssertEqual(stored.tag("msgid") ?? nil, sent.tag("msgid") ?? nil)
        XCTAssertEqual(stored.tag("time") ?? nil, sent.tag("time") ?? nil)
      }
    }
  }

  /// A client without batch or server-time still gets the lines, the time in the text.
  func testAClientWithoutTagsGetsPlainLines() async throws {
    try await withChatServer { server in
      let a = try IRCTestClient(port: server.ircPort)
      try a.register("alice")
      try a.join("#plain")
      a.send("PRIVMSG #plain :hello")
      a.send("CHATHISTORY LATEST #plain * 10")
      let m = try a.expect("PRIVMSG")
      XCTAssertTrue(m.tags.isEmpty, "\(m)")
      XCTAssertEqual(m.params[0], "#plain")
      XCTAssertNotNil(m.params[1].wholeMatch(of: /\[\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\] hello/), m.params[1])
    }
  }

  /// With draft/chathistory a client asks for history: it is not replayed on JOIN.
  func testAChathistoryClientIsNotReplayedHistoryOnJoin() async throws {
    try await withChatServer { server in
      let a = try IRCTestClient(port: server.ircPort)
      try a.register("alice")
      try a.join("#quiet")
      a.send("PRIVMSG #quiet :before you came")
      let b = try IRCTestClient(port: server.ircPort)
      try b.register("bob", caps: ["draft/chathistory", "batch", "server-time"])
      try b.join("#quiet")
      XCTAssertTrue(b.never(within: 0.3) { $0.command == "PRIVMSG" || $0.command == "BATCH" })
      let c = try IRCTestClient(port: server.ircPort)
      try c.register("carol", caps: ["batch", "server-time"])
      c.send("JOIN #quiet")
      XCTAssertEqual(try c.expect("PRIVMSG").params.last, "before you came", "others are still replayed")
    }
  }

  /// Only members read a channel's history; a channel that does not exist, one the
  /// client is not in and a nick all answer the same INVALID_TARGET.
  func testOnlyMembersReadAChannelsHistory() async throws {
    try await withChatServer { server in
      let (a, b) = try twoMembers(of: "#club", server)
      a.send("PRIVMSG #club :members only")
      try b.expect("PRIVMSG")
      let c = try IRCTestClient(port: server.ircPort)
      try c.register("carol", caps: ["batch", "draft/chathistory"])
      for (target, why) in [("#club", "not a member"), ("#nowhere", "no such channel"), ("alice", "a nick: no private history")] {
        c.send("CHATHISTORY LATEST \(target) * 10")
        let fail = try c.expect("FAIL for \(why)") { $0.command == "FAIL" || $0.command == "BATCH" }
        XCTAssertEqual(fail.command, "FAIL", why)
        XCTAssertEqual(Array(fail.params.prefix(4)), ["CHATHISTORY", "INVALID_TARGET", "LATEST", target], why)
        XCTAssertEqual(fail.params.last, "Messages could not be retrieved", why)
      }
      c.send("JOIN #club")
      try c.expect("366")
      c.send("CHATHISTORY LATEST #club * 10")
      XCTAssertEqual(try c.expect("PRIVMSG").params.last?.hasSuffix("] members only"), true, "once in, it may read")
    }
  }

  /// Each malformed command gets the FAIL the specification gives, and chatd goes on.
  func testMalformedCommandsGetTheSpecifiedFail() async throws {
    try await withChatServer { server in
      let a = try IRCTestClient(port: server.ircPort)
      try a.register("alice", caps: ["batch", "draft/chathistory"])
      try a.join("#f")
      let cases: [(line: String, params: [String])] = [
        ("CHATHISTORY FETCH #f * 10", ["INVALID_PARAMS", "FETCH", "Unknown command"]),
        ("CHATHISTORY LATEST #f *", ["INVALID_PARAMS", "LATEST", "Insufficient parameters"]),
        ("CHATHISTORY LATEST #f * 10 extra", ["INVALID_PARAMS", "LATEST", "Too many parameters"]),
        ("CHATHISTORY BETWEEN #f msgid=a 10", ["INVALID_PARAMS", "BETWEEN", "Insufficient parameters"]),
        ("CHATHISTORY BEFORE #f timestamp=yesterday 10", ["INVALID_PARAMS", "BEFORE", "timestamp=yesterday", "Invalid timestamp"]),
        ("CHATHISTORY BEFORE #f msgid= 10", ["INVALID_PARAMS", "BEFORE", "msgid=", "Invalid msgid"]),
        ("CHATHISTORY AFTER #f nonsense 10", ["INVALID_PARAMS", "AFTER", "nonsense", "Invalid message reference"]),
        ("CHATHISTORY AFTER #f * 10", ["INVALID_PARAMS", "AFTER", "*", "* is only for LATEST"]),
        ("CHATHISTORY LATEST #f * ten", ["INVALID_PARAMS", "LATEST", "ten", "Invalid limit: a positive number of messages"]),
        ("CHATHISTORY LATEST #f * 0", ["INVALID_PARAMS", "LATEST", "0", "Invalid limit: a positive number of messages"]),
        ("CHATHISTORY AROUND #f seq=5 10", ["INVALID_MSGREFTYPE", "AROUND", "#f", "seq-based history requests are not supported"]),
        (
          "CHATHISTORY TARGETS msgid=a timestamp=2020-01-01T00:00:00.000Z 10",
          ["INVALID_PARAMS", "TARGETS", "msgid=a", "TARGETS takes two timestamps"]
        ),
      ]
      for c in cases {
        a.send(c.line)
        let fail = try a.expect("FAIL for \(c.line)") { $0.command == "FAIL" || $0.command == "BATCH" }
        XCTAssertEqual(fail.params, ["CHATHISTORY"] + c.params, c.line)
      }
      a.send("CHATHISTORY")
      XCTAssertEqual(try a.expect("461").params.dropFirst().first, "CHATHISTORY")
      a.send("PING :still here")
      try a.expect("PONG")
    }
  }
}
