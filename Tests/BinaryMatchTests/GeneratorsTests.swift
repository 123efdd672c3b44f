// Generators (comprehensions) in detail: Erlang's skip rules, where iteration stops,
// strict errors, zipping.
import XCTest

@testable import BinaryMatch

final class GeneratorsTests: XCTestCase {
  func testRelaxedGeneratorSkipsElementsWithTheRightSizes() throws {
    // OTP's skip clause for floats: [X || <<X:64/float>> <= <<BadFloat/binary, 1.0:64/float>>]
    // is [1.0] (erlang/otp compiler fix "Fix skip clause for binary generators").
    let p = try BitPattern("X:64/float")
    let x = try p.field("X", as: Double.self)
    let bad = [UInt8](repeating: 0xFF, count: 8)  // a NaN
    let one = try p.build(["X": 1.0])
    XCTAssertEqual(
      p.matches(in: bad + one).map {
        var m = $0
        return m[x]
      }, [1.0])
    // A repeated name that differs skips the element too: [V || <<V,V>> <= <<1,1,2,3,4,4>>]
    let pair = try BitPattern("V, V")
    let v = try pair.field("V", as: UInt8.self)
    XCTAssertEqual(
      pair.matches(in: [1, 1, 2, 3, 4, 4]).map {
        var m = $0
        return m[v]
      }, [1, 4] as [UInt8])
  }

  func testIterationStopsWhereNoElementFits() throws {
    let p = try BitPattern("Len:8, Body:Len/binary")
    var iterator = p.matches(in: [2, 7, 8, 5, 1]).makeIterator()
    XCTAssertNotNil(iterator.next())
    XCTAssertEqual(iterator.bitOffset, 24)
    XCTAssertNil(iterator.next(), "Len 5 with one byte left")
    XCTAssertEqual(iterator.bitOffset, 24, "the incomplete element is left for later")
    // Element offsets count from the start of the whole input.
    let body = try p.field("Body", as: ArraySlice<UInt8>.self)
    let input: [UInt8] = [1, 9, 2, 7, 8]
    XCTAssertEqual(
      p.matches(in: input).map {
        var m = $0
        return Array(m[body, in: input])
      }, [[9], [7, 8]] as [[UInt8]])
    XCTAssertEqual(p.matches(in: input).map(\.bitRange), [0..<16, 16..<40])
  }

  func testPatternsThatConsumeNothingOrEverything() throws {
    XCTAssertEqual(Array(try BitPattern("X:0").matches(in: [1, 2])).count, 0, "an empty element would repeat forever")
    XCTAssertEqual(Array(try BitPattern("T/binary").matches(in: [1, 2])).count, 1)
    XCTAssertEqual(Array(try BitPattern("X").matches(in: [])).count, 0)
  }

  func testStrictGeneratorReportsWhere() throws {
    let p = try BitPattern("1, X")
    XCTAssertEqual(Array(try p.strictMatches(in: [1, 5, 1, 6])).count, 2)
    XCTAssertThrowsError(try p.strictMatches(in: [1, 5, 2, 6])) { error in
      XCTAssertEqual((error as? BitMatchError)?.bitOffset, 16)
      XCTAssertTrue((error as? BitMatchError)?.message.contains("does not match") == true)
    }
    XCTAssertThrowsError(try p.strictMatches(in: [1, 5, 1])) { error in
      XCTAssertEqual((error as? BitMatchError)?.bitOffset, 16)
      XCTAssertTrue((error as? BitMatchError)?.message.contains("8 bits are left over") == true)
    }
    XCTAssertEqual(Array(try p.strictMatches(in: [UInt8]())).count, 0)
  }

  func testZipEndsTogether() throws {
    let byte = try BitPattern("X")
    let word = try BitPattern("Y:16")
    XCTAssertEqual(try zipMatches(byte.matches(in: [1, 2]), word.matches(in: [0, 3, 0, 4])).count, 2)
    XCTAssertThrowsError(try zipMatches(word.matches(in: [0, 3, 0, 4]), byte.matches(in: [1]))) { error in
      XCTAssertTrue((error as? BitMatchError)?.message.contains("second generator ended") == true)
    }
    XCTAssertEqual(try zipMatches(byte.matches(in: []), word.matches(in: [])).count, 0)
    // Leftover bits too short for an element end a generator like the end of input does.
    XCTAssertEqual(try zipMatches(byte.matches(in: [1]), word.matches(in: [0, 3, 9])).count, 1)
  }
}
