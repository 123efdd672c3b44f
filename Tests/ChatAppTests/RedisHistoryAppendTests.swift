// Appending to the network history in batches, with a real redis-server: the `append`
// script called straight with a probe (a batch of several channels keeps each one's
// order and growing IDs, sent twice it adds nothing, trimming keeps the msgid index exact
// from one batch to the next, a message Redis refuses is named and the others kept), and
// chatd's archive holding appends (one call for what comes within the hold time, held
// appends written when the hold ends even with nothing more coming, a question written
// through at once, a refused call split to name the message). The same helpers as
// RedisHistoryTests.swift (an extension of its case).
import Actors
import GenServer
import IRCTestSupport
import OtterTestSupport
import Redis
import RedisTestSupport
import XCTest

@testable import ChatApp

extension RedisHistoryTests {
  static let prefix = "chatd:history"

  // MARK: - The script

  /// Messages of three channels, interleaved in one call, each added after the one
  /// before it in its own channel: IDs grow, a message of a later millisecond than the
  /// one after it shares that millisecond, and each msgid is indexed to its entry —
  /// also in a second call whose message is older than the stream's newest.
  func testABatchOfSeveralChannelsKeepsEachChannelsOrder() throws {
    let redis = try startRedisServer()
    let probe = try redis.probe()
    let t = HistoryFixture.base
    let batch = [
      ("#a", "a1", t + 10), ("#b", "b1", t + 50), ("#a", "a2", t + 10), ("#c", "c1", t), ("#b", "b2", t + 20),
      ("#a", "a3", t + 30), ("#b", "b3", t + 60),
    ]
    XCTAssertEqual(try append(probe, batch, maxLength: 100), .array([]), "nothing refused")
    XCTAssertEqual(try append(probe, [("#b", "b4", t + 1)], maxLength: 100), .array([]), "older than #b's newest")
    let a = try entries(probe, "#a")
    let b = try entries(probe, "#b")
    XCTAssertEqual(a.map(\.msgid), ["a1", "a2", "a3"])
    XCTAssertEqual(b.map(\.msgid), ["b1", "b2", "b3", "b4"])
    XCTAssertEqual(try entries(probe, "#c").map(\.msgid), ["c1"])
    XCTAssertEqual(a.map(\.id), ["\(t + 10)-0", "\(t + 10)-1", "\(t + 30)-0"])
    XCTAssertEqual(b.map(\.id), ["\(t + 50)-0", "\(t + 50)-1", "\(t + 60)-0", "\(t + 60)-1"], "IDs only grow")
    XCTAssertEqual(b.map(\.time), [t + 50, t + 20, t + 60, t + 1], "each keeps its own time")
    for (key, rows) in [("#a", a), ("#b", b)] {
      for row in rows { XCTAssertEqual(try probe.call(["HGET", index(key), row.msgid]).string, row.id, "\(key) \(row.msgid)") }
    }
  }

  /// A batch sent again (its connection was lost after Redis ran it), and one that
  /// overlaps it, add only what was not there when sent as resends.
  func testABatchSentTwiceAddsNothing() throws {
    let redis = try startRedisServer()
    let probe = try redis.probe()
    let t = HistoryFixture.base
    let first = (0..<6).map { i in (i % 2 == 0 ? "#a" : "#b", "m\(i)", t + Int64(i)) }
    _ = try append(probe, first, maxLength: 100)
    _ = try append(probe, first, maxLength: 100, resend: true)
    _ = try append(probe, Array(first[3...]) + [("#a", "m6", t + 6)], maxLength: 100, resend: true)
    XCTAssertEqual(try entries(probe, "#a").map(\.msgid), ["m0", "m2", "m4", "m6"])
    XCTAssertEqual(try entries(probe, "#b").map(\.msgid), ["m1", "m3", "m5"])
    XCTAssertEqual(try probe.call(["HLEN", index("#a")]).integer, 4)
    XCTAssertEqual(try probe.call(["HLEN", index("#b")]).integer, 3)
  }

  /// Batches of every size across two channels with `maxLength` 10: after each, a
  /// channel's index holds exactly the msgids its stream holds, each to its entry, and
  /// the stream is at most a tenth (one) over.
  func testTrimmingKeepsTheIndexExactAcrossBatches() throws {
    let redis = try startRedisServer()
    let probe = try redis.probe()
    var n = 0
    var appended: [String: Int] = [:]
    for size in [7, 13, 1, 25, 4, 11, 2] {
      let batch = (0..<size).map { _ in
        defer { n += 1 }
        let key = n % 3 == 0 ? "#b" : "#a"
        appended[key, default: 0] += 1
        return (key, "m\(n)", HistoryFixture.base + Int64(n))
      }
      XCTAssertEqual(try append(probe, batch, maxLength: 10), .array([]))
      for key in ["#a", "#b"] {
        let rows = try entries(probe, key)
        XCTAssertLessThanOrEqual(rows.count, 11, "\(key) after \(n): a tenth over at most")
        XCTAssertGreaterThanOrEqual(rows.count, min(appended[key] ?? 0, 10), "\(key) after \(n)")
        let indexed = try XCTUnwrap(probe.call(["HGETALL", index(key)]).elements)
        var map: [String: String] = [:]
        for i in stride(from: 0, to: indexed.count, by: 2) { map[indexed[i].string ?? ""] = indexed[i + 1].string }
        XCTAssertEqual(map, Dictionary(uniqueKeysWithValues: rows.map { ($0.msgid, $0.id) }), "\(key) after \(n)")
      }
    }
  }

  /// A message whose stream key holds something else is refused — its place in the batch
  /// and Redis's reason returned — and the messages around it are kept.
  func testARefusedMessageIsNamedAndTheOthersKept() throws {
    let redis = try startRedisServer()
    let probe = try redis.probe()
    _ = try probe.call(["SET", RedisHistoryCommands.stream(Self.prefix, "#bad"), "not a stream"])
    let t = HistoryFixture.base
    let reply = try append(probe, [("#ok", "o1", t), ("#bad", "x", t), ("#ok", "o2", t + 1)], maxLength: 100)
    let refused = try XCTUnwrap(reply.elements)
    XCTAssertEqual(refused.count, 1, "\(reply)")
    XCTAssertEqual(refused.first?.elements?.first, .integer(2))
    XCTAssertTrue(refused.first?.elements?.last?.string?.contains("WRONGTYPE") == true, "\(reply)")
    XCTAssertEqual(try entries(probe, "#ok").map(\.msgid), ["o1", "o2"])
  }

  // MARK: - chatd's archive holding appends

  /// With a long hold, appends cast one after another go to Redis in one script call;
  /// none is written before the hold ends, and all are after it although nothing more
  /// comes.
  func testHeldAppendsGoInOneCallWhenTheHoldEnds() async throws {
    let redis = try startRedisServer()
    try await withRedisHistory(redis, holdTime: .seconds(1)) { server, _ in
      let probe = try redis.probe()
      _ = try probe.call(["SCRIPT", "LOAD", RedisHistoryCommands.append.source])
      _ = try probe.call(["CONFIG", "RESETSTAT"])
      let store = try XCTUnwrap(server.node.whereis(ChatServices.historyName)?.address(as: ServerMessage<HistoryStore>.self))
      for i in 0..<20 {
        let channel = ["#a", "#b", "#c"][i % 3]
        let entry = HistoryEntry(
          time: HistoryFixture.base + Int64(i), msgid: "m\(i)", source: "bob!bob@127.0.0.1", command: "PRIVMSG", channel: channel,
          text: "m\(i)")
        GenServerRef(store).cast(.append(key: channel, entry))
      }
      XCTAssertEqual(try probe.call(["EXISTS", RedisHistoryCommands.stream(Self.prefix, "#a")]).integer, 0, "held")
      try await eventually("the held appends written", timeout: .seconds(10)) {
        let lengths = try ["#a", "#b", "#c"].map { try probe.call(["XLEN", RedisHistoryCommands.stream(Self.prefix, $0)]).integer }
        return lengths == [7, 7, 6]
      }
      let stats = try XCTUnwrap(probe.call(["INFO", "commandstats"]).string)
      let calls = stats.split(separator: "\r\n").first { $0.hasPrefix("cmdstat_evalsha:") }?.split(separator: ",").first
      XCTAssertEqual(calls, "cmdstat_evalsha:calls=1", stats)
    }
  }

  /// A client asking for the history gets what it just said, however long appends are
  /// held: a question has the held appends written first.
  func testAQuestionHasTheHeldAppendsWrittenFirst() async throws {
    let redis = try startRedisServer()
    try await withRedisHistory(redis, holdTime: .seconds(60)) { server, _ in
      let a = try client("alice", server)
      try a.join("#q")
      _ = try say(a, "#q", "just said")
      XCTAssertEqual(try historyTexts(a, "CHATHISTORY LATEST #q * 10"), ["just said"])
    }
  }

  /// A call Redis refuses as a whole (an index key of another type) is sent again a
  /// message a call: the log names the refused messages, the others are kept.
  func testARefusedCallIsSplitAndTheRefusedMessageNamed() async throws {
    let redis = try startRedisServer()
    let log = LogCapture()
    try await withRedisHistory(redis, logger: log.logger(label: "chatd", level: .info)) { server, _ in
      let probe = try redis.probe()
      _ = try probe.call(["SET", RedisHistoryCommands.index(Self.prefix, "#bad"), "not a hash"])
      let store = try XCTUnwrap(server.node.whereis(ChatServices.historyName)?.address(as: ServerMessage<HistoryStore>.self))
      for (i, channel) in ["#ok", "#bad", "#ok"].enumerated() {
        let entry = HistoryEntry(
          time: HistoryFixture.base + Int64(i), msgid: "m\(i)", source: "bob!bob@127.0.0.1", command: "PRIVMSG", channel: channel,
          text: "m\(i)")
        GenServerRef(store).cast(.append(key: channel, entry))
      }
      try await flush(server)
      XCTAssertEqual(try entries(probe, "#ok").map(\.msgid), ["m0", "m2"])
      let refused = log.all.filter { $0.message.contains("Redis refused a message") }.map(\.message)
      XCTAssertEqual(refused.count, 1, "\(refused)")
      XCTAssertTrue(refused.first?.contains("#bad (m1)") == true, "\(refused)")
    }
  }

  /// A write that timed out while Redis was stopped (SIGSTOP) ran when Redis went on:
  /// the archive, not knowing, sends it again, which adds nothing twice.
  func testAWriteThatTimedOutButRanIsNotAddedTwice() async throws {
    let redis = try startRedisServer()
    let log = LogCapture()
    try await withRedisHistory(redis, logger: log.logger(label: "chatd", level: .info)) { server, _ in
      let a = try client("alice", server)
      try a.join("#slow")
      _ = try say(a, "#slow", "before")
      try await flush(server)
      redis.pause()
      _ = try say(a, "#slow", "while stopped")
      try await log.waitFor("the write timing out", timeout: .seconds(15)) { $0.message.contains("Redis cannot be reached") }
      redis.resume()
      try await log.waitFor("the write again", timeout: .seconds(15)) { $0.message.contains("Redis answers again") }
      XCTAssertEqual(try entries(redis.probe(), "#slow").map(\.msgid).count, 2, "each message once")
      XCTAssertEqual(try historyTexts(a, "CHATHISTORY LATEST #slow * 10"), ["before", "while stopped"])
    }
  }

  // MARK: - Helpers

  /// Calls the `append` script (loaded first) with `batch` (channel, msgid, time).
  func append(_ probe: RedisProbe, _ batch: [(String, String, Int64)], maxLength: Int, resend: Bool = false) throws
    -> ProbeReply
  {
    _ = try probe.call(["SCRIPT", "LOAD", RedisHistoryCommands.append.source])
    let items = batch.map { (channel, msgid, time) in
      (
        key: channel,
        entry: HistoryEntry(time: time, msgid: msgid, source: "bob!bob@127.0.0.1", command: "PRIVMSG", channel: channel, text: msgid)
      )
    }
    return try probe.call(RedisHistoryCommands.appendArguments(Self.prefix, items, maxLength: maxLength, resend: resend))
  }

  /// Channel `key`'s stream, oldest first: each entry's ID, msgid and time.
  func entries(_ probe: RedisProbe, _ key: String) throws -> [(id: String, msgid: String, time: Int64)] {
    let rows = try XCTUnwrap(probe.call(["XRANGE", RedisHistoryCommands.stream(Self.prefix, key), "-", "+"]).elements)
    return try rows.map { row in
      let parts = try XCTUnwrap(row.elements)
      let fields = try XCTUnwrap(parts[1].elements).compactMap(\.string)
      let value = { (name: String) in fields.firstIndex(of: name).map { fields[$0 + 1] } ?? "" }
      return (try XCTUnwrap(parts[0].string), value("msgid"), Int64(value("time")) ?? -1)
    }
  }

  func index(_ key: String) -> String { RedisHistoryCommands.index(Self.prefix, key) }
}
