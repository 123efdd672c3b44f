import BinaryMatchExamples
// Matching in detail: group fusion edges, sizes from fields that fail, repeated names,
// zero-copy views, inputs that start inside a byte, and the three ways to call match.
import XCTest

@testable import BinaryMatch

final class MatcherTests: XCTestCase {
  func values(_ p: BitPattern, _ bytes: [UInt8]) -> [String: BitValue]? {
    p.match(bytes).map { p.values(of: $0, in: bytes) }
  }

  func testGroupsAcrossTheSixtyFourBitBoundary() throws {
    let p = try BitPattern("A:60, B:8, C:60")
    let a: UInt64 = 0x0ABC_DEF0_1234_5678
    let c: UInt64 = 0x0FED_CBA9_8765_4321
    let bytes = try p.build(["A": .uint(a), "B": 0x5A, "C": .uint(c)])
    XCTAssertEqual(bytes.count, 16)
    XCTAssertEqual(values(p, bytes), ["A": .uint(a), "B": 0x5A, "C": .uint(c)])
    XCTAssertEqual(p.program.plan.outline, ["block 128 bits, 3 words"], "60 + 8 do not fit one word")
  }

  func testLiteralsAndSkipsInsideAGroup() throws {
    let p = try BitPattern("A:4, 5:4, _:4, B:12, 16#1234:16/little")
    XCTAssertEqual(p.program.plan.outline, ["block 40 bits, 1 word"], "one 40-bit word")
    XCTAssertEqual(values(p, [0x35, 0xF1, 0x23, 0x34, 0x12]), ["A": 3, "B": 0x123])
    XCTAssertNil(p.match([0x36, 0xF1, 0x23, 0x34, 0x12]), "literal 5 differs")
    XCTAssertNil(p.match([0x35, 0xF1, 0x23, 0x12, 0x34]), "little-endian literal differs")
    XCTAssertEqual(try p.build(["A": 3, "B": 0x123]), [0x35, 0x01, 0x23, 0x34, 0x12], "the skip builds as zeros")
  }

  func testLittleEndianFieldsInAGroup() throws {
    let p = try BitPattern("A:16/little, B:8, C:32/little-signed, D:4/little, E:4")
    XCTAssertEqual(p.program.plan.outline, ["block 64 bits, 1 word"])
    let bytes = try p.build(["A": 0x1234, "B": 9, "C": -2, "D": 5, "E": 6])
    XCTAssertEqual(bytes, [0x34, 0x12, 9, 0xFE, 0xFF, 0xFF, 0xFF, 0x56])
    var m = try XCTUnwrap(p.match(bytes))
    XCTAssertEqual(m[try p.field("A", as: UInt16.self)], 0x1234)
    XCTAssertEqual(m[try p.field("C", as: Int32.self)], -2)
    XCTAssertEqual(m[try p.field("C", as: Int64.self)], -2)
  }

  func testLongSkipsAndUnalignedReads() throws {
    // The character starts at bit 103, inside a byte.
    let p = try BitPattern("_:99, X:4, C/utf8, _:1")
    let built = try p.build(["X": 9, "C": .scalar("€")])
    XCTAssertEqual(built.count, 16)
    XCTAssertEqual(values(p, built), ["X": 9, "C": 0x20AC])
    var noisy = built
    noisy[0] = 0xFF
    XCTAssertEqual(values(p, noisy), ["X": 9, "C": 0x20AC], "skipped bits are not checked")
  }

  func testSizesFromFieldsThatDoNotWork() throws {
    XCTAssertNil(try BitPattern("L:8, X:L").match([65] + [UInt8](repeating: 0, count: 9)), "an integer wider than 64 bits")
    XCTAssertNil(try BitPattern("L:8/signed, X:L/binary").match([0xFF]), "a negative size")
    XCTAssertNil(try BitPattern("L:64, X:L/binary").match([UInt8](repeating: 0xFF, count: 8)), "a size beyond Int64")
    XCTAssertNil(try BitPattern("L:64, X:(L * 16)/binary").match([0x7F] + [UInt8](repeating: 0xFF, count: 7)), "an overflowing size")
    XCTAssertNil(try BitPattern("L:8, X:(L bsl 60)/binary").match([255]), "shift overflow")
    XCTAssertEqual(values(try BitPattern("L:8, X:(L bsr 1)/binary"), [4, 1, 2]), ["L": 4, "X": [1, 2]])
    XCTAssertEqual(values(try BitPattern("L:8/signed, X:(-L)/binary"), [0xFE, 1, 2]), ["L": -2, "X": [1, 2]])
    XCTAssertEqual(values(try BitPattern("L:8, X:(bnot L band 3)/binary"), [0xFD, 1, 2]), ["L": 0xFD, "X": [1, 2]])
    XCTAssertEqual(values(try BitPattern("L:8, X:(L bxor 1 bor 2)/binary"), [1, 1, 2]), ["L": 1, "X": [1, 2]])
  }

  func testRepeatedNamesMustBeEqual() throws {
    let grouped = try BitPattern("X:8, X:8")
    XCTAssertNotNil(grouped.match([3, 3]))
    XCTAssertNil(grouped.match([3, 4]))
    XCTAssertEqual(try grouped.build(["X": 3]), [3, 3])
    let dynamic = try BitPattern("L:4, X:L, X:L")
    XCTAssertNotNil(dynamic.match(Bitstring(bytes: [0x4A, 0xA0], bitCount: 12)!))
    XCTAssertNil(dynamic.match(Bitstring(bytes: [0x4A, 0xB0], bitCount: 12)!))
    // Equal as integers, not as bits: a signed -1 is not the unsigned 2^64 - 1 (as in Erlang).
    let ones = [UInt8](repeating: 0xFF, count: 16)
    XCTAssertNil(try BitPattern("X:64/signed, X:64").match(ones))
    XCTAssertNil(try BitPattern("X:64, X:64/signed").match(ones))
    XCTAssertNotNil(try BitPattern("X:64/signed, X:64/signed").match(ones))
    XCTAssertNil(try BitPattern("L:8, X:64/signed, X:L").match([64] + ones))
    XCTAssertNotNil(try BitPattern("L:8, X:64, X:L").match([64] + ones))
    XCTAssertNil(try BitPattern("X:64/signed, _:1, X:64").match(ones + [0xFF]), "across words")
  }

  func testZeroWidthSegments() throws {
    let p = try BitPattern("X:0, Y:8, Z:0/binary")
    XCTAssertEqual(values(p, [7]), ["X": 0, "Y": 7, "Z": []])
    XCTAssertEqual(try p.build(["X": 0, "Y": 7, "Z": []]), [7])
    XCTAssertThrowsError(try p.build(["X": 1, "Y": 7, "Z": []]), "1 does not fit 0 bits")
    XCTAssertNotNil(try BitPattern("").match([]))
    XCTAssertNil(try BitPattern("").match([0]))
  }

  func testFloatsWithSizesFromFields() throws {
    let p = try BitPattern("S:8, F:S/float")
    XCTAssertEqual(values(p, [16, 0x3C, 0x00]), ["S": 16, "F": 1.0])
    XCTAssertEqual(values(p, [32, 0x3F, 0x80, 0, 0]), ["S": 32, "F": 1.0])
    XCTAssertNil(p.match([24, 0x3F, 0x80, 0]), "24-bit floats do not exist")
    let literal = try BitPattern("S:8, 1.5:S/float")
    XCTAssertNotNil(literal.match([16, 0x3E, 0x00]))
    XCTAssertNil(literal.match([16, 0x3C, 0x00]))
    XCTAssertEqual(try literal.build(["S": 16]), [16, 0x3E, 0x00])
  }

  func testBinaryFieldsAreViewsOfTheInput() throws {
    let p = try BitPattern("Len:8, Body:Len/binary, Rest/binary")
    let body = try p.field("Body", as: ArraySlice<UInt8>.self)
    let rest = try p.field("Rest", as: ArraySlice<UInt8>.self)
    let bytes: [UInt8] = [3, 10, 11, 12, 13]
    var m = try XCTUnwrap(p.match(bytes))
    let slice = m[body, in: bytes]
    XCTAssertEqual(slice.startIndex, 1)
    XCTAssertEqual(m.byteRange(of: body), 1..<4)
    XCTAssertEqual(m.bitRange(of: rest), 32..<40)
    let sameStorage = bytes.withUnsafeBufferPointer { whole in slice.withUnsafeBufferPointer { $0.baseAddress == whole.baseAddress! + 1 } }
    XCTAssertTrue(sameStorage, "no copy: the slice points into the input")
    // A slice input: offsets count from its start, views keep its indices.
    let framed: [UInt8] = [99, 99] + bytes
    let sub = framed[2...]
    var s = try XCTUnwrap(p.match(sub))
    XCTAssertEqual(s[body, in: sub].startIndex, 3)
    XCTAssertEqual(Array(s[body, in: sub]), [10, 11, 12])
    // Raw buffers.
    let raw = try p.field("Body", as: UnsafeRawBufferPointer.self)
    try bytes.withUnsafeBytes { buffer in
      var r = try XCTUnwrap(p.match(buffer))
      let view = r[raw, in: buffer]
      XCTAssertEqual(view.baseAddress, buffer.baseAddress! + 1)
      XCTAssertEqual(Array(view), [10, 11, 12])
    }
  }

  func testBitstringInputsThatStartInsideAByte() throws {
    let whole = Bitstring([0b1011_0110, 0b1100_1010, 0xFF])
    let sub = whole[bits: 3..<19]  // 16 bits starting at bit 3
    let p = try BitPattern("A:5, B:3/bits, C/bits")
    var m = try XCTUnwrap(p.match(sub))
    XCTAssertEqual(m[try p.field("A", as: UInt8.self)], 0b10110)
    let b = m[try p.field("B", as: Bitstring.self), in: sub]
    XCTAssertEqual(b, whole[bits: 8..<11])
    XCTAssertEqual(m.bitRange(of: try p.field("C", as: Bitstring.self)), 8..<16, "relative to the input's start")
    XCTAssertEqual(p.values(of: m, in: sub)["C"], .bits(whole[bits: 11..<19]))
  }

  func testTheThreeWaysToMatch() throws {
    let p = try BitPattern("A:4, B:4")
    let a = try p.field("A", as: UInt8.self)
    let b = try p.field("B", as: UInt8.self)
    XCTAssertEqual(p.match([0x12]) { m in m[a] * 10 + m[b] }, 12)
    XCTAssertNil(p.match([0x12, 0]) { m in m[a] })
    var reused = BitMatch()
    XCTAssertTrue([UInt8(0x34)].withUnsafeBytes { p.match($0, into: &reused) })
    XCTAssertEqual(reused[a], 3)
    XCTAssertFalse([UInt8]().withUnsafeBytes { p.match($0, into: &reused) })
    if var m = p.match([0x56]) {
      XCTAssertEqual(m[b], 6)
      XCTAssertEqual(m.bitRange, 0..<8)
    } else {
      XCTFail("no match")
    }
    switch [UInt8(0x78)] {
    case p: break
    default: XCTFail("~= should match")
    }
  }

  func testTheDocumentationExample() throws {
    // The example in BitPattern's documentation, on RFC 6455's masked "Hello".
    let bytes: [UInt8] = [0x81, 0x85, 0x37, 0xFA, 0x21, 0x3D, 0x7F, 0x9F, 0x4D, 0x51, 0x58]
    let frame = try BitPattern("Fin:1, Rsv:3, Opcode:4, Mask:1, Len:7, Key:Mask/unit:32, Payload:Len/binary")
    let opcode = try frame.field("Opcode", as: UInt8.self)
    let payload = try frame.field("Payload", as: ArraySlice<UInt8>.self)
    let decoded = try XCTUnwrap(frame.match(bytes) { m in (m[opcode], m[payload, in: bytes]) })
    XCTAssertEqual(decoded.0, 1)
    XCTAssertEqual(Array(decoded.1), [0x7F, 0x9F, 0x4D, 0x51, 0x58])
    let ping = try frame.build(["Fin": 1, "Rsv": 0, "Opcode": 9, "Mask": 0, "Key": 0, "Payload": "hi"])
    XCTAssertEqual(ping, [0x89, 0x02, 0x68, 0x69])
  }

  func testPlansAreBlocksOfWordsBetweenSegmentsSizedByTheInput() throws {
    let ipv4 = try BitPattern(IPv4Codec.patternText)
    XCTAssertEqual(ipv4.program.plan.outline, ["block 160 bits, 3 words", "binary", "tail"])
    let ws = try BitPattern("Fin:1, Rsv:3, Opcode:4, Mask:1, Len:7, Key:Mask/unit:32, Payload:Len/binary, Rest/binary")
    XCTAssertEqual(ws.program.plan.outline, ["block 16 bits, 1 word", "integer", "binary", "tail"])
    // Skips cost nothing; what is not a word runs at its offset after the block's words.
    let mixed = try BitPattern("X:8, _:100, X:8, Y:3/binary, Z:13/bits, F:32/float, W:12/little, _:7, V:2")
    XCTAssertEqual(mixed.program.plan.outline, ["block 206 bits, 3 words + check, binary, binary, float, integer"])
    XCTAssertEqual(mixed.program.skeleton.outline, ["block 206 bits, 2 words + binary, binary, integer"], "skipping checks nothing")
    let literal = try BitPattern("_:100, \"GET\"")
    XCTAssertEqual(literal.program.plan.outline, ["block 124 bits, 1 word"])
  }
}
