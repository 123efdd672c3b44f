import BinaryMatch
import BinaryMatchExamples
// The PNG chunk reader against a real 1×1 RGBA PNG (IHDR, IDAT, IEND with their published
// CRCs), corrupted files, and round trips.
import XCTest

final class PNGChunksTests: XCTestCase {
  let codec = PNGCodec()

  /// A complete 1×1 transparent PNG: IHDR CRC 0x1F15C489, IDAT CRC 0x0D0A2DB4, IEND CRC 0xAE426082.
  let onePixel: [UInt8] = [
    0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A,
    0x00, 0x00, 0x00, 0x0D, 0x49, 0x48, 0x44, 0x52, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01,
    0x08, 0x06, 0x00, 0x00, 0x00, 0x1F, 0x15, 0xC4, 0x89,
    0x00, 0x00, 0x00, 0x0A, 0x49, 0x44, 0x41, 0x54, 0x78, 0x9C, 0x63, 0x00, 0x01, 0x00, 0x00, 0x05,
    0x00, 0x01, 0x0D, 0x0A, 0x2D, 0xB4,
    0x00, 0x00, 0x00, 0x00, 0x49, 0x45, 0x4E, 0x44, 0xAE, 0x42, 0x60, 0x82,
  ]

  func testReadsTheChunksOfARealPNG() throws {
    let chunks = try codec.chunks(in: onePixel)
    XCTAssertEqual(chunks.map(\.type), ["IHDR", "IDAT", "IEND"])
    XCTAssertEqual(chunks.map(\.crc), [0x1F15_C489, 0x0D0A_2DB4, 0xAE42_6082])
    XCTAssertTrue(chunks.allSatisfy(\.crcIsValid))
    XCTAssertEqual(chunks[0].data, 16..<29)
    // IHDR: width 1, height 1, bit depth 8, colour type 6 (RGBA), then 3 zero bytes.
    let ihdr = try BitPattern("Width:32, Height:32, Depth:8, Colour:8, 0:8, 0:8, 0:8")
    XCTAssertEqual(
      ihdr.match(Array(onePixel[chunks[0].data])).map { ihdr.values(of: $0, in: []) }, ["Width": 1, "Height": 1, "Depth": 8, "Colour": 6])
    XCTAssertEqual(chunks[2].data, 63..<63, "IEND: 55 + length 4 + type 4")
  }

  func testCRC32() {
    XCTAssertEqual(CRC32.checksum(Array("IEND".utf8)[...]), 0xAE42_6082)
    XCTAssertEqual(CRC32.checksum(Array("123456789".utf8)[...]), 0xCBF4_3926, "the CRC-32 check value")
    XCTAssertEqual(CRC32.checksum(Array("1234".utf8)[...], Array("56789".utf8)[...]), 0xCBF4_3926)
  }

  func testDetectsCorruption() throws {
    var badCRC = onePixel
    badCRC[32] ^= 1
    let chunks = try codec.chunks(in: badCRC)
    XCTAssertEqual(chunks.map(\.crcIsValid), [false, true, true])
    var badSignature = onePixel
    badSignature[1] = 0x51
    XCTAssertThrowsError(try codec.chunks(in: badSignature))
    XCTAssertThrowsError(try codec.chunks(in: onePixel + [0, 0, 0])) { error in
      XCTAssertEqual((error as? BitMatchError)?.bitOffset, 8 * (onePixel.count - 8), "the garbage starts after IEND")
    }
    XCTAssertThrowsError(try codec.chunks(in: Array(onePixel.dropLast())), "truncated IEND")
  }

  func testEncodesTheSameFile() throws {
    let rebuilt = try codec.encodeFile([
      ("IHDR", [0, 0, 0, 1, 0, 0, 0, 1, 8, 6, 0, 0, 0]),
      ("IDAT", [0x78, 0x9C, 0x63, 0x00, 0x01, 0x00, 0x00, 0x05, 0x00, 0x01]),
      ("IEND", []),
    ])
    XCTAssertEqual(rebuilt, onePixel)
    XCTAssertThrowsError(try codec.encodeChunk(type: "TOOLONG", data: []))
  }
}
