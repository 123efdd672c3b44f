// The view's diffing alone: ups, downs, replacements, buried incarnations that stay
// down, members missing after Redis lost its data (declared only while Redis answers us,
// after a grace counted again after an outage), and the reset after a lost lease.
import XCTest

@testable import Distribution

final class MembershipViewTests: XCTestCase {
  private func info(_ name: String, _ incarnation: UInt64) -> MemberInfo {
    MemberInfo(name: name, incarnation: incarnation, address: "a:\(incarnation)")
  }

  func testUpsDownsAndReplacements() {
    var view = MembershipView(me: "me")
    XCTAssertEqual(view.applyUp(info("me", 1)), [])
    XCTAssertEqual(view.applyUp(info("x", 5)), [.nodeUp(info("x", 5))])
    XCTAssertEqual(view.applyUp(info("x", 5)), [])
    XCTAssertEqual(view.applyUp(info("x", 4)), [], "an older incarnation is stale")
    XCTAssertEqual(
      view.applyUp(info("x", 7)), [.nodeDown(info("x", 5), reason: "replaced by a newer incarnation"), .nodeUp(info("x", 7))])
    XCTAssertEqual(view.applyUp(info("x", 5)), [], "buried")
    XCTAssertEqual(view.applyDown(name: "x", incarnation: 7, reason: "left"), [.nodeDown(info("x", 7), reason: "left")])
    XCTAssertEqual(view.applyUp(info("x", 7)), [], "a late notice does not bring it back")
    XCTAssertEqual(view.applyDown(name: "x", incarnation: 7, reason: "left"), [])
    XCTAssertEqual(view.applyUp(info("y", 2)), [.nodeUp(info("y", 2))])
    XCTAssertEqual(
      view.applyDown(name: "y", incarnation: 3, reason: "lease expired"),
      [.nodeDown(info("y", 2), reason: "replaced by a newer incarnation")])
  }

  func testSweepsAndMissingMembers() {
    var view = MembershipView(me: "me")
    let t0 = ContinuousClock.now
    XCTAssertEqual(view.applySweep(live: [info("me", 1), info("x", 5), info("y", 6)], statuses: [], now: t0).count, 2)
    // Redis lost its data: x is missing, not down; y is down.
    let events = view.applySweep(
      live: [info("me", 1)],
      statuses: [.init(name: "x", incarnation: 5, downReason: nil), .init(name: "y", incarnation: 6, downReason: "lease expired")],
      now: t0)
    XCTAssertEqual(events, [.nodeDown(info("y", 6), reason: "lease expired")])
    XCTAssertEqual(view.sweepArguments(now: t0 + .seconds(1), grace: .seconds(2)), ["x", "5", "0"])
    XCTAssertEqual(view.sweepArguments(now: t0 + .seconds(2), grace: .seconds(2)), ["x", "5", "1"])
    // Not while Redis does not answer us (the sweep may wait in a paused server and run
    // after x could not register again either); once it does, a fresh grace.
    XCTAssertEqual(view.sweepArguments(now: t0 + .seconds(2), grace: .seconds(2), mayDeclare: false), ["x", "5", "0"])
    view.restartGraces()
    XCTAssertEqual(view.sweepArguments(now: t0 + .seconds(3), grace: .seconds(2)), ["x", "5", "0"])
    _ = view.applySweep(live: [], statuses: [.init(name: "x", incarnation: 5, downReason: nil)], now: t0 + .seconds(3))
    XCTAssertEqual(view.sweepArguments(now: t0 + .seconds(4), grace: .seconds(2)), ["x", "5", "0"])
    XCTAssertEqual(view.sweepArguments(now: t0 + .seconds(5), grace: .seconds(2)), ["x", "5", "1"])
    // It comes back under the same incarnation: nothing to report.
    XCTAssertEqual(view.applySweep(live: [info("x", 5)], statuses: [], now: t0), [])
    XCTAssertEqual(view.sweepArguments(now: t0 + .seconds(9), grace: .seconds(2)), ["x", "5", "0"])
    // Our lease was lost: every peer goes down, and may come up again (not buried).
    XCTAssertEqual(view.dropAll(reason: "lost"), [.nodeDown(info("x", 5), reason: "lost")])
    XCTAssertEqual(view.applyUp(info("x", 5)), [.nodeUp(info("x", 5))])
  }

  func testNotices() {
    XCTAssertEqual(
      MembershipNotice(ArraySlice(#"up\#nx\#n12\#n{"address":"h:1","metadata":{},"name":"x"}"#.utf8)),
      .up(MemberInfo(name: "x", incarnation: 12, address: "h:1")))
    XCTAssertEqual(
      MembershipNotice(ArraySlice("leave\nx\n12\nleft".utf8)), .down(name: "x", incarnation: 12, reason: "left"))
    XCTAssertNil(MembershipNotice(ArraySlice("up\nx\n12\n{not json".utf8)))
    XCTAssertNil(MembershipNotice(ArraySlice("hello".utf8)))
    let a = MemberAnnouncement(name: "x", address: "h:1", metadata: ["pid": "42"])
    XCTAssertEqual(MemberAnnouncement.decode(Array(a.json.utf8)), a)
  }
}
