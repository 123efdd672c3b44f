import BinaryMatch
import BinaryMatchExamples
// The length-prefixed stream decoder: splitting, partial messages, prefix sizes, and
// Python's struct module as the reference for the framing.
import XCTest

final class LengthPrefixedStreamTests: XCTestCase {
  func testSplitsCompleteMessagesAndKeepsTheRest() throws {
    let framing = try XCTUnwrap(LengthPrefixedStream(prefixBytes: 4))
    let stream: [UInt8] = [0, 0, 0, 2, 7, 8, 0, 0, 0, 0, 0, 0, 0, 3, 9]
    let (messages, rest) = framing.split(stream[...])
    XCTAssertEqual(messages.map(Array.init), [[7, 8], []])
    XCTAssertEqual(Array(rest), [0, 0, 0, 3, 9], "the third message has not fully arrived")
    XCTAssertEqual(rest.startIndex, 10, "the rest is a view of the stream")
    XCTAssertEqual(messages[0].startIndex, 4, "messages are views, not copies")
    let (more, left) = framing.split(rest + [10, 11])
    XCTAssertEqual(more.map(Array.init), [[9, 10, 11]])
    XCTAssertTrue(left.isEmpty)
  }

  func testPrefixSizes() throws {
    XCTAssertNil(LengthPrefixedStream(prefixBytes: 3))
    for n in [1, 2, 4] {
      let framing = try XCTUnwrap(LengthPrefixedStream(prefixBytes: n))
      let frame = try framing.frame([1, 2, 3])
      XCTAssertEqual(frame, [UInt8](repeating: 0, count: n - 1) + [3, 1, 2, 3])
      XCTAssertEqual(framing.split(frame[...]).messages.map(Array.init), [[1, 2, 3]])
    }
    XCTAssertThrowsError(
      try LengthPrefixedStream(prefixBytes: 1)!.frame([UInt8](repeating: 0, count: 256)), "255 is the most a 1-byte prefix can say")
  }

  func testAgainstPythonStruct() throws {
    var random = SeededRandom(seed: 4)
    let messages = (0..<20).map { _ in random.bytes(Int.random(in: 0...300, using: &random)) }
    let packed = try PythonStruct.pack(messages.map { ("!I\($0.count)s", ["\($0.count)", "bytes.fromhex(\"\(hex($0))\")"]) })
    let framing = try XCTUnwrap(LengthPrefixedStream(prefixBytes: 4))
    XCTAssertEqual(try messages.map { try framing.frame($0) }, packed)
    let stream = packed.flatMap { $0 }
    let (decoded, rest) = framing.split(stream[...])
    XCTAssertEqual(decoded.map(Array.init), messages)
    XCTAssertTrue(rest.isEmpty)
  }
}
