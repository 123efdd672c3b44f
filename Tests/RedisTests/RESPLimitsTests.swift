// What RESPDecoder refuses, and what a hostile header cannot make it allocate: oversize
// lengths, deep nesting, endless lines, unknown type bytes. Owns no state.

import XCTest

@testable import Redis

final class RESPLimitsTests: XCTestCase {
  private func assertTooLarge(_ wire: String, limits: RESPDecoder.Limits = .init(), file: StaticString = #filePath, line: UInt = #line) {
    guard case .tooLarge = decodeError(Array(wire.utf8), limits: limits) else {
      return XCTFail("\(wire.prefix(40).debugDescription) not refused as too large", file: file, line: line)
    }
  }

  func testLengthsOverTheLimitsAreRefused() {
    assertTooLarge("$99999999999\r\n")
    assertTooLarge("!99999999999\r\n")
    assertTooLarge("=99999999999\r\n")
    assertTooLarge("*4000000000\r\n")
    assertTooLarge("%4000000000\r\n")
    assertTooLarge("~4000000000\r\n")
    assertTooLarge(">4000000000\r\n")
    assertTooLarge("|4000000000\r\n")
    assertTooLarge("*1\r\n*9223372036854775807\r\n")
    var small = RESPDecoder.Limits()
    small.maxBulkLength = 10
    small.maxAggregateCount = 3
    assertTooLarge("$11\r\n", limits: small)
    assertTooLarge("*4\r\n", limits: small)
    XCTAssertNil(decodeError(Array("$10\r\n0123456789\r\n*3\r\n:1\r\n:2\r\n:3\r\n".utf8), limits: small))
  }

  func testAHugeHeaderWithinTheLimitsReservesOnlyWhatTheBytesCouldHold() throws {
    var open = RESPDecoder.Limits()
    open.maxBulkLength = .max
    open.maxAggregateCount = .max / 2
    for header in ["*4000000000\r\n", "%4000000000\r\n", "~4000000000\r\n", ">4000000000\r\n", "|4000000000\r\n"] {
      var d = RESPDecoder(limits: open)
      d.feed(Array((header + ":1\r\n:2\r\n:3\r\n").utf8))
      XCTAssertNil(try d.next())
      XCTAssertLessThanOrEqual(d.reservedCapacity.elements, 8, header)
      // One byte at a time: nothing present to reserve for.
      var slow = RESPDecoder(limits: open)
      for b in (header + ":1\r\n").utf8 {
        slow.feed([b])
        XCTAssertNil(try slow.next())
      }
      XCTAssertLessThanOrEqual(slow.reservedCapacity.elements, 4, header)
    }
    var d = RESPDecoder(limits: open)
    d.feed(Array("$99999999999\r\nabc".utf8))
    XCTAssertNil(try d.next())
    XCTAssertLessThan(d.reservedCapacity.bytes, 64)
    XCTAssertEqual(d.bufferedBytes, 17)
    // The largest lengths there are, with no limits: refused or waited for, never a trap.
    for wire in ["$9223372036854775807\r\nab", "$9223372036854775805\r\nab", "*9223372036854775807\r\n:1\r\n", "%4611686018427387904\r\n"] {
      var any = RESPDecoder(limits: open)
      for b in wire.utf8 {
        any.feed([b])
        do {
          let reply = try any.next()
          XCTAssertNil(reply, wire)
        } catch {
          guard case .tooLarge = error else { return XCTFail("\(wire.debugDescription): \(error)") }
          break
        }
      }
    }
    // Under the default limits, a claim close to them.
    var near = RESPDecoder()
    near.feed(Array("*268435456\r\n$536870912\r\nab".utf8))
    XCTAssertNil(try near.next())
    XCTAssertLessThan(near.reservedCapacity.elements, 16)
    XCTAssertLessThan(near.reservedCapacity.bytes, 64)
  }

  func testNestingDeeperThanTheLimitIsRefused() throws {
    var limits = RESPDecoder.Limits()
    limits.maxDepth = 4
    // Values at depth 4 (inside four aggregates) are fine, at depth 5 not.
    XCTAssertNil(decodeError(Array((String(repeating: "*1\r\n", count: 4) + ":1\r\n").utf8), limits: limits))
    XCTAssertNil(decodeError(Array((String(repeating: "*1\r\n", count: 4) + "*0\r\n").utf8), limits: limits))
    XCTAssertNil(decodeError(Array((String(repeating: "*1\r\n", count: 3) + "|1\r\n:1\r\n:1\r\n:1\r\n").utf8), limits: limits))
    assertTooLarge(String(repeating: "*1\r\n", count: 5) + ":1\r\n", limits: limits)
    assertTooLarge(String(repeating: "%1\r\n", count: 5), limits: limits)
    // An attribute counts as a level.
    assertTooLarge(String(repeating: "*1\r\n", count: 4) + "|1\r\n:1\r\n:1\r\n:1\r\n", limits: limits)
  }

  func testAHundredThousandLevelsFailWithoutRecursing() throws {
    let deep = [UInt8](String(repeating: "*1\r\n", count: 100_000).utf8)
    assertTooLarge(String(repeating: "*1\r\n", count: 100_000))
    // Byte by byte, it fails as soon as the level past the limit is read.
    var d = RESPDecoder()
    var fedBeforeError = 0
    do {
      for b in deep {
        d.feed([b])
        fedBeforeError += 1
        let reply = try d.next()
        XCTAssertNil(reply)
      }
      XCTFail("accepted")
    } catch {
      XCTAssertEqual(fedBeforeError, 129 * 4)
    }
    // With no depth limit, a hundred thousand open levels are held flat.
    var unlimited = RESPDecoder.Limits()
    unlimited.maxDepth = .max
    var flat = RESPDecoder(limits: unlimited)
    flat.feed(deep)
    XCTAssertNil(try flat.next())
    XCTAssertEqual(flat.bufferedBytes, deep.count)
  }

  func testALineWithoutCRLFFailsOnceOverTheLimit() throws {
    var limits = RESPDecoder.Limits()
    limits.maxLineLength = 100
    for type in ["+", "-", ":", "$", "*", ",", "(", "%"] {
      // Whole: exactly the limit waits, one more byte fails.
      var d = RESPDecoder(limits: limits)
      d.feed(Array((type + String(repeating: "1", count: 100)).utf8))
      XCTAssertNil(try d.next(), type)
      d.feed(Array("1".utf8))
      XCTAssertThrowsError(try d.next(), type) { guard case .tooLarge = $0 as? RESPError else { return XCTFail("\($0)") } }
      // Byte by byte, the same, and the bytes kept stay within the limit.
      var slow = RESPDecoder(limits: limits)
      slow.feed(Array(type.utf8))
      for i in 0..<100 {
        slow.feed([UInt8(ascii: "1")])
        let reply = try slow.next()
        XCTAssertNil(reply, "\(type) at \(i)")
        XCTAssertLessThan(slow.reservedCapacity.bytes, 256)
      }
      slow.feed([UInt8(ascii: "1")])
      XCTAssertThrowsError(try slow.next(), type) { guard case .tooLarge = $0 as? RESPError else { return XCTFail("\($0)") } }
    }
    // A line of exactly the limit is read, whole or split.
    let longest = Array(("+" + String(repeating: "a", count: 100) + "\r\n").utf8)
    XCTAssertEqual(try decodePieces(longest, cuts: [], limits: limits).count, 1)
    XCTAssertEqual(try decodePieces(longest, cuts: [50], limits: limits).count, 1)
    XCTAssertEqual(try decodePieces(longest, cuts: [101], limits: limits).count, 1)
    XCTAssertEqual(try decodePieces(longest, cuts: [102], limits: limits).count, 1)
    // The default limit, in 1 KiB reads: buffering stops at 64 KiB.
    var endless = RESPDecoder()
    let kib = [UInt8](repeating: UInt8(ascii: "x"), count: 1024)
    var reads = 0
    do {
      endless.feed([UInt8(ascii: "+")])
      while reads < 1000 {
        endless.feed(kib)
        reads += 1
        let reply = try endless.next()
        XCTAssertNil(reply)
      }
      XCTFail("an endless line accepted")
    } catch {
      XCTAssertEqual(reads, 65)
      XCTAssertLessThan(endless.reservedCapacity.bytes, 200 << 10)
    }
  }

  func testACRNotFollowedByLFIsAnError() {
    for wire in ["+a\rb\r\n", "$1\ra\r\n", "$1\r\nab\r\n", "$1\r\na\rx", "*1\r:1\r\n"] {
      guard case .malformed = decodeError(Array(wire.utf8)) else { return XCTFail("\(wire.debugDescription) accepted") }
    }
    // Split across reads at the CR.
    var d = RESPDecoder()
    d.feed(Array("+abc\r".utf8))
    XCTAssertNil(try d.next())
    d.feed(Array("x\r\n".utf8))
    XCTAssertThrowsError(try d.next())
  }

  func testEveryByteThatIsNotATypeIsRefusedAtOnce() {
    let types = Set("+-:_#,($!=*~>%|".utf8)
    for b in UInt8.min...UInt8.max where !types.contains(b) {
      // Alone, with no line end yet: no need to wait to know.
      XCTAssertEqual(decodeError([b]), .unknownType(b))
      // After a reply, and inside an aggregate.
      var d = RESPDecoder()
      d.feed(Array("+OK\r\n*2\r\n:1\r\n".utf8) + [b])
      XCTAssertEqual(try d.next(), .simpleString("OK"))
      XCTAssertThrowsError(try d.next()) { XCTAssertEqual($0 as? RESPError, .unknownType(b)) }
    }
  }

  func testNegativeAndGarbageLengthsAreMalformed() {
    for wire in ["$-5\r\n", "*-3\r\n", "$abc\r\n", "*\r\n", "$\r\n", "%1x\r\n", "$1.5\r\n"] {
      guard case .malformed = decodeError(Array(wire.utf8)) else { return XCTFail("\(wire.debugDescription) accepted") }
    }
  }
}
