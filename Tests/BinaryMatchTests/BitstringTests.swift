// Bitstring: lengths that are not whole bytes, views that share storage, equality by bits.
import XCTest

@testable import BinaryMatch

final class BitstringTests: XCTestCase {
  func testLengthsAndBytes() throws {
    let b = try XCTUnwrap(Bitstring(bytes: [0xFF, 0xFF], bitCount: 11))
    XCTAssertEqual(b.bitCount, 11)
    XCTAssertEqual(b.byteCount, 2)
    XCTAssertFalse(b.isBinary)
    XCTAssertEqual(b.bytes, [0xFF, 0xE0], "padding bits are zero")
    XCTAssertNil(Bitstring(bytes: [1], bitCount: 9))
    XCTAssertNil(Bitstring(bytes: [1], bitCount: -1))
    XCTAssertTrue(Bitstring([1, 2]).isBinary)
    XCTAssertEqual(Bitstring().description, "<<>>")
    XCTAssertEqual([1, 2, 3] as Bitstring, Bitstring([1, 2, 3]))
  }

  func testEqualityLooksOnlyAtTheBits() throws {
    let a = try XCTUnwrap(Bitstring(bytes: [0b1010_0000], bitCount: 3))
    let b = try XCTUnwrap(Bitstring(bytes: [0b1011_1111], bitCount: 3))
    XCTAssertEqual(a, b, "bits past the end are ignored")
    XCTAssertEqual(a.hashValue, b.hashValue)
    XCTAssertNotEqual(a, Bitstring(bytes: [0b1000_0000], bitCount: 3)!)
    XCTAssertNotEqual(a, Bitstring(bytes: [0b1010_0000], bitCount: 4)!)
    let shifted = Bitstring([0b0001_0100])[bits: 3..<6]
    XCTAssertEqual(shifted, a, "same bits at a different offset")
    XCTAssertEqual(shifted.hashValue, a.hashValue)
  }

  func testSlicesShareStorage() throws {
    let whole = Bitstring([0x12, 0x34, 0x56])
    let middle = whole[bits: 4..<20]
    XCTAssertEqual(middle.description, "<<35,69>>")
    XCTAssertEqual(middle.bytes, [0x23, 0x45])
    XCTAssertEqual(middle.storage.startIndex, 0, "a view of the same array")
    XCTAssertEqual(middle.bitOffset, 4)
    XCTAssertTrue(middle.bit(at: 2))
    XCTAssertFalse(middle.bit(at: 0))
    XCTAssertEqual(whole[bits: 0..<0], Bitstring())
    XCTAssertEqual(whole[bits: 24..<24].bitCount, 0)
  }

  func testAppending() throws {
    var out = Bitstring([0xAB])
    out.appendBits(0b101, count: 3)
    XCTAssertEqual(out.description, "<<171,5:3>>")
    out.append(Bitstring([0xFF, 0x00]))
    XCTAssertEqual(out.bitCount, 27)
    XCTAssertEqual(out.description, "<<171,191,224,0:3>>")
    out.appendBits(UInt64.max, count: 64)
    XCTAssertEqual(out.bitCount, 91)
    // Appending to a view must not disturb the array it views.
    let base = Bitstring([0xF0, 0xFF])
    var view = base[bits: 0..<4]
    view.appendBits(0, count: 4)
    XCTAssertEqual(view, Bitstring([0xF0]))
    XCTAssertEqual(base, Bitstring([0xF0, 0xFF]))
    var unaligned = Bitstring([0b0111_1111])[bits: 1..<5]
    unaligned.append(Bitstring([0b1010_0000])[bits: 0..<3])
    XCTAssertEqual(unaligned.description, "<<125:7>>")
  }
}
