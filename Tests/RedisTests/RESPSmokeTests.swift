import XCTest

@testable import Redis

final class RESPSmokeTests: XCTestCase {
  func testDecodesAPipelineInPieces() throws {
    var d = RESPDecoder()
    let wire = Array("+OK\r\n$5\r\nhello\r\n*2\r\n:1\r\n%1\r\n+a\r\n#t\r\n".utf8)
    var got: [RESPValue] = []
    for b in wire {
      d.feed([b])
      while let v = try d.next() { got.append(v) }
    }
    XCTAssertEqual(got.count, 3)
    XCTAssertEqual(got[1].string, "hello")
    XCTAssertEqual(got[2], .array([.integer(1), .map([RESPPair(key: .simpleString("a"), value: .boolean(true))])]))
  }
}
