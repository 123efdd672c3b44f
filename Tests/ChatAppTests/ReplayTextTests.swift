// How a stored message reads in a replay without server-time (History/ReplayText.swift):
// the stamp inside a CTCP ACTION, not in front of its delimiter; other CTCP left out.
import XCTest

@testable import ChatApp

final class ReplayTextTests: XCTestCase {
  /// 2026-11-21T12:34:56.789Z
  let noon: Int64 = 1_795_264_496_789

  func testStampHasTheDateAndTheTimeInUTC() {
    XCTAssertEqual(WallClock.iso8601(millis: noon), "2026-11-21T12:34:56.789Z")
    XCTAssertEqual(ReplayText.stamp(millis: noon), "[2026-11-21 12:34:56]")
  }

  func testPlainTextGetsTheStampInFront() {
    XCTAssertEqual(ReplayText.stamped("hello", at: noon), "[2026-11-21 12:34:56] hello")
  }

  func testActionGetsTheStampInsideTheDelimiters() {
    XCTAssertEqual(ReplayText.stamped("\u{01}ACTION waves\u{01}", at: noon), "\u{01}ACTION [2026-11-21 12:34:56] waves\u{01}")
    // The closing delimiter is optional on the way in; it is always there on the way out.
    XCTAssertEqual(ReplayText.stamped("\u{01}ACTION waves", at: noon), "\u{01}ACTION [2026-11-21 12:34:56] waves\u{01}")
    XCTAssertEqual(ReplayText.stamped("\u{01}ACTION\u{01}", at: noon), "\u{01}ACTION [2026-11-21 12:34:56]\u{01}")
    XCTAssertEqual(ReplayText.stamped("\u{01}action two words \u{01}", at: noon), "\u{01}ACTION [2026-11-21 12:34:56] two words \u{01}")
  }

  func testOnlyConversationIsReplayable() {
    XCTAssertTrue(ReplayText.isReplayable("hello"))
    XCTAssertTrue(ReplayText.isReplayable("\u{01}ACTION waves\u{01}"))
    XCTAssertFalse(ReplayText.isReplayable("\u{01}VERSION\u{01}"))
    XCTAssertFalse(ReplayText.isReplayable("\u{01}PING 12345\u{01}"))
    XCTAssertFalse(ReplayText.isReplayable("\u{01}ACTIONS are not actions\u{01}"))
    XCTAssertFalse(ReplayText.isReplayable("\u{01}"))
  }
}
