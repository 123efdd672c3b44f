// The wire form is plain enough to read with Erlang's bit syntax: frames built by the
// encoder are matched with BinaryMatch patterns, and a frame built with a pattern is read
// by the decoder. Also the encoding's edges: varints, zigzag, bounds on counts.
import BinaryMatch
import XCTest

@testable import Distribution

final class WireFormatTests: XCTestCase {
  func testFramesMatchWithTheBitSyntax() throws {
    // A `send` frame to process 5: length, kind 10, target 5, then Echo.pong(300):
    // case 1, then 300 zigzagged (600) as a varint (0xD8 0x04).
    var e = WireEncoder(context: nil)
    e.beginFrame(.send)
    e.writeVarint(5)
    Echo.pong(300).encode(to: &e)
    let frame = e.finishFrame()
    let p = try BitPattern("Len:32, Kind:8, Target:8, Case:8, Low:8, High:8")
    var m = try XCTUnwrap(p.match(frame))
    XCTAssertEqual(m[try p.field("Len", as: UInt32.self)], UInt32(frame.count - 4))
    XCTAssertEqual(m[try p.field("Kind", as: UInt8.self)], FrameKind.send.rawValue)
    XCTAssertEqual(m[try p.field("Target", as: UInt8.self)], 5)
    XCTAssertEqual(m[try p.field("Case", as: UInt8.self)], 1)
    let low = Int(m[try p.field("Low", as: UInt8.self)])
    let high = Int(m[try p.field("High", as: UInt8.self)])
    XCTAssertEqual((low & 0x7F) | high << 7, 600, "300 zigzagged, as a varint")
    // And the other way: a frame built with a pattern, read by the decoder.
    let text = try BitPattern("Kind:8, Target:8, Case:8, N:8, Text/binary")
    let built = try text.build(["Kind": 10, "Target": 7, "Case": 2, "N": 5, "Text": "hello"])
    var d = WireDecoder(built, offset: 2, context: nil)
    XCTAssertEqual(try Echo(from: &d), .text("hello"))
    XCTAssertTrue(d.isAtEnd)
  }

  func testNumbersAndBounds() throws {
    for v: Int in [0, 1, -1, 63, -64, 64, 1 << 40, -(1 << 40), .max, .min] {
      var e = WireEncoder(context: nil)
      v.encode(to: &e)
      var d = WireDecoder(e.bytes, context: nil)
      XCTAssertEqual(try Int(from: &d), v)
    }
    // A count that claims more elements than bytes are left is refused, not allocated.
    var d = WireDecoder([0xFF, 0xFF, 0xFF, 0xFF, 0x0F], context: nil)
    XCTAssertThrowsError(try [Int](from: &d))
    // A varint over 64 bits is refused.
    var long = WireDecoder([UInt8](repeating: 0xFF, count: 11), context: nil)
    XCTAssertThrowsError(try UInt64(from: &long))
    // Truncated input is an error, never a crash.
    var e = WireEncoder(context: nil)
    "a string".encode(to: &e)
    for n in 0..<e.bytes.count {
      var t = WireDecoder(Array(e.bytes.prefix(n)), context: nil)
      XCTAssertThrowsError(try String(from: &t))
    }
  }
}
