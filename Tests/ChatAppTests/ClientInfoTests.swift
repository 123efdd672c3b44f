import XCTest
@testable import ChatApp

/// `ClientInfo` keeps its rarely set fields out of line, copy-on-write (issue 7): a copy
/// (a snapshot) must not see later changes, and the fields read as before.
final class ClientInfoTests: XCTestCase {
  func testRareFieldsDefaultAndSet() {
    var info = ClientInfo()
    XCTAssertNil(info.away)
    XCTAssertTrue(info.monitoring.isEmpty)
    XCTAssertNil(info.quitMessage)
    XCTAssertTrue(info.quitTold.isEmpty)
    info.away = "lunch"
    info.monitoring.insert("bob")
    XCTAssertTrue(info.quitTold.insert(7).inserted)
    XCTAssertFalse(info.quitTold.insert(7).inserted)
    info.quitMessage = "bye"
    XCTAssertEqual(info.away, "lunch")
    XCTAssertEqual(info.monitoring, ["bob"])
    XCTAssertEqual(info.quitTold, [7])
    XCTAssertEqual(info.quitMessage, "bye")
    info.away = nil
    info.monitoring = []
    XCTAssertNil(info.away)
    XCTAssertTrue(info.monitoring.isEmpty)
    XCTAssertEqual(info.quitMessage, "bye")
  }

  func testCopyDoesNotSeeLaterChanges() {
    var info = ClientInfo()
    info.away = "one"
    info.monitoring.insert("a")
    let snapshot = info
    info.away = "two"
    info.monitoring.insert("b")
    info.quitTold.insert(1)
    XCTAssertEqual(snapshot.away, "one")
    XCTAssertEqual(snapshot.monitoring, ["a"])
    XCTAssertTrue(snapshot.quitTold.isEmpty)
    XCTAssertEqual(info.away, "two")
    XCTAssertEqual(info.monitoring, ["a", "b"])
  }
}
