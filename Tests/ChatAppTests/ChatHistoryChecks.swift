// The CHATHISTORY checks, written once and run against each history backend (SQLite:
// ChatHistoryTests.swift, Redis: RedisHistoryTests.swift). Each runs on a started chatd
// whose store holds ten messages of #h, m0…m9, ten milliseconds apart (put there through
// the store itself, so the times are known), asked over IRC by a member of #h.
import Foundation
import GenServer
import IRCTestSupport
import OtterTestSupport
import XCTest

@testable import ChatApp

/// A chatd with a known history, and a client that may read it.
struct HistoryFixture {
  let server: ChatServer
  /// `alice`, in #h and #other, with batch, server-time, message-tags and draft/chathistory.
  let client: IRCTestClient
  /// The messages' times: m<i> was sent at `times[i]`.
  let times: [Int64]

  /// When the first message was sent: an hour ago, on a whole second.
  static let base = (WallClock.millis() / 1000 - 3600) * 1000

  /// Starts `config`'s chatd, seeds #h and has `body` check it.
  static func run(_ config: ChatConfig, _ body: (HistoryFixture) async throws -> Void) async throws {
    try await withChatServer(config) { server in try await body(seed(server)) }
  }

  /// Connects `alice` to `server` and puts m0…m9 in #h.
  static func seed(_ server: ChatServer) async throws -> HistoryFixture {
    let client = try IRCTestClient(port: server.ircPort)
    try client.register("alice", caps: ["batch", "server-time", "message-tags", "draft/chathistory"])
    try client.join("#h")
    try client.join("#other")
    let times = (0..<10).map { base + Int64($0) * 10 }
    let fixture = HistoryFixture(server: server, client: client, times: times)
    try await fixture.append("#h", (0..<10).map { ("m\($0)", times[$0]) })
    return fixture
  }

  /// Puts messages (msgid = text) straight into the store, and waits until they are written.
  func append(_ channel: String, _ messages: [(id: String, time: Int64)]) async throws {
    let store = try XCTUnwrap(server.node.whereis(ChatServices.historyName)?.address(as: ServerMessage<HistoryStore>.self))
    for (id, time) in messages {
      let entry = HistoryEntry(time: time, msgid: id, source: "bob!bob@127.0.0.1", command: "PRIVMSG", channel: channel, text: id)
      GenServerRef(store).cast(.append(key: Names.fold(channel), entry))
    }
    let flushed = try await server.node.call(ChatServices.historyName, HistoryStore.self, .flush, timeout: .seconds(10))
    guard case .flushed = flushed else { throw TestError("the store did not flush: \(flushed)") }
  }

  /// Sends a CHATHISTORY line and returns the texts of the batch it answers with.
  func history(_ line: String, target: String = "#h") throws -> [String] {
    let (open, messages) = try chathistoryBatch(client, line)
    XCTAssertEqual(Array(open.params.dropFirst()), ["chathistory", target], line)
    for m in messages { XCTAssertEqual(m.command, "PRIVMSG", "\(m)") }
    return messages.map { $0.params.last ?? "" }
  }

  /// `timestamp=` for m<i>'s time.
  func at(_ i: Int) -> String { "timestamp=" + WallClock.iso8601(millis: times[i]) }

  /// m<from>…m<to>.
  static func ms(_ range: ClosedRange<Int>) -> [String] { range.map { "m\($0)" } }
}

/// The checks, one per subcommand.
enum ChatHistoryChecks {
  static func latest(_ f: HistoryFixture) async throws {
    XCTAssertEqual(try f.history("CHATHISTORY LATEST #h * 20"), HistoryFixture.ms(0...9))
    XCTAssertEqual(try f.history("CHATHISTORY LATEST #h * 3"), HistoryFixture.ms(7...9))
    XCTAssertEqual(try f.history("CHATHISTORY LATEST #h msgid=m4 20"), HistoryFixture.ms(5...9))
    XCTAssertEqual(try f.history("CHATHISTORY LATEST #h \(f.at(4)) 20"), HistoryFixture.ms(5...9))
    XCTAssertEqual(try f.history("CHATHISTORY LATEST #h msgid=m4 2"), HistoryFixture.ms(8...9), "the newest after it")
    XCTAssertEqual(try f.history("CHATHISTORY latest #H * 1", target: "#h"), ["m9"], "any case; the canonical name in the batch")
    XCTAssertEqual(try f.history("CHATHISTORY LATEST #other * 10", target: "#other"), [], "a channel with no history: an empty batch")
  }

  static func before(_ f: HistoryFixture) async throws {
    XCTAssertEqual(try f.history("CHATHISTORY BEFORE #h msgid=m6 20"), HistoryFixture.ms(0...5))
    XCTAssertEqual(try f.history("CHATHISTORY BEFORE #h \(f.at(6)) 20"), HistoryFixture.ms(0...5))
    XCTAssertEqual(try f.history("CHATHISTORY BEFORE #h \(f.at(6)) 2"), HistoryFixture.ms(4...5), "the newest before it")
    XCTAssertEqual(try f.history("CHATHISTORY BEFORE #h msgid=m0 20"), [])
    XCTAssertEqual(try f.history("CHATHISTORY BEFORE #h * 2"), HistoryFixture.ms(8...9), "BEFORE * is LATEST *")
  }

  static func after(_ f: HistoryFixture) async throws {
    XCTAssertEqual(try f.history("CHATHISTORY AFTER #h msgid=m3 20"), HistoryFixture.ms(4...9))
    XCTAssertEqual(try f.history("CHATHISTORY AFTER #h \(f.at(3)) 20"), HistoryFixture.ms(4...9))
    XCTAssertEqual(try f.history("CHATHISTORY AFTER #h \(f.at(3)) 3"), HistoryFixture.ms(4...6), "the oldest after it")
    XCTAssertEqual(try f.history("CHATHISTORY AFTER #h msgid=m9 20"), [])
  }

  static func around(_ f: HistoryFixture) async throws {
    XCTAssertEqual(try f.history("CHATHISTORY AROUND #h msgid=m7 1"), ["m7"])
    XCTAssertEqual(try f.history("CHATHISTORY AROUND #h msgid=m7 3"), HistoryFixture.ms(6...8))
    XCTAssertEqual(try f.history("CHATHISTORY AROUND #h \(f.at(7)) 3"), HistoryFixture.ms(6...8))
    XCTAssertEqual(try f.history("CHATHISTORY AROUND #h msgid=m0 3"), HistoryFixture.ms(0...2), "nothing before: more after")
    XCTAssertEqual(try f.history("CHATHISTORY AROUND #h msgid=m9 3"), HistoryFixture.ms(7...9), "nothing after: more before")
  }

  static func between(_ f: HistoryFixture) async throws {
    XCTAssertEqual(try f.history("CHATHISTORY BETWEEN #h msgid=m0 msgid=m9 20"), HistoryFixture.ms(1...8))
    XCTAssertEqual(try f.history("CHATHISTORY BETWEEN #h msgid=m9 msgid=m0 20"), HistoryFixture.ms(1...8))
    XCTAssertEqual(try f.history("CHATHISTORY BETWEEN #h msgid=m0 msgid=m9 3"), HistoryFixture.ms(1...3), "forwards: from the first")
    XCTAssertEqual(try f.history("CHATHISTORY BETWEEN #h msgid=m9 msgid=m0 3"), HistoryFixture.ms(6...8), "backwards: from the first")
    XCTAssertEqual(try f.history("CHATHISTORY BETWEEN #h \(f.at(0)) \(f.at(9)) 20"), HistoryFixture.ms(1...8))
    XCTAssertEqual(try f.history("CHATHISTORY BETWEEN #h \(f.at(9)) \(f.at(0)) 3"), HistoryFixture.ms(6...8))
    XCTAssertEqual(try f.history("CHATHISTORY BETWEEN #h msgid=m2 \(f.at(5)) 20"), HistoryFixture.ms(3...4), "the kinds may mix")
  }

  /// Messages of one millisecond keep the order they were stored in, for msgid paging.
  static func sameMillisecond(_ f: HistoryFixture) async throws {
    let t = HistoryFixture.base + 500
    try await f.append("#h", [("s1", t), ("s2", t), ("s3", t)])
    XCTAssertEqual(try f.history("CHATHISTORY AFTER #h msgid=s1 10"), ["s2", "s3"])
    XCTAssertEqual(try f.history("CHATHISTORY BEFORE #h msgid=s3 2"), ["s1", "s2"])
    XCTAssertEqual(try f.history("CHATHISTORY BETWEEN #h msgid=s3 msgid=s1 10"), ["s2"])
    XCTAssertEqual(try f.history("CHATHISTORY BEFORE #h timestamp=\(WallClock.iso8601(millis: t)) 1"), ["m9"], "before all three")
  }

  /// An msgid the channel never had: nothing, in an empty batch (as Ergo answers).
  static func unknownMsgid(_ f: HistoryFixture) async throws {
    XCTAssertEqual(try f.history("CHATHISTORY BEFORE #h msgid=nope 10"), [])
    XCTAssertEqual(try f.history("CHATHISTORY BETWEEN #h msgid=m1 msgid=nope 10"), [])
    try await f.append("#other", [("o1", HistoryFixture.base + 1)])
    XCTAssertEqual(try f.history("CHATHISTORY AFTER #h msgid=o1 10"), [], "another channel's msgid")
  }

  /// TARGETS: the client's channels whose newest message is between the two times.
  static func targets(_ f: HistoryFixture) async throws {
    let newestOther = HistoryFixture.base + 50  // between m4 and m5
    try await f.append("#other", [("o1", HistoryFixture.base + 5), ("o2", newestOther)])
    func targets(_ from: Int64, _ to: Int64, _ limit: Int) throws -> [String] {
      let (open, lines) = try chathistoryBatch(
        f.client, "CHATHISTORY TARGETS timestamp=\(WallClock.iso8601(millis: from)) timestamp=\(WallClock.iso8601(millis: to)) \(limit)")
      XCTAssertEqual(Array(open.params.dropFirst()), ["draft/chathistory-targets"], "\(open)")
      return lines.map { m in
        XCTAssertEqual(Array(m.params.prefix(1)), ["TARGETS"], "\(m)")
        return m.params.dropFirst().joined(separator: " ")
      }
    }
    let h = "#h " + WallClock.iso8601(millis: f.times[9])
    let other = "#other " + WallClock.iso8601(millis: newestOther)
    let (before, after) = (HistoryFixture.base - 1000, HistoryFixture.base + 100_000)
    XCTAssertEqual(try targets(before, after, 10), [other, h], "oldest newest-message first")
    XCTAssertEqual(try targets(before, after, 1), [other])
    XCTAssertEqual(try targets(after, before, 1), [h], "backwards: counted from the later")
    XCTAssertEqual(try targets(newestOther, after, 10), [h], "the bounds are excluded")
    XCTAssertEqual(try targets(before, f.times[6], 10), [other], "a channel whose newest message is outside is left out")
  }
}

/// Sends a CHATHISTORY line and reads the batch it is answered with: its opening line
/// and what it holds (lines read before, such as echoes, are left alone). Throws with
/// the reply if it is not a batch (a FAIL).
func chathistoryBatch(_ c: IRCTestClient, _ line: String) throws -> (open: IRCMessage, messages: [IRCMessage]) {
  c.send(line)
  let open = try c.expect("the batch for \(line)") {
    $0.command == "FAIL" || ($0.command == "BATCH" && $0.params.first?.hasPrefix("+") == true)
  }
  guard open.command == "BATCH", let id = open.params.first?.dropFirst() else { throw TestError("\(line) was answered \(open)") }
  var messages: [IRCMessage] = []
  while true {
    let m = try c.expect("the rest of the batch for \(line)") {
      ($0.tag("batch") ?? nil) == String(id) || ($0.command == "BATCH" && $0.params == ["-" + id])
    }
    if m.command == "BATCH" { return (open, messages) }
    messages.append(m)
  }
}
