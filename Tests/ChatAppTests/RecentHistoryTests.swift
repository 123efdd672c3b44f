import XCTest

@testable import ChatApp

/// The in-memory recent history keeps each entry packed in one allocation, and gives back
/// exactly what was stored.
final class RecentHistoryTests: XCTestCase {
  func testPackedEntryRoundTrips() {
    let entries = [
      HistoryEntry(
        time: 1_765_000_000_123, msgid: "m0123456789abcdef", source: "alice!a@127.0.0.1", command: "PRIVMSG", channel: "#Otter",
        text: "hello, wörld 👋"),
      HistoryEntry(time: -5, msgid: "", source: "", command: "NOTICE", channel: "#c", text: ""),
      HistoryEntry(
        time: .max, msgid: "x", source: String(repeating: "s", count: 300), command: "PRIVMSG", channel: "#long",
        text: String(repeating: "t", count: 5000)),
    ]
    for e in entries {
      let packed = PackedEntry(e)
      XCTAssertEqual(packed.entry, e)
      XCTAssertEqual(packed.msgid, e.msgid)
    }
    XCTAssertEqual(MemoryLayout<PackedEntry>.stride, 8, "one reference per entry in a channel's array")
  }

  func testKeepsTheLatestUpToItsCapacity() {
    let recent = RecentHistory(capacity: 4)
    func entry(_ i: Int) -> HistoryEntry {
      HistoryEntry(time: Int64(i), msgid: "m\(i)", source: "a!a@h", command: "PRIVMSG", channel: "#c", text: "line \(i)")
    }
    for i in 0..<10 { recent.append("#c", entry(i)) }
    XCTAssertEqual(recent.latest("#c", limit: 3), [entry(7), entry(8), entry(9)])
    XCTAssertEqual(recent.latest("#c", limit: 2, skippingNewest: 1), [entry(7), entry(8)])
    recent.preload("#d", [entry(1), entry(2)])
    recent.append("#d", entry(3))
    recent.preload("#d", [entry(1), entry(2), entry(3)])
    XCTAssertEqual(recent.all("#d"), [entry(1), entry(2), entry(3)], "a stored entry already known is not doubled")
  }
}
