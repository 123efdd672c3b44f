import XCTest

@testable import Actors

/// The timing wheel behind every scheduler's timers, driven with a fake clock.
final class TimerWheelTests: XCTestCase {
  let slot: UInt64 = 1 << TimerWheel.shift

  private func entries(_ node: Node, _ deadlines: [UInt64]) -> [TimerEntry] {
    let service = node.schedulers[0].timers!
    return deadlines.enumerated().map { i, d in
      TimerEntry(deadline: d, sequence: UInt64(i), action: .closure({}), service: service)
    }
  }

  func testFiresNeverEarlyAndAtMostOneSlotLate() throws {
    let node = try Node(schedulers: 1)
    defer { node.shutdown() }
    let start: UInt64 = 1_000_000_000
    var wheel = TimerWheel(now: start)
    let deadlines: [UInt64] = (1...200).map { start + UInt64($0) * 50_000 }  // every 50 µs for 10 ms
    let es = entries(node, deadlines)
    for e in es { wheel.insert(e) }
    XCTAssertEqual(wheel.count, 200)
    var fired: [UInt64: UInt64] = [:]
    var now = start
    while now < start + 12_000_000 {
      var due: [TimerEntry] = []
      wheel.takeDue(now: now, into: &due)
      for e in due { fired[e.deadline] = now }
      now += 10_000
    }
    XCTAssertEqual(fired.count, 200)
    for (deadline, at) in fired {
      XCTAssertGreaterThanOrEqual(at, deadline, "fired early")
      XCTAssertLessThanOrEqual(at, deadline + 2 * slot, "fired more than a slot late")
    }
    XCTAssertEqual(wheel.count, 0)
  }

  func testCancelRemovesFromSlotOverdueAndFar() throws {
    let node = try Node(schedulers: 1)
    defer { node.shutdown() }
    let start: UInt64 = 5_000_000_000
    var wheel = TimerWheel(now: start)
    let near = entries(node, [start + 3 * slot, start + 3 * slot + 1, start + 3 * slot + 2])
    let overdue = entries(node, [start - 10 * slot])
    let far = entries(node, [start + 10 * UInt64(TimerWheel.slotCount) * slot])
    for e in near + overdue + far { wheel.insert(e) }
    XCTAssertEqual(far[0].place, TimerEntry.far)
    XCTAssertEqual(overdue[0].place, TimerEntry.overdue)
    wheel.remove(near[1])  // middle of a slot list
    wheel.remove(overdue[0])
    wheel.remove(far[0])
    XCTAssertEqual(wheel.count, 2)
    var due: [TimerEntry] = []
    wheel.takeDue(now: start + 5 * slot, into: &due)
    XCTAssertEqual(Set(due.map(\.deadline)), [near[0].deadline, near[2].deadline])
    XCTAssertEqual(wheel.count, 0)
    XCTAssertNil(wheel.nextDue(now: start + 5 * slot))
  }

  func testFarTimersMoveIntoTheWheelAndFire() throws {
    let node = try Node(schedulers: 1)
    defer { node.shutdown() }
    let start: UInt64 = 7_000_000_000
    var wheel = TimerWheel(now: start)
    let horizon = UInt64(TimerWheel.slotCount) * slot
    let es = entries(node, [start + horizon + 5 * slot, start + 3 * horizon])
    for e in es { wheel.insert(e) }
    XCTAssertEqual(wheel.nextDue(now: start), es[0].deadline)
    var due: [TimerEntry] = []
    var now = start
    while due.count < 2 && now < start + 4 * horizon {
      now += horizon / 7
      wheel.takeDue(now: now, into: &due)
      for e in due { XCTAssertGreaterThanOrEqual(now, e.deadline) }
    }
    XCTAssertEqual(due.map(\.deadline).sorted(), es.map(\.deadline))
  }

  func testOverdueEntryFiresOnTheNextCall() throws {
    let node = try Node(schedulers: 1)
    defer { node.shutdown() }
    let start: UInt64 = 9_000_000_000
    var wheel = TimerWheel(now: start)
    var due: [TimerEntry] = []
    wheel.takeDue(now: start + 10 * slot, into: &due)
    let late = entries(node, [start + 2 * slot])  // its slot has already been processed
    wheel.insert(late[0])
    XCTAssertEqual(wheel.nextDue(now: start + 10 * slot), start + 10 * slot)
    wheel.takeDue(now: start + 10 * slot, into: &due)
    XCTAssertEqual(due.count, 1)
  }

  func testNextDueFindsTheFirstOccupiedSlot() throws {
    let node = try Node(schedulers: 1)
    defer { node.shutdown() }
    let start: UInt64 = 11_000_000_000
    var wheel = TimerWheel(now: start)
    XCTAssertNil(wheel.nextDue(now: start))
    let es = entries(node, [start + 1000 * slot + 5, start + 70 * slot + 5])
    for e in es { wheel.insert(e) }
    let next = wheel.nextDue(now: start)!
    XCTAssertGreaterThanOrEqual(next, es[1].deadline)
    XCTAssertLessThanOrEqual(next, es[1].deadline + slot)
  }

  func testFarTimerFiresAfterALongSleepPastItsSlot() throws {
    // Regression: a far timer whose slot the wheel jumped over (no call for longer than
    // the horizon) must fire, not stay reported as due forever.
    let node = try Node(schedulers: 1)
    defer { node.shutdown() }
    let start: UInt64 = 13_000_000_000
    var wheel = TimerWheel(now: start)
    let horizon = UInt64(TimerWheel.slotCount) * slot
    let es = entries(node, [start + 2 * horizon])
    wheel.insert(es[0])
    var due: [TimerEntry] = []
    wheel.takeDue(now: start + 5 * horizon, into: &due)
    XCTAssertEqual(due.count, 1)
    XCTAssertEqual(wheel.count, 0)
    XCTAssertNil(wheel.nextDue(now: start + 5 * horizon))
  }
}
