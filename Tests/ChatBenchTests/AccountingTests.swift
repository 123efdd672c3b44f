// Delivery accounting as ircload does it: expected copies, lost, fully delivered,
// percentiles at index ⌊n·q⌋; and a copy a member gets twice is a duplicate, not a delivery.
import XCTest

@testable import chatbench

final class AccountingTests: XCTestCase {
  func testSamplesPackSeqAndCappedLatency() {
    let s = Sample(seq: 7, latencyMicros: UInt64(UInt32.max) + 5)
    XCTAssertEqual(s.seq, 7)
    XCTAssertEqual(s.latencyMicros, UInt32.max)
  }

  func testPercentilesAtIrcloadIndices() {
    var micros: [UInt32] = (1...100).map { UInt32($0 * 1000) }.shuffled()
    let l = LatencySummary.of(&micros)
    XCTAssertEqual(l.p50, 51)  // index 50 of 1...100 ms
    XCTAssertEqual(l.p99, 100)  // index 99
    XCTAssertEqual(l.max, 100)
    XCTAssertEqual(l.mean, 50.5, accuracy: 1e-9)
    var none: [UInt32] = []
    XCTAssertEqual(LatencySummary.of(&none), .empty)
  }

  func testLostFullyDeliveredAndShortMessages() {
    var ledger = DeliveryLedger(rate: 1, duration: 2)  // max 18 messages
    XCTAssertEqual(ledger.maxMessages, 18)
    ledger.recordSend(copies: 2)  // seq 0
    ledger.recordSkip()  // seq 1: sender not in the room
    ledger.recordSend(copies: 2)  // seq 2
    let a = [Sample(seq: 0, latencyMicros: 1000), Sample(seq: 2, latencyMicros: 3000)]
    let b = [Sample(seq: 0, latencyMicros: 2000)]
    let t = ledger.tally([a, b])
    XCTAssertEqual(t.expected, 4)
    XCTAssertEqual(t.received, 3)
    XCTAssertEqual(t.lost, 1)
    XCTAssertEqual(t.fullyDelivered, 1)
    XCTAssertEqual(t.short, [ShortMessage(seq: 2, expected: 2, received: 1)])
    XCTAssertEqual(t.latency.count, 3)
  }

  func testACopyReceivedTwiceIsADuplicateAndCannotHideALostOne() {
    var ledger = DeliveryLedger(rate: 1, duration: 2)
    ledger.recordSend(copies: 2)  // seq 0: members a and b
    ledger.recordSend(copies: 2)  // seq 1: members a and b
    // a gets seq 0 twice (two paths through a network) and seq 1; b gets only seq 1.
    let a = [Sample(seq: 0, latencyMicros: 1000), Sample(seq: 1, latencyMicros: 1000), Sample(seq: 0, latencyMicros: 5000)]
    let b = [Sample(seq: 1, latencyMicros: 2000)]
    let t = ledger.tally([a, b])
    XCTAssertEqual(t.expected, 4)
    XCTAssertEqual(t.received, 3)
    XCTAssertEqual(t.duplicates, 1)
    XCTAssertEqual(t.lost, 1)
    XCTAssertEqual(t.short, [ShortMessage(seq: 0, expected: 2, received: 1)])
    XCTAssertEqual(t.fullyDelivered, 1)
    XCTAssertEqual(t.latency.max, 2, "the duplicate's latency is not a sample")
    // The same message once at each of two receivers is no duplicate.
    XCTAssertEqual(ledger.tally([[Sample(seq: 0, latencyMicros: 1)], [Sample(seq: 0, latencyMicros: 1)]]).duplicates, 0)
  }
}
