// A broadcast line's WebSocket frames: the same bytes `WebSocket.Output.send(line:)`
// would frame, made once per tag variant and framing, then shared by every copy.
import XCTest

@testable import ChatApp

final class TaggedLineFrameTests: XCTestCase {
  let codec = WebSocket.Codec.shared

  func testFramesMatchThePerCopyPathAndAreMadeOnce() {
    let line = TaggedLine(
      IRCMessage(source: "a!a@h", "PRIVMSG", ["#r", "héllo " + String(repeating: "x", count: 150)]),
      timeMillis: 1_700_000_000_000, msgid: "m1")
    let plain = line.bytes(for: [])
    XCTAssertEqual(Array(plain.suffix(2)), [0x0D, 0x0A])
    let text = line.frame(for: [], binary: false)
    XCTAssertEqual(text, codec.encode(.text, plain.dropLast(2)))
    XCTAssertEqual(text, WebSocket.Output.frame(line: plain, binary: false))
    XCTAssertEqual(text[1], 126)  // over 125 bytes: the 16-bit length form
    XCTAssertEqual(line.frame(for: [], binary: true), codec.encode(.binary, plain.dropLast(2)))
    // Cached: the second copy gets the very same buffer.
    let again = line.frame(for: [], binary: false)
    XCTAssertEqual(text.withUnsafeBufferPointer { $0.baseAddress }, again.withUnsafeBufferPointer { $0.baseAddress })
    // Another tag variant is another frame, of that variant's line.
    let timed = line.frame(for: [.serverTime], binary: false)
    XCTAssertNotEqual(timed, text)
    XCTAssertEqual(timed, codec.encode(.text, line.bytes(for: [.serverTime]).dropLast(2)))
    XCTAssertTrue(String(decoding: timed, as: UTF8.self).contains("@time=2023-11-14T22:13:20.000Z "))
  }

  func testTextFramesAreRepairedBinaryFramesAreNot() {
    let line = TaggedLine(IRCMessage(source: "a!a@h", "PRIVMSG", ["#r", "a"]))
    // A line with a byte that is not UTF-8, as an IRC client may send.
    var raw = line.bytes(for: [])
    raw.insert(0xFF, at: raw.count - 3)
    XCTAssertEqual(WebSocket.Output.frame(line: raw, binary: true), codec.encode(.binary, raw.dropLast(2)))
    let repaired = WebSocket.Output.frame(line: raw, binary: false)
    XCTAssertTrue(UTF8Validation.isValid(repaired[2...]))
    XCTAssertTrue(repaired.contains(0xEF))  // U+FFFD
  }
}
