// Building in detail: which values are accepted, inferred sizes, the errors and their
// messages, and appending.
import XCTest

@testable import BinaryMatch

final class BuilderTests: XCTestCase {
  func assertBuildError(
    _ p: BitPattern, _ values: [String: BitValue], field: String?, _ fragment: String,
    file: StaticString = #filePath, line: UInt = #line
  ) {
    do {
      _ = try p.buildBits(values)
      XCTFail("built", file: file, line: line)
    } catch {
      XCTAssertEqual(error.field, field, "\(error)", file: file, line: line)
      XCTAssertTrue(error.message.contains(fragment), "message: \(error.message)", file: file, line: line)
    }
  }

  func testMissingUnknownAndMistypedValues() throws {
    let p = try BitPattern("A:8, B/float, C:2/binary")
    assertBuildError(p, ["A": 1, "B": 1.0], field: "C", "no value given for 'C'")
    assertBuildError(p, ["A": 1, "B": 1.0, "C": [1, 2], "D": 4], field: "D", "the pattern has no field 'D' (it has: A, B, C)")
    assertBuildError(p, ["A": 1.5, "B": 1.0, "C": [1, 2]], field: "A", "expected an integer, got 1.5")
    assertBuildError(p, ["A": 1, "B": [1], "C": [1, 2]], field: "B", "expected a number")
    assertBuildError(p, ["A": 1, "B": 1.0, "C": 7], field: "C", "expected a binary")
    assertBuildError(p, ["A": 1, "B": 1.0, "C": [1]], field: "C", "the value has 1 bytes; the segment takes 2 bytes")
    XCTAssertEqual(BitBuildError(field: "C", column: 15, message: "m").description, "cannot build C (segment at column 15): m")
  }

  func testIntegerRanges() throws {
    let u64 = try BitPattern("X:64")
    XCTAssertEqual(try u64.build(["X": .uint(.max)]), [UInt8](repeating: 0xFF, count: 8))
    XCTAssertThrowsError(try u64.build(["X": -1]))
    let i64 = try BitPattern("X:64/signed")
    XCTAssertEqual(try i64.build(["X": .int(.min)]), [0x80] + [UInt8](repeating: 0, count: 7))
    XCTAssertThrowsError(try i64.build(["X": .uint(.max)]))
    XCTAssertEqual(try i64.build(["X": .uint(5)]), [0, 0, 0, 0, 0, 0, 0, 5], "a .uint that fits is fine")
    let i3 = try BitPattern("X:3/signed, _:5")
    XCTAssertEqual(try i3.build(["X": -4]), [0x80])
    XCTAssertThrowsError(try i3.build(["X": 4]))
    XCTAssertThrowsError(try i3.build(["X": -5]))
    XCTAssertEqual(BitValue(UInt64.max), .uint(.max))
    XCTAssertEqual(BitValue(Int8(-3)), .int(-3))
    XCTAssertEqual(BitValue.int(5), BitValue.uint(5))
    XCTAssertNotEqual(BitValue.int(-1), BitValue.uint(.max))
    XCTAssertEqual(Set([BitValue.int(5), .uint(5)]).count, 1, "equal values hash alike")
  }

  func testInferredSizes() throws {
    let p = try BitPattern("N:8, Data:((N - 1) * 2)/binary")
    XCTAssertEqual(try p.build(["Data": [1, 2, 3, 4]]), [3, 1, 2, 3, 4])
    XCTAssertThrowsError(try p.build(["Data": [1, 2, 3]]), "no integer N gives 3 bytes")
    let bits = try BitPattern("N:4, B:N/bits, _:4")
    XCTAssertEqual(try bits.buildBits(["B": .bits(Bitstring(bytes: [0xF0], bitCount: 4)!)]).description, "<<79,0:4>>")
    let expression = try BitPattern("A:4, C:(A * B)/binary", mode: .buildOnly)
    assertBuildError(expression, ["A": 1, "C": [1]], field: "C", "uses 'B', which has no value")
    XCTAssertEqual(try expression.buildBits(["A": 1, "B": 1, "C": [1]]).description, "<<16,1:4>>")
    assertBuildError(try BitPattern("A:8/signed, C:A/binary"), ["A": -1, "C": []], field: "C", "is negative")
    assertBuildError(try BitPattern("A:8, C:(8 div (A - 1))/binary"), ["A": 1, "C": []], field: "C", "cannot be computed")
    // Inference with extreme constants does not overflow; it just cannot find a value.
    assertBuildError(try BitPattern("L:8, X:(L - 9223372036854775807)/binary"), ["X": []], field: "L", "does not fit 8 bits")
    assertBuildError(try BitPattern("L:8, X:(L - 9223372036854775807)/binary"), ["X": [1]], field: "L", "no value given for 'L'")
    XCTAssertEqual(try BitPattern("L:8/signed, X:(-L - 1)/binary").build(["X": [1]]), [0xFE, 1], "L = -2 solves -L - 1 = 1")
  }

  func testSkipsUtfAndTails() throws {
    XCTAssertEqual(try BitPattern("_:12, X:4").build(["X": 1]), [0, 1])
    XCTAssertEqual(try BitPattern("X, _/binary").build(["X": 1]), [1], "a skipped tail builds nothing")
    assertBuildError(try BitPattern("_/utf8"), [:], field: nil, "cannot be built")
    assertBuildError(try BitPattern("C/utf8"), ["C": -1], field: "C", "is not a Unicode scalar value")
    assertBuildError(try BitPattern("T/binary-unit:16"), ["T": [1, 2, 3]], field: "T", "not a multiple of the unit 16")
    XCTAssertEqual(try BitPattern("T/binary-unit:16").build(["T": [1, 2, 3, 4]]), [1, 2, 3, 4])
  }

  func testBuildNeedsWholeBytes() throws {
    XCTAssertThrowsError(try BitPattern("A:3").build(["A": 1])) { error in
      XCTAssertTrue((error as? BitBuildError)?.message.contains("3 bits, not whole bytes; use buildBits") == true)
    }
  }

  func testAppendingLeavesTheOutputUnchangedOnError() throws {
    let p = try BitPattern("X:4")
    var out = Bitstring()
    try p.build(["X": 1], appendingTo: &out)
    try p.build(["X": 2], appendingTo: &out)
    XCTAssertThrowsError(try p.build(["X": 99], appendingTo: &out))
    XCTAssertEqual(out, Bitstring([0x12]))
    try p.build(["X": 3], appendingTo: &out)
    XCTAssertEqual(out.description, "<<18,3:4>>")
  }
}
