import XCTest

@testable import Actors

final class HeldWritesTests: XCTestCase {
  let ms: UInt64 = 1_000_000

  func testNothingIsDueBeforeItsDeadlineAndEverythingByOneSlotAfter() {
    var held = HeldWrites<Int>()
    let start: UInt64 = 5_000 * ms
    XCTAssertEqual(held.nextDue, .max)
    for i in 0..<100 { held.hold(i, until: start + UInt64(i % 10) * ms + 3 * ms, now: start) }
    XCTAssertEqual(held.waiting, 100)
    var due: [Int] = []
    var now = start
    var firstSeen: [Int: UInt64] = [:]
    while held.waiting > 0 {
      XCTAssertGreaterThanOrEqual(held.nextDue, now - 1 * ms, "nextDue never lies in the past of a pass")
      now += 100_000  // 0.1 ms steps
      held.takeDue(now: now, into: &due)
      for d in due where firstSeen[d] == nil { firstSeen[d] = now }
      XCTAssertLessThan(now, start + 20 * ms)
    }
    XCTAssertEqual(Set(due), Set(0..<100))
    XCTAssertEqual(due.count, 100)
    for (i, at) in firstSeen {
      let deadline = start + UInt64(i % 10) * ms + 3 * ms
      XCTAssertGreaterThanOrEqual(at, deadline, "never early")
      XCTAssertLessThanOrEqual(at, deadline + (1 << 21) + 100_000, "at most one slot late")
    }
    XCTAssertEqual(held.nextDue, .max)
  }

  func testSocketsDueTogetherAreTakenInOnePassAndNextDueFollows() {
    var held = HeldWrites<Int>()
    let start: UInt64 = 777 * ms
    for i in 0..<1000 { held.hold(i, until: start + 30 * ms, now: start + UInt64(i) * 100) }
    held.hold(-1, until: start + 900 * ms, now: start)
    var due: [Int] = []
    held.takeDue(now: start + 29 * ms, into: &due)
    XCTAssertTrue(due.isEmpty)
    held.takeDue(now: held.nextDue, into: &due)
    XCTAssertEqual(due.count, 1000)
    XCTAssertEqual(held.waiting, 1)
    XCTAssertGreaterThanOrEqual(held.nextDue, start + 900 * ms)
    XCTAssertLessThanOrEqual(held.nextDue, start + 900 * ms + (1 << 21))
    due = []
    held.takeDue(now: start + 2_000 * ms, into: &due)
    XCTAssertEqual(due, [-1])
  }

  func testAPastDeadlineIsDueAtTheNextPass() {
    var held = HeldWrites<Int>()
    let now: UInt64 = 1_000 * ms
    held.hold(1, until: now - 50 * ms, now: now)
    var due: [Int] = []
    held.takeDue(now: now + 3 * ms, into: &due)
    XCTAssertEqual(due, [1])
  }
}
