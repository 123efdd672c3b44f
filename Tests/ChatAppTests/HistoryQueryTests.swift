// The pure parts of CHATHISTORY: a command checked into a query, a query planned into
// reads and the reads put together, the Redis archive's bounded buffer, and msgids.
import XCTest

@testable import ChatApp

final class HistoryQueryTests: XCTestCase {
  // MARK: - Planning

  func p(_ time: Int64, _ sequence: UInt64) -> HistoryPosition { HistoryPosition(time: time, sequence: sequence) }

  func testSelectorsBecomeExclusiveBounds() throws {
    let positions = ["a": p(100, 7)]
    XCTAssertEqual(
      HistoryQuery.before(.time(100), limit: 5).ranges(positions: positions),
      [HistoryRange(from: nil, to: p(100, 0), newest: true, limit: 5)], "before every message of that millisecond")
    XCTAssertEqual(
      HistoryQuery.after(.time(100), limit: 5).ranges(positions: positions),
      [HistoryRange(from: p(101, 0), newest: false, limit: 5)], "after all of them")
    XCTAssertEqual(
      HistoryQuery.after(.msgid("a"), limit: 5).ranges(positions: positions),
      [HistoryRange(from: p(100, 8), to: nil, newest: false, limit: 5)])
    XCTAssertEqual(
      HistoryQuery.latest(after: .msgid("a"), limit: 5).ranges(positions: positions),
      [HistoryRange(from: p(100, 8), to: nil, newest: true, limit: 5)])
    XCTAssertEqual(
      HistoryQuery.between(.msgid("a"), .time(50), limit: 5).ranges(positions: positions),
      [HistoryRange(from: p(51, 0), to: p(100, 7), newest: true, limit: 5)], "backwards: the newest, from the first")
    XCTAssertNil(HistoryQuery.before(.msgid("b"), limit: 5).ranges(positions: positions), "an unknown msgid")
  }

  func testAroundKeepsAWindowAroundThePoint() {
    func entries(_ ids: ClosedRange<Int>) -> [HistoryEntry] {
      ids.map { HistoryEntry(time: Int64($0), msgid: "\($0)", source: "", command: "PRIVMSG", channel: "#c", text: "") }
    }
    func ids(_ e: [HistoryEntry]) -> [String] { e.map(\.msgid) }
    let around = { (n: Int) in HistoryQuery.around(.msgid("x"), limit: n) }
    XCTAssertEqual(ids(around(4).combine([entries(0...3), entries(4...7)])), ["2", "3", "4", "5"])
    XCTAssertEqual(ids(around(5).combine([entries(0...4), entries(5...9)])), ["3", "4", "5", "6", "7"])
    XCTAssertEqual(ids(around(4).combine([entries(0...3), entries(4...4)])), ["1", "2", "3", "4"], "short after: more before")
    XCTAssertEqual(ids(around(4).combine([[], entries(4...9)])), ["4", "5", "6", "7"], "nothing before")
  }

  // MARK: - Parsing

  func testCommandsBecomeQueries() {
    func parse(_ line: String, max: Int = 100) -> ChatHistoryCommand? {
      try? ChatHistoryCommand.parse(line.split(separator: " ").map(String.init), maxLimit: max).get()
    }
    XCTAssertEqual(parse("LATEST #c * 10"), .messages(subcommand: "LATEST", target: "#c", .latest(after: nil, limit: 10)))
    XCTAssertEqual(parse("LATEST #c * 500"), .messages(subcommand: "LATEST", target: "#c", .latest(after: nil, limit: 100)), "clamped")
    XCTAssertEqual(parse("before #c msgid=x 3"), .messages(subcommand: "before", target: "#c", .before(.msgid("x"), limit: 3)))
    XCTAssertEqual(
      parse("AFTER #c timestamp=2019-01-04T14:33:26.123Z 3"),
      .messages(subcommand: "AFTER", target: "#c", .after(.time(1_546_612_406_123), limit: 3)))
    XCTAssertEqual(
      parse("BETWEEN #c msgid=x timestamp=2019-01-04T14:33:26Z 3"),
      .messages(subcommand: "BETWEEN", target: "#c", .between(.msgid("x"), .time(1_546_612_406_000), limit: 3)))
    XCTAssertEqual(
      parse("TARGETS timestamp=2019-01-04T14:33:26.123Z timestamp=2019-01-04T14:33:26.000Z 7"),
      .targets(from: 1_546_612_406_123, to: 1_546_612_406_000, limit: 7))
  }

  // MARK: - The Redis archive's buffer

  func testTheBufferDropsItsOldestWhenFullAndCountsThem() {
    var buffer = PendingAppends(limit: 3)
    for i in 0..<5 {
      buffer.append("#c", HistoryEntry(time: Int64(i), msgid: "m\(i)", source: "", command: "PRIVMSG", channel: "#c", text: ""))
    }
    XCTAssertEqual(buffer.count, 3)
    XCTAssertEqual(buffer.takeDropped(), 2)
    XCTAssertEqual(buffer.takeDropped(), 0, "counted once")
    XCTAssertEqual(buffer.first(2).map(\.entry.msgid), ["m2", "m3"])
    buffer.removeFirst(2)
    XCTAssertEqual(buffer.first(10).map(\.entry.msgid), ["m4"])
    buffer.removeFirst(1)
    XCTAssertTrue(buffer.isEmpty)
  }

  // MARK: - Message ids

  /// An msgid starts with the moment its process started and 40 random bits, so ids
  /// from different processes (nodes, restarts) differ without anyone coordinating.
  func testMessageIDsCarryTheProcessStartAndRandomBits() throws {
    let id = MessageID.next()
    let parts = id.split(separator: "-")
    XCTAssertEqual(parts.count, 2, id)
    let prefix = String(parts[0])
    XCTAssertEqual(prefix.count, 16, "eight base-36 digits of milliseconds, eight of random bits: \(id)")
    let started = try XCTUnwrap(Int64(prefix.prefix(8), radix: 36))
    XCTAssertLessThanOrEqual(started, WallClock.millis())
    XCTAssertGreaterThan(started, WallClock.millis() - 24 * 3600 * 1000, "the start of this test process")
    XCTAssertNotEqual(MessageID.next(), MessageID.next())
  }
}
