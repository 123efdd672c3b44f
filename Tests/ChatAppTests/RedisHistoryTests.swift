// The network history in Redis, with a real redis-server (RedisTestSupport): every
// CHATHISTORY subcommand (the same checks as SQLite's, ChatHistoryChecks.swift), the
// history outliving a Redis restart with AOF, messages held while Redis is away and
// written when it is back (the oldest dropped past the buffer, and said), trimming that
// keeps the msgid index exact, and two chatd nodes reading one history.
import Actors
import IRCTestSupport
import OtterTestSupport
import Redis
import RedisTestSupport
import Supervision
import XCTest

@testable import ChatApp

final class RedisHistoryTests: XCTestCase {
  // MARK: - Every subcommand, Redis

  func testLatest() async throws { try await checks { try await ChatHistoryChecks.latest($0) } }
  func testBefore() async throws { try await checks { try await ChatHistoryChecks.before($0) } }
  func testAfter() async throws { try await checks { try await ChatHistoryChecks.after($0) } }
  func testAround() async throws { try await checks { try await ChatHistoryChecks.around($0) } }
  func testBetween() async throws { try await checks { try await ChatHistoryChecks.between($0) } }
  func testSameMillisecond() async throws { try await checks { try await ChatHistoryChecks.sameMillisecond($0) } }
  func testUnknownMsgid() async throws { try await checks { try await ChatHistoryChecks.unknownMsgid($0) } }
  func testTargets() async throws { try await checks { try await ChatHistoryChecks.targets($0) } }

  func checks(_ check: (HistoryFixture) async throws -> Void) async throws {
    let redis = try startRedisServer()
    try await withRedisHistory(redis) { server, _ in try await check(HistoryFixture.seed(server)) }
  }

  // MARK: - Redis restarting, or away

  /// With AOF, a restarted (even killed) Redis comes back with every stream and index:
  /// the history is all there, msgid selectors included, and new messages follow it.
  func testTheHistorySurvivesARedisRestartWithAppendOnlyFile() async throws {
    let redis = try startRedisServer(RedisServer.Configuration(extraArguments: ["--appendonly", "yes"]))
    try await withRedisHistory(redis) { server, _ in
      let a = try client("alice", server)
      try a.join("#keep")
      let sent = try (0..<5).map { i in try say(a, "#keep", "kept \(i)") }
      try await flush(server)
      redis.kill()
      try redis.start()
      let after = try await eventuallyValue("the history back from the AOF", timeout: .seconds(10)) {
        try? historyTexts(a, "CHATHISTORY LATEST #keep * 10")
      }
      XCTAssertEqual(after, (0..<5).map { "kept \($0)" })
      XCTAssertEqual(try historyTexts(a, "CHATHISTORY AFTER #keep msgid=\(sent[2].msgid) 10"), ["kept 3", "kept 4"], "the index too")
      // Redis lost its script cache with the restart: the next append loads it again.
      _ = try say(a, "#keep", "after the restart")
      try await flush(server)
      XCTAssertEqual(try historyTexts(a, "CHATHISTORY LATEST #keep * 2"), ["kept 4", "after the restart"])
    }
  }

  /// While Redis cannot be reached, messages are delivered as ever and held; a query
  /// fails saying the history is temporarily unavailable; once Redis is back the held
  /// messages are written, in order.
  func testMessagesSentWhileRedisIsAwayAreWrittenWhenItIsBack() async throws {
    let redis = try startRedisServer()
    let log = LogCapture()
    try await withRedisHistory(redis, logger: log.logger(label: "chatd", level: .info)) { server, _ in
      let (a, b) = (try client("alice", server), try client("bob", server))
      try a.join("#away")
      try b.join("#away")
      redis.kill()
      for i in 0..<3 {
        a.send("PRIVMSG #away :while away \(i)")
        XCTAssertEqual(try b.expect("PRIVMSG") { $0.command == "PRIVMSG" && $0.params.first == "#away" }.params.last, "while away \(i)")
      }
      try await log.waitFor("the outage") { $0.message.contains("Redis cannot be reached") }
      a.send("CHATHISTORY LATEST #away * 10")
      let fail = try a.expect("FAIL") { $0.command == "FAIL" || $0.command == "BATCH" }
      XCTAssertEqual(Array(fail.params.prefix(4)), ["CHATHISTORY", "MESSAGE_ERROR", "LATEST", "#away"], "\(fail)")
      XCTAssertTrue(fail.params.last?.contains("temporarily unavailable") == true, "\(fail)")
      try redis.start()
      let back = try await eventuallyValue("the held messages written", timeout: .seconds(10)) {
        try? historyTexts(a, "CHATHISTORY LATEST #away * 10")
      }
      XCTAssertEqual(back, (0..<3).map { "while away \($0)" })
      try await log.waitFor("the end of the outage") { $0.message.contains("Redis answers again") }
    }
  }

  /// Past `bufferLimit` held messages the oldest are dropped, and the log says how many.
  func testPastTheBufferTheOldestHeldMessagesAreDroppedAndCounted() async throws {
    let redis = try startRedisServer()
    let log = LogCapture()
    try await withRedisHistory(redis, bufferLimit: 3, logger: log.logger(label: "chatd", level: .info)) { server, _ in
      let (a, b) = (try client("alice", server), try client("bob", server))
      try a.join("#full")
      try b.join("#full")
      redis.kill()
      for i in 0..<5 {
        _ = try say(a, "#full", "held \(i)")
        try b.expect("PRIVMSG", containing: "held \(i)")
      }
      try await eventually("two drops logged") { dropped(log) == 2 }
      try redis.start()
      let back = try await eventuallyValue("the held messages written", timeout: .seconds(10)) {
        try? historyTexts(a, "CHATHISTORY LATEST #full * 10")
      }
      XCTAssertEqual(back, ["held 2", "held 3", "held 4"], "the newest three were kept")
      XCTAssertEqual(dropped(log), 2)
    }
  }

  // MARK: - The layout

  /// Trimming to `maxLength` takes the trimmed messages' msgids out of the index with
  /// them: the index never outgrows the stream, and a trimmed msgid finds nothing.
  func testTrimmingKeepsTheMsgidIndexExact() async throws {
    let redis = try startRedisServer()
    try await withRedisHistory(redis, maxLength: 10) { server, _ in
      let f = try await HistoryFixture.seed(server)
      try await f.append("#h", (10..<40).map { ("m\($0)", HistoryFixture.base + Int64($0) * 10) })
      let probe = try redis.probe()
      let length = try XCTUnwrap(probe.call(["XLEN", RedisHistoryCommands.stream("chatd:history", "#h")]).integer)
      let indexed = try XCTUnwrap(probe.call(["HLEN", RedisHistoryCommands.index("chatd:history", "#h")]).integer)
      XCTAssertTrue((10...11).contains(length), "a tenth over at most: \(length)")
      XCTAssertEqual(indexed, length)
      let kept = try f.history("CHATHISTORY LATEST #h * 100")
      XCTAssertEqual(kept, HistoryFixture.ms((40 - length)...39))
      XCTAssertEqual(try f.history("CHATHISTORY AFTER #h msgid=m5 3"), [], "trimmed: not found")
      XCTAssertEqual(try f.history("CHATHISTORY AFTER #h msgid=m35 10"), HistoryFixture.ms(36...39))
    }
  }

  /// A message older than the stream's newest (a node whose clock is behind, or held
  /// through an outage) is kept after it, with its own time.
  func testALateMessageIsKeptInTheOrderRedisGotIt() async throws {
    let redis = try startRedisServer()
    try await withRedisHistory(redis) { server, _ in
      let f = try await HistoryFixture.seed(server)
      try await f.append("#h", [("late", HistoryFixture.base + 5)])
      XCTAssertEqual(try f.history("CHATHISTORY LATEST #h * 2"), ["m9", "late"])
      let late = try XCTUnwrap(chathistoryBatch(f.client, "CHATHISTORY LATEST #h * 1").messages.first)
      XCTAssertEqual(late.tag("time") ?? nil, WallClock.iso8601(millis: HistoryFixture.base + 5))
      XCTAssertEqual(try f.history("CHATHISTORY AFTER #h msgid=m9 5"), ["late"])
    }
  }

  /// Two chatd nodes on one Redis: a client of the second reads what was said on the
  /// first, with the same msgids.
  func testTwoNodesReadOneHistory() async throws {
    let redis = try startRedisServer()
    try await withRedisHistory(redis) { first, _ in
      try await withRedisHistory(redis) { second, _ in
        let a = try client("alice", first)
        try a.join("#net")
        let sent = try (0..<3).map { i in try say(a, "#net", "from the first node \(i)") }
        try await flush(first)
        let b = try client("bob", second)
        try b.join("#net")
        b.send("CHATHISTORY LATEST #net * 10")
        _ = try b.expect("BATCH")
        for s in sent {
          let m = try b.expect("PRIVMSG")
          XCTAssertEqual(m.params.last, s.text)
          XCTAssertEqual(m.tag("msgid") ?? nil, s.msgid)
        }
      }
    }
  }

  // MARK: - Helpers

  /// A chatd whose history is in `redis`, on a node of its own with a started client;
  /// everything stopped after `body`.
  func withRedisHistory(
    _ redis: RedisServer, maxLength: Int = 1000, bufferLimit: Int = 1000, holdTime: Duration = .milliseconds(10),
    logger: Logger? = nil, _ body: (ChatServer, RedisClient) async throws -> Void
  ) async throws {
    let node = try Node(schedulers: 2, logger: logger)
    defer { node.shutdown() }
    var redisConfig = try RedisConfiguration(url: redis.url)
    redisConfig.reconnectBackoff = Backoff(initial: .milliseconds(20), maximum: .milliseconds(200), jitter: 0.2)
    redisConfig.commandTimeout = .seconds(2)
    let client = try await RedisClient.start(redisConfig, on: node)
    var config = testConfig()
    config.historyBackend = .redis(
      RedisHistoryOptions(client: client, maxLength: maxLength, bufferLimit: bufferLimit, holdTime: holdTime))
    let server = try await ChatServer.start(config, on: node)
    do {
      try await body(server, client)
    } catch {
      server.stop()
      _ = await server.run()
      await client.stop(node)
      throw error
    }
    server.stop()
    _ = await server.run()
    await client.stop(node)
  }

  func client(_ nick: String, _ server: ChatServer) throws -> IRCTestClient {
    let c = try IRCTestClient(port: server.ircPort)
    try c.register(nick, caps: ["batch", "server-time", "message-tags", "echo-message", "draft/chathistory"])
    return c
  }

  /// Sends a line to `channel` and returns its echo's msgid and text.
  func say(_ c: IRCTestClient, _ channel: String, _ text: String) throws -> (msgid: String, text: String) {
    c.send("PRIVMSG \(channel) :\(text)")
    let echo = try c.expect("the echo of \(text)") { $0.command == "PRIVMSG" && $0.params.last == text }
    return (try XCTUnwrap(echo.tag("msgid") ?? nil), text)
  }

  func flush(_ server: ChatServer) async throws {
    let reply = try await server.node.call(ChatServices.historyName, HistoryStore.self, .flush, timeout: .seconds(10))
    guard case .flushed = reply else { throw TestError("no flush: \(reply)") }
  }

  /// The texts of the batch a CHATHISTORY line is answered with; throws on a FAIL.
  func historyTexts(_ c: IRCTestClient, _ line: String) throws -> [String] {
    try chathistoryBatch(c, line).messages.map { $0.params.last ?? "" }
  }

  /// How many held messages the log says were dropped, in all.
  func dropped(_ log: LogCapture) -> Int {
    log.all.compactMap { r -> Int? in
      guard let range = r.message.range(of: "dropped the ") else { return nil }
      return Int(r.message[range.upperBound...].prefix { $0.isNumber })
    }.reduce(0, +)
  }
}
