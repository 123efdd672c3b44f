// chatbench's reading of server lines and of its own message payloads.
import XCTest

@testable import chatbench

final class IRCLineTests: XCTestCase {
  private func parse(_ s: String) -> IRCLine { IRCLine.parse(Array(s.utf8)) }

  func testPrivmsgTextStartsAfterTheFirstSpaceColon() {
    let line = ":n!u@h PRIVMSG #r0 :123 4 5 xx"
    guard case .privmsg(let text) = parse(line) else { return XCTFail("not a PRIVMSG") }
    XCTAssertEqual(String(decoding: Array(line.utf8)[text], as: UTF8.self), "123 4 5 xx")
  }

  func testTagsAndPrefixAreSkipped() {
    guard case .privmsg = parse("@time=2026-01-01T00:00:00Z :n!u@h PRIVMSG #r0 :hi") else { return XCTFail("tags") }
    XCTAssertEqual(parse(":server   001 b0 :Welcome"), .numeric(1))
    XCTAssertEqual(parse(":server 366 b0 #r0 :End of NAMES"), .numeric(366))
  }

  func testPingErrorAndOther() {
    guard case .ping(let args) = parse("PING :abc") else { return XCTFail("PING") }
    XCTAssertEqual(args, 5..<9)
    XCTAssertEqual(parse("ERROR :Closing link"), .error)
    XCTAssertEqual(parse(":n!u@h JOIN #r0"), .other)
    XCTAssertEqual(parse(":n!u@h PRIVMSG #r0 no-colon"), .other)
  }

  func testGarbageNeverTraps() {
    for s in ["", "@", ":", "@x", ":p", " ", "PRIVMSG", "12", "999", "\u{0}\u{1}"] { _ = parse(s) }
  }

  func testPayloadRoundTripsThroughTheOutgoingMessage() {
    let bytes = OutgoingLines.message(roomPrefix: "#r", room: 3, sentAt: 123_456, sender: 7, seq: 42, size: 100)
    let line = Array(bytes.dropLast(2))
    XCTAssertEqual(bytes.count, "PRIVMSG #r3 :".utf8.count + 100 + 2)
    guard case .privmsg(let text) = IRCLine.parse(line) else { return XCTFail("not a PRIVMSG") }
    let payload = line.withUnsafeBufferPointer { Payload.parse($0, text, maxMessages: 100) }
    XCTAssertEqual(payload, Payload(sentAt: 123_456, sender: 7, seq: 42))
  }

  func testForeignPayloads() {
    XCTAssertNil(Payload.parse(text: "hello there", maxMessages: 10))
    XCTAssertNil(Payload.parse(text: "1 2 10 x", maxMessages: 10), "seq beyond max_msgs")
    XCTAssertNil(Payload.parse(text: "99999999999999999999999 2 1 x", maxMessages: 10), "overflow")
    XCTAssertEqual(Payload.parse(text: "5 -2 3", maxMessages: 10), Payload(sentAt: 5, sender: -2, seq: 3))
  }

  func testRegistrationAndPongBytesMatchIrcload() {
    XCTAssertEqual(
      String(decoding: OutgoingLines.registration(prefix: "b", id: 12), as: UTF8.self),
      "NICK b12\r\nUSER u12 0 * :ircload 12\r\n")
    XCTAssertEqual(String(decoding: OutgoingLines.pong(Array(":x".utf8)), as: UTF8.self), "PONG :x\r\n")
    XCTAssertEqual(String(decoding: OutgoingLines.nickRetry(prefix: "b", id: 1, attempt: 2), as: UTF8.self), "NICK b1_2\r\n")
  }
}
