// Pattern creation: the notation that parses, and every malformed pattern rejected with the
// column of the problem and a message that says what is wrong.
import XCTest

@testable import BinaryMatch

final class PatternParserTests: XCTestCase {
  /// Asserts that `text` is rejected at `column` with a message containing `fragment`.
  func assertRejected(
    _ text: String, column: Int, _ fragment: String, mode: BitPattern.Mode = .matchAndBuild,
    file: StaticString = #filePath, line: UInt = #line
  ) {
    do {
      _ = try BitPattern(text, mode: mode)
      XCTFail("\(text) was accepted", file: file, line: line)
    } catch {
      XCTAssertEqual(error.column, column, "\(error)", file: file, line: line)
      XCTAssertTrue(error.message.contains(fragment), "message: \(error.message)", file: file, line: line)
      XCTAssertEqual(error.pattern, text, file: file, line: line)
    }
  }

  func testAcceptsTheNotation() throws {
    XCTAssertEqual(try BitPattern("").fieldNames, [])
    XCTAssertEqual(try BitPattern("<<>>").fieldNames, [])
    XCTAssertEqual(try BitPattern("<< A , B:4 / little - signed - unit:2 , C / binary >>").fieldNames, ["A", "B", "C"])
    XCTAssertEqual(try BitPattern("a, b_2:3, _ignored:5").fieldNames, ["a", "b_2", "_ignored"], "lower-case and _Name are names")
    XCTAssertEqual(try BitPattern("X:16#10").shape(of: "X")?.bitWidth, 16)
    XCTAssertEqual(try BitPattern("2#101, $a, -1:8/signed, 1_000:16").build([:]), [5, 97, 255, 0x03, 0xE8])
    XCTAssertEqual(try BitPattern("X:(2 * 4)").shape(of: "X")?.bitWidth, 8, "constant sizes are folded")
    XCTAssertEqual(try BitPattern("X:8/unsigned-big-integer").shape(of: "X")?.bitWidth, 8)
    XCTAssertEqual(try BitPattern("B:2/bytes, C/bits").shape(of: "B")?.bitWidth, 16)
  }

  func testUnknownSpecifierSuggestsTheNearestOne() {
    assertRejected("A:8, B/bianry", column: 8, "unknown type specifier 'bianry'; did you mean 'binary'?")
    assertRejected("A/float-litle", column: 9, "did you mean 'little'?")
    assertRejected("A/foo", column: 3, "unknown type specifier 'foo'")
  }

  func testNestedPatternsAreRejected() {
    assertRejected("<<A, <<B>>/binary>>", column: 6, "cannot be nested")
    assertRejected("A, <<1, 2>>", column: 4, "cannot be nested")
  }

  func testConflictingSpecifiers() {
    assertRejected("A/integer-binary", column: 11, "conflicting types 'integer' and 'binary'")
    assertRejected("A/signed-unsigned", column: 10, "conflicting specifiers")
    assertRejected("A/big-little", column: 7, "conflicting specifiers")
    assertRejected("A:2/bytes-unit:16", column: 11, "'bytes' always has unit 8")
    assertRejected("A:2/bits-unit:8", column: 10, "'bits' always has unit 1")
  }

  func testSizeRules() {
    assertRejected("A:65", column: 3, "at most 64 bits")
    assertRejected("A:12/float", column: 3, "16, 32 or 64")
    assertRejected("A:8/utf8", column: 3, "utf8 segments have no size")
    assertRejected("A/utf16-unit:8", column: 9, "no unit")
    assertRejected("A/unit:8", column: 3, "a unit needs a size")
    assertRejected("A:unit", column: 3, "'unit' is not bound")
    assertRejected("A:0/unit:0", column: 10, "unit must be 1..256")
    assertRejected("A:(1 - 2)", column: 3, "cannot be negative")
    assertRejected("A:-1", column: 3, "cannot be negative")
  }

  func testSizeNamesMustBeBoundEarlierIntegers() {
    assertRejected("P:Len/binary, Len:8", column: 3, "'Len' is not bound before this segment")
    assertRejected("B:2/binary, P:B/binary", column: 15, "'B' is a binary")
    assertRejected("F/float, P:(F * 2)", column: 13, "'F' is a float")
    assertRejected("A:8, P:(A + Q)", column: 13, "'Q' is not bound")
  }

  func testSizeExpressionSyntax() {
    assertRejected("A:8, B:(A / 2)", column: 11, "use 'div'")
    assertRejected("A:8, B:(A + )", column: 13, "expected an integer, a name or '('")
    assertRejected("A:8, B:(A", column: 10, "expected ')'")
    assertRejected("A:8, B:(div 2)", column: 9, "operator 'div' needs an operand")
    assertRejected("A:8, B:(A + 1.5)", column: 13, "sizes are integers")
  }

  func testLiteralsMustFit() {
    assertRejected("256", column: 1, "256 does not fit 8 bits")
    assertRejected("-1", column: 1, "does not fit an unsigned segment; add /signed")
    assertRejected("-129:8/signed", column: 1, "does not fit 8 bits signed")
    assertRejected("3.14", column: 1, "a float literal needs /float")
    assertRejected("1.0e39:32/float", column: 1, "cannot be represented as a 32-bit float")
    assertRejected("\"€\"", column: 1, "does not fit the segment; add /utf8")
    assertRejected("7/binary", column: 1, "an integer literal cannot be a binary segment")
    assertRejected("\"ab\"/binary", column: 1, "a string literal is a list of characters")
    assertRejected("16#110000/utf8", column: 1, "not a Unicode code point")
    assertRejected("99999999999999999999", column: 1, "too large")
  }

  func testNamesRules() {
    assertRejected("A/binary, A:8", column: 1, "a binary segment without a size must be the last")
    assertRejected("A:2/binary, A:2/binary", column: 13, "'A' is already bound at column 1")
    assertRejected("_:_", column: 3, "'_' cannot be a size")
  }

  func testPunctuation() {
    assertRejected("A B", column: 3, "expected ',' between segments")
    assertRejected("<<A, B", column: 7, "expected ',' or '>>'")
    assertRejected("<<A>> B", column: 7, "unexpected text after '>>'")
    assertRejected("A,", column: 3, "expected a segment")
    assertRejected("(A+1):8", column: 1, "compute expressions in Swift")
    assertRejected("\"abc", column: 1, "unterminated string")
    assertRejected("A/", column: 3, "expected a type specifier")
    assertRejected("A:", column: 3, "expected a size")
    assertRejected("#", column: 1, "expected a segment")
  }

  func testTooManySlots() {
    let many = (0..<9).map { "B\($0):1/binary" }.joined(separator: ", ")
    assertRejected(many, column: 105, "more than 16 result slots")
  }

  func testErrorDescriptionPointsAtTheColumn() {
    do {
      _ = try BitPattern("A:8, B/bianry")
      XCTFail("accepted")
    } catch {
      let lines = error.description.split(separator: "\n", omittingEmptySubsequences: false)
      XCTAssertEqual(lines.count, 3)
      XCTAssertTrue(lines[0].hasPrefix("bit pattern error at column 8: unknown type specifier 'bianry'"))
      XCTAssertEqual(lines[1], "  A:8, B/bianry")
      XCTAssertEqual(lines[2], String(repeating: " ", count: 9) + "^", "the caret is under the 'b' of 'bianry'")
    }
  }

  func testColumnsCountCharactersNotBytes() {
    assertRejected(#""é", X/bianry"#, column: 8, "unknown type specifier")
  }

  func testFieldHandlesAreChecked() throws {
    let p = try BitPattern("A:4, B:16/signed, Len:8, C:Len, D:Len/binary, E:3/bits, F/float, G/utf8, H:1, R/binary")
    XCTAssertThrowsError(try p.field("Nope", as: UInt8.self)) { error in
      XCTAssertTrue((error as? BitPatternError)?.message.contains("no field 'Nope'") == true)
    }
    XCTAssertNoThrow(try p.field("A", as: UInt8.self))
    XCTAssertNoThrow(try p.field("A", as: Int8.self), "4 unsigned bits fit a signed byte")
    XCTAssertThrowsError(try p.field("B", as: UInt16.self), "signed into unsigned")
    XCTAssertThrowsError(try p.field("B", as: Int8.self), "16 bits into 8")
    XCTAssertNoThrow(try p.field("B", as: Int16.self))
    XCTAssertThrowsError(try p.field("D", as: UInt8.self))
    XCTAssertThrowsError(try p.field("E", as: ArraySlice<UInt8>.self), "3 bits are not bytes")
    XCTAssertNoThrow(try p.field("E", as: Bitstring.self))
    XCTAssertThrowsError(try p.field("F", as: Float.self), "a 64-bit float is not a Float")
    XCTAssertNoThrow(try p.field("F", as: Double.self))
    XCTAssertNoThrow(try p.field("G", as: Unicode.Scalar.self))
    XCTAssertThrowsError(try p.field("G", as: UInt16.self), "code points need 21 bits")
    XCTAssertNoThrow(try p.field("H", as: Bool.self))
    XCTAssertThrowsError(try p.field("A", as: Bool.self), "Bool is for 1-bit fields")
    XCTAssertThrowsError(try p.field("R", as: ArraySlice<UInt8>.self), "R follows a 3-bit field: may be unaligned")
    XCTAssertThrowsError(try BitPattern("L:4, X:L").field("X", as: UInt8.self), "variable width: up to 64 bits")
    XCTAssertNoThrow(try BitPattern("L:4, X:L").field("X", as: UInt64.self))
    XCTAssertNoThrow(try BitPattern("L:4, X:L/signed").field("X", as: Int64.self))
    XCTAssertThrowsError(try BitPattern("A:8, B:2/bytes, C/bits").field("C", as: ArraySlice<UInt8>.self))
  }
}
