import BinaryMatch
import BinaryMatchExamples
// The IPv4 decoder against a header with a known-correct checksum, options, malformed
// headers, and Python's struct module.
import XCTest

final class IPv4HeaderTests: XCTestCase {
  let codec = IPv4Codec()

  /// The textbook header (a UDP datagram, 192.168.0.1 → 192.168.0.199) whose checksum 0xB861
  /// is the worked example of the Internet checksum for IPv4.
  let known: [UInt8] = [
    0x45, 0x00, 0x00, 0x73, 0x00, 0x00, 0x40, 0x00, 0x40, 0x11,
    0xB8, 0x61, 0xC0, 0xA8, 0x00, 0x01, 0xC0, 0xA8, 0x00, 0xC7,
  ]

  func testKnownHeader() throws {
    let packet = try XCTUnwrap(codec.decode(known))
    XCTAssertEqual(
      packet.header,
      IPv4Header(
        ihl: 5, dscp: 0, ecn: 0, totalLength: 0x73, identification: 0, flags: 0b010, fragmentOffset: 0,
        ttl: 64, protocol: 17, headerChecksum: 0xB861, source: 0xC0A8_0001, destination: 0xC0A8_00C7))
    XCTAssertEqual(packet.options, 20..<20)
    XCTAssertEqual(packet.payload, 20..<20)
    XCTAssertEqual(IPv4Codec.checksum(known), 0, "a header with a correct checksum sums to zero")
    var zeroed = known
    zeroed[10] = 0
    zeroed[11] = 0
    XCTAssertEqual(IPv4Codec.checksum(zeroed), 0xB861)
    XCTAssertEqual(try codec.encode(packet.header), known, "the encoder computes the same checksum")
    XCTAssertEqual(try codec.encode(packet.header, computeChecksum: false), known)
  }

  func testOptionsAndPayload() throws {
    let options: [UInt8] = [0x94, 0x04, 0x00, 0x00, 0x01, 0x01, 0x01, 0x00]  // router alert, NOPs, end
    let payload: [UInt8] = Array("datagram".utf8)
    let header = IPv4Header(
      totalLength: UInt16(20 + options.count + payload.count), identification: 0xBEEF, ttl: 1, protocol: 2,
      source: 0x0A00_0001, destination: 0xE000_0016)
    let bytes = try codec.encode(header, options: options, payload: payload)
    XCTAssertEqual(bytes[0], 0x47, "IHL 7 derived from 8 option bytes")
    XCTAssertEqual(IPv4Codec.checksum(bytes[0..<28]), 0)
    let packet = try XCTUnwrap(codec.decode(bytes))
    XCTAssertEqual(packet.header.ihl, 7)
    XCTAssertEqual(Array(bytes[packet.options]), options)
    XCTAssertEqual(Array(bytes[packet.payload]), payload)
    XCTAssertThrowsError(try codec.encode(header, options: [1, 2, 3]), "options must be whole 32-bit words")
  }

  func testRejectsMalformedHeaders() {
    var v6 = known
    v6[0] = 0x65
    XCTAssertNil(codec.decode(v6), "version 6")
    var shortIHL = known
    shortIHL[0] = 0x44
    XCTAssertNil(codec.decode(shortIHL), "IHL 4 is below the minimum")
    var longIHL = known
    longIHL[0] = 0x4F
    XCTAssertNil(codec.decode(longIHL), "IHL 15 needs 40 option bytes")
    XCTAssertNil(codec.decode(Array(known[0..<19])))
    XCTAssertNil(codec.decode([]))
  }

  func testAgainstPythonStruct() throws {
    // struct "!BBHHHBBH4s4s" is the fixed header; options and payload follow as bytes.
    var random = SeededRandom(seed: 791)
    var headers: [(IPv4Header, [UInt8], [UInt8])] = []
    var formats: [(format: String, values: [String])] = []
    for _ in 0..<32 {
      let options = random.bytes(4 * Int.random(in: 0...10, using: &random))
      let payload = random.bytes(Int.random(in: 0...40, using: &random))
      let h = IPv4Header(
        ihl: UInt8(5 + options.count / 4), dscp: UInt8.random(in: 0...63, using: &random), ecn: UInt8.random(in: 0...3, using: &random),
        totalLength: UInt16(20 + options.count + payload.count), identification: UInt16.random(in: 0...UInt16.max, using: &random),
        flags: UInt8.random(in: 0...7, using: &random), fragmentOffset: UInt16.random(in: 0...0x1FFF, using: &random),
        ttl: UInt8.random(in: 0...255, using: &random), protocol: UInt8.random(in: 0...255, using: &random),
        headerChecksum: UInt16.random(in: 0...UInt16.max, using: &random),
        source: UInt32.random(in: 0...UInt32.max, using: &random), destination: UInt32.random(in: 0...UInt32.max, using: &random))
      headers.append((h, options, payload))
      let values = [
        String(0x40 | Int(h.ihl)), String(Int(h.dscp) << 2 | Int(h.ecn)), String(h.totalLength), String(h.identification),
        String(Int(h.flags) << 13 | Int(h.fragmentOffset)), String(h.ttl), String(h.protocol), String(h.headerChecksum),
        "(\(h.source)).to_bytes(4, 'big')", "(\(h.destination)).to_bytes(4, 'big')",
      ]
      formats.append(("!BBHHHBBH4s4s", values))
    }
    let packed = try PythonStruct.pack(formats)
    for (i, (h, options, payload)) in headers.enumerated() {
      let bytes = packed[i] + options + payload
      XCTAssertEqual(try codec.encode(h, options: options, payload: payload, computeChecksum: false), bytes, "case \(i)")
      let packet = try XCTUnwrap(codec.decode(bytes), "case \(i)")
      XCTAssertEqual(packet.header, h, "case \(i)")
      XCTAssertEqual(Array(bytes[packet.options]), options)
      XCTAssertEqual(Array(bytes[packet.payload]), payload)
    }
  }
}
