import BinaryMatch
import BinaryMatchExamples
// The TCP decoder against a hand-checked SYN segment with an MSS option, malformed headers,
// and Python's struct module.
import XCTest

final class TCPHeaderTests: XCTestCase {
  let codec = TCPCodec()

  func testSynWithMSSOption() throws {
    // Port 54321 → 80, seq 0x01020304, SYN, window 65535, data offset 6 with the option
    // MSS = 1460 (kind 2, length 4, 0x05B4), as laid out in RFC 9293 §3.1 and §3.2.
    let bytes: [UInt8] = [
      0xD4, 0x31, 0x00, 0x50, 0x01, 0x02, 0x03, 0x04, 0x00, 0x00, 0x00, 0x00,
      0x60, 0x02, 0xFF, 0xFF, 0x12, 0x34, 0x00, 0x00, 0x02, 0x04, 0x05, 0xB4,
    ]
    let segment = try XCTUnwrap(codec.decode(bytes))
    XCTAssertEqual(
      segment.header,
      TCPHeader(
        sourcePort: 54321, destinationPort: 80, sequenceNumber: 0x0102_0304, acknowledgmentNumber: 0,
        dataOffset: 6, reserved: 0, flags: .syn, window: 65535, checksum: 0x1234, urgentPointer: 0))
    XCTAssertEqual(Array(bytes[segment.options]), [0x02, 0x04, 0x05, 0xB4])
    XCTAssertEqual(segment.payload, 24..<24)
    XCTAssertEqual(try codec.encode(segment.header, options: [0x02, 0x04, 0x05, 0xB4]), bytes)
  }

  func testFlagsAndPayload() throws {
    let header = TCPHeader(
      sourcePort: 1, destinationPort: 2, sequenceNumber: .max, acknowledgmentNumber: 7,
      flags: [.ack, .psh, .fin, .ns], window: 512, checksum: 0xFFFF, urgentPointer: 3)
    let bytes = try codec.encode(header, payload: Array("hello".utf8))
    XCTAssertEqual(bytes[12], 0x51, "data offset 5, reserved 0, NS set")
    XCTAssertEqual(bytes[13], 0x19, "ACK | PSH | FIN")
    let segment = try XCTUnwrap(codec.decode(bytes))
    XCTAssertEqual(segment.header, header)
    XCTAssertEqual(String(decoding: bytes[segment.payload], as: UTF8.self), "hello")
  }

  func testRejectsMalformedHeaders() throws {
    let good = try codec.encode(TCPHeader(sourcePort: 1, destinationPort: 2))
    var small = good
    small[12] = 0x40
    XCTAssertNil(codec.decode(small), "data offset 4")
    var large = good
    large[12] = 0xF0
    XCTAssertNil(codec.decode(large), "data offset 15 without 40 option bytes")
    XCTAssertNil(codec.decode(Array(good[0..<19])))
  }

  func testAgainstPythonStruct() throws {
    var random = SeededRandom(seed: 9293)
    var cases: [(TCPHeader, [UInt8], [UInt8])] = []
    var formats: [(format: String, values: [String])] = []
    for _ in 0..<32 {
      let options = random.bytes(4 * Int.random(in: 0...10, using: &random))
      let payload = random.bytes(Int.random(in: 0...30, using: &random))
      let h = TCPHeader(
        sourcePort: .random(in: 0...UInt16.max, using: &random), destinationPort: .random(in: 0...UInt16.max, using: &random),
        sequenceNumber: .random(in: 0...UInt32.max, using: &random), acknowledgmentNumber: .random(in: 0...UInt32.max, using: &random),
        dataOffset: UInt8(5 + options.count / 4), reserved: .random(in: 0...7, using: &random),
        flags: TCPFlags(rawValue: .random(in: 0...0x1FF, using: &random)), window: .random(in: 0...UInt16.max, using: &random),
        checksum: .random(in: 0...UInt16.max, using: &random), urgentPointer: .random(in: 0...UInt16.max, using: &random))
      cases.append((h, options, payload))
      let offsetAndFlags = Int(h.dataOffset) << 12 | Int(h.reserved) << 9 | Int(h.flags.rawValue)
      formats.append(
        (
          "!HHIIHHHH",
          [h.sourcePort, h.destinationPort].map { String($0) } + [h.sequenceNumber, h.acknowledgmentNumber].map { String($0) }
            + [String(offsetAndFlags), String(h.window), String(h.checksum), String(h.urgentPointer)]
        ))
    }
    let packed = try PythonStruct.pack(formats)
    for (i, (h, options, payload)) in cases.enumerated() {
      let bytes = packed[i] + options + payload
      XCTAssertEqual(try codec.encode(h, options: options, payload: payload), bytes, "case \(i)")
      let segment = try XCTUnwrap(codec.decode(bytes), "case \(i)")
      XCTAssertEqual(segment.header, h, "case \(i)")
      XCTAssertEqual(Array(bytes[segment.options]), options)
      XCTAssertEqual(Array(bytes[segment.payload]), payload)
    }
  }
}
