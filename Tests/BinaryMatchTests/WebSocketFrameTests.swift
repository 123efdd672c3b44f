import BinaryMatch
import BinaryMatchExamples
// The WebSocket decoder against the examples of RFC 6455 §5.7, every length form, the
// protocol's rejections, and Python's struct module.
import XCTest

final class WebSocketFrameTests: XCTestCase {
  let codec = WebSocketFrameCodec()

  func testRFC6455SingleFrameUnmaskedText() throws {
    // "A single-frame unmasked text message": 0x81 0x05 0x48 0x65 0x6c 0x6c 0x6f ("Hello")
    let bytes: [UInt8] = [0x81, 0x05, 0x48, 0x65, 0x6C, 0x6C, 0x6F]
    let frame = try XCTUnwrap(codec.decode(bytes))
    XCTAssertEqual(frame.header, WebSocketFrameHeader(fin: true, rsv: 0, opcode: 1, maskKey: nil, payloadLength: 5))
    XCTAssertEqual(frame.payload, 2..<7)
    XCTAssertEqual(String(decoding: bytes[frame.payload], as: UTF8.self), "Hello")
    XCTAssertEqual(try codec.encode(frame.header, payload: Array(bytes[frame.payload])), bytes)
  }

  func testRFC6455SingleFrameMaskedText() throws {
    // "A single-frame masked text message": 0x81 0x85 0x37 0xfa 0x21 0x3d 0x7f 0x9f 0x4d 0x51 0x58
    let bytes: [UInt8] = [0x81, 0x85, 0x37, 0xFA, 0x21, 0x3D, 0x7F, 0x9F, 0x4D, 0x51, 0x58]
    let frame = try XCTUnwrap(codec.decode(bytes))
    XCTAssertEqual(frame.header.maskKey, 0x37FA_213D)
    XCTAssertEqual(frame.header.payloadLength, 5)
    XCTAssertEqual(frame.headerLength, 6)
    let payload = WebSocketFrameCodec.mask(bytes[frame.payload], key: 0x37FA_213D)
    XCTAssertEqual(String(decoding: payload, as: UTF8.self), "Hello")
    XCTAssertEqual(try codec.encode(frame.header, payload: Array(bytes[frame.payload])), bytes)
  }

  func testRFC6455FragmentedTextAndPingPong() throws {
    // "A fragmented unmasked text message": 0x01 0x03 "Hel", then 0x80 0x02 "lo", sent back
    // to back; the first frame tells where the second starts.
    let stream: [UInt8] = [0x01, 0x03, 0x48, 0x65, 0x6C, 0x80, 0x02, 0x6C, 0x6F]
    let first = try XCTUnwrap(codec.decode(stream))
    XCTAssertEqual(first.header, WebSocketFrameHeader(fin: false, opcode: 1, payloadLength: 3))
    XCTAssertEqual(first.end, 5)
    let second = try XCTUnwrap(codec.decode(Array(stream[first.end...])))
    XCTAssertEqual(second.header, WebSocketFrameHeader(fin: true, opcode: 0, payloadLength: 2))
    // "Unmasked Ping request and masked Ping response"
    let ping = try XCTUnwrap(codec.decode([0x89, 0x05, 0x48, 0x65, 0x6C, 0x6C, 0x6F]))
    XCTAssertEqual(ping.header.opcode, 9)
    let pong = try XCTUnwrap(codec.decode([0x8A, 0x85, 0x37, 0xFA, 0x21, 0x3D, 0x7F, 0x9F, 0x4D, 0x51, 0x58]))
    XCTAssertEqual(pong.header.opcode, 10)
    XCTAssertEqual(pong.header.maskKey, 0x37FA_213D)
  }

  func testRFC6455ExtendedLengths() throws {
    // "256 bytes binary message in a single unmasked frame": 0x82 0x7E 0x0100 [256 bytes]
    let medium: [UInt8] = [0x82, 0x7E, 0x01, 0x00] + [UInt8](repeating: 0xAB, count: 256)
    let m = try XCTUnwrap(codec.decode(medium))
    XCTAssertEqual(m.header.payloadLength, 256)
    XCTAssertEqual(m.payload, 4..<260)
    XCTAssertEqual(try codec.encode(m.header, payload: [UInt8](repeating: 0xAB, count: 256)), medium)
    // "64KiB binary message in a single unmasked frame": 0x82 0x7F 0x0000000000010000 [65536 bytes]
    let long: [UInt8] = [0x82, 0x7F, 0, 0, 0, 0, 0, 1, 0, 0] + [UInt8](repeating: 7, count: 65_536)
    let l = try XCTUnwrap(codec.decode(long))
    XCTAssertEqual(l.header.payloadLength, 65_536)
    XCTAssertEqual(l.payload, 10..<65_546)
    XCTAssertEqual(try codec.encode(l.header, payload: [UInt8](repeating: 7, count: 65_536)), long)
  }

  func testRejectsWhatTheRFCForbidsAndIncompleteFrames() {
    // 126-form carrying a length below 126: not minimal.
    XCTAssertNil(codec.decode([0x82, 0x7E, 0x00, 0x05, 1, 2, 3, 4, 5]))
    // 127-form carrying a length that fits 16 bits: not minimal.
    XCTAssertNil(codec.decode([0x82, 0x7F, 0, 0, 0, 0, 0, 0, 0x01, 0x00] + [UInt8](repeating: 0, count: 256)))
    // 127-form with the most significant bit set.
    XCTAssertNil(codec.decode([0x82, 0x7F, 0x80, 0, 0, 0, 0, 1, 0, 0]))
    // Truncated header, key, or payload.
    XCTAssertNil(codec.decode([]))
    XCTAssertNil(codec.decode([0x81]))
    XCTAssertNil(codec.decode([0x81, 0x85, 0x37, 0xFA]))
    XCTAssertNil(codec.decode([0x81, 0x05, 0x48, 0x65]))
    XCTAssertNil(codec.decode([0x82, 0x7E, 0x01]))
  }

  func testEveryLengthFormRoundTrips() throws {
    var random = SeededRandom(seed: 6455)
    for length in [0, 1, 125, 126, 127, 65_535, 65_536, 70_000] {
      for masked in [false, true] {
        let header = WebSocketFrameHeader(
          fin: Bool.random(using: &random), rsv: UInt8.random(in: 0...7, using: &random), opcode: UInt8.random(in: 0...15, using: &random),
          maskKey: masked ? UInt32.random(in: 0...UInt32.max, using: &random) : nil, payloadLength: UInt64(length))
        let payload = random.bytes(length)
        let bytes = try codec.encode(header, payload: payload)
        let frame = try XCTUnwrap(codec.decode(bytes), "length \(length)")
        XCTAssertEqual(frame.header, header)
        XCTAssertEqual(Array(bytes[frame.payload]), payload)
        XCTAssertEqual(frame.end, bytes.count)
        XCTAssertEqual(frame.headerLength, (length < 126 ? 2 : length <= 65_535 ? 4 : 10) + (masked ? 4 : 0))
      }
    }
  }

  func testAgainstPythonStruct() throws {
    // Headers packed by Python (struct "!BB", "!BBH", "!BBQ" plus "!I" for the key) must
    // decode to the same fields, and our encoding must equal Python's bytes.
    var random = SeededRandom(seed: 0x5EED)
    var cases: [(header: WebSocketFrameHeader, payload: [UInt8])] = []
    var formats: [(format: String, values: [String])] = []
    for i in 0..<24 {
      let length = [3, 125, 126, 300, 65_535, 65_536][i % 6]
      let key: UInt32? = i % 2 == 0 ? UInt32.random(in: 0...UInt32.max, using: &random) : nil
      let header = WebSocketFrameHeader(
        fin: i % 3 != 0, rsv: UInt8(i % 8), opcode: UInt8(i % 16), maskKey: key, payloadLength: UInt64(length))
      let b0 = (header.fin ? 0x80 : 0) | Int(header.rsv) << 4 | Int(header.opcode)
      let maskBit = key == nil ? 0 : 0x80
      var format = "!BB"
      var values = [String(b0)]
      switch length {
      case ..<126: values.append(String(maskBit | length))
      case ...65_535:
        format += "H"
        values += [String(maskBit | 126), String(length)]
      default:
        format += "Q"
        values += [String(maskBit | 127), String(length)]
      }
      if let key {
        format += "I"
        values.append(String(key))
      }
      formats.append((format, values))
      cases.append((header, random.bytes(length)))
    }
    let packed = try PythonStruct.pack(formats)
    XCTAssertEqual(packed.count, cases.count)
    for (i, c) in cases.enumerated() {
      let bytes = packed[i] + c.payload
      XCTAssertEqual(try codec.encode(c.header, payload: c.payload), bytes, "case \(i)")
      XCTAssertEqual(codec.decode(bytes)?.header, c.header, "case \(i)")
    }
  }
}
