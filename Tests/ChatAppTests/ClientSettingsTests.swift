import XCTest

@testable import ChatApp

/// `ClientSettings` keeps its rarely set fields out of line, copy-on-write: a copy (a
/// snapshot) must not see later changes, and the fields read as before.
final class ClientSettingsTests: XCTestCase {
  func testRareFieldsDefaultAndSet() {
    var info = ClientSettings()
    XCTAssertNil(info.away)
    XCTAssertTrue(info.monitoring.isEmpty)
    XCTAssertNil(info.quitMessage)
    info.away = "lunch"
    info.monitoring.insert("bob")
    info.quitMessage = "bye"
    XCTAssertEqual(info.away, "lunch")
    XCTAssertEqual(info.monitoring, ["bob"])
    XCTAssertEqual(info.quitMessage, "bye")
    info.away = nil
    info.monitoring = []
    XCTAssertNil(info.away)
    XCTAssertTrue(info.monitoring.isEmpty)
    XCTAssertEqual(info.quitMessage, "bye")
  }

  func testCopyDoesNotSeeLaterChanges() {
    var info = ClientSettings()
    info.away = "one"
    info.monitoring.insert("a")
    let snapshot = info
    info.away = "two"
    info.monitoring.insert("b")
    XCTAssertEqual(snapshot.away, "one")
    XCTAssertEqual(snapshot.monitoring, ["a"])
    XCTAssertEqual(info.away, "two")
    XCTAssertEqual(info.monitoring, ["a", "b"])
  }
}
