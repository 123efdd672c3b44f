// RESPDecoder's behaviour across reads: zero copy, incremental parsing (what it keeps
// between reads), bufferedBytes, feeding twice, errors that stick. Owns no state.

import XCTest

@testable import Redis

final class RESPDecoderTests: XCTestCase {
  /// The address of a slice's first byte.
  private func address(_ s: ArraySlice<UInt8>) -> UnsafeRawPointer? {
    s.withUnsafeBufferPointer { UnsafeRawPointer($0.baseAddress) }
  }

  /// The address of `a[i]`.
  private func address(_ a: [UInt8], _ i: Int) -> UnsafeRawPointer? {
    a.withUnsafeBufferPointer { UnsafeRawPointer($0.baseAddress! + i) }
  }

  func testBulkStringsOfAWholeReadAreSlicesOfIt() throws {
    let read = Array("$5\r\nhello\r\n*2\r\n$3\r\nfoo\r\n=7\r\ntxt:bar\r\n".utf8)
    var d = RESPDecoder()
    d.feed(read)
    guard case .bulkString(let hello) = try d.next() else { return XCTFail() }
    XCTAssertEqual(address(hello), address(read, 4))
    guard case .array(let items) = try d.next(), case .bulkString(let foo) = items[0], case .verbatimString(_, let bar) = items[1] else {
      return XCTFail()
    }
    XCTAssertEqual(address(foo), address(read, 19))
    XCTAssertEqual(address(bar), address(read, 32))
    XCTAssertNil(try d.next())
    XCTAssertEqual(d.bufferedBytes, 0)
  }

  func testAfterAReplySplitAcrossReadsTheNextReadIsStillParsedInPlace() throws {
    var d = RESPDecoder()
    d.feed(Array("*3\r\n$5\r\nhel".utf8))
    XCTAssertNil(try d.next())
    // Only the unparsed beginning of the split bulk string is kept.
    XCTAssertEqual(d.reservedCapacity.bytes >= 3, true)
    XCTAssertLessThan(d.reservedCapacity.bytes, 64)
    let second = Array("lo\r\n$3\r\nfoo\r\n:1\r\n$3\r\nbar\r\n".utf8)
    d.feed(second)
    guard case .array(let items) = try d.next() else { return XCTFail() }
    XCTAssertEqual(items, [.bulkString(ArraySlice("hello".utf8)), .bulkString(ArraySlice("foo".utf8)), .integer(1)])
    guard case .bulkString(let foo) = items[1] else { return XCTFail() }
    XCTAssertEqual(address(foo), address(second, 8))
    guard case .bulkString(let bar) = try d.next() else { return XCTFail() }
    XCTAssertEqual(address(bar), address(second, 21))
  }

  func testAHeaderEndingARead() throws {
    // The payload of a bulk string whose header ended the last read is a slice of the next.
    var d = RESPDecoder()
    d.feed(Array("$5\r\n".utf8))
    XCTAssertNil(try d.next())
    XCTAssertEqual(d.reservedCapacity.bytes, 0)
    let payload = Array("hello\r\n".utf8)
    d.feed(payload)
    guard case .bulkString(let hello) = try d.next() else { return XCTFail() }
    XCTAssertEqual(address(hello), address(payload, 0))
  }

  func testABigArrayInSmallReadsKeepsOnlyOneTokenBetweenReads() throws {
    var wire = Array("*100000\r\n".utf8)
    for i in 0..<100_000 { wire += Array("$\(String(i).count)\r\n\(i)\r\n".utf8) }
    var d = RESPDecoder()
    var reply: RESPValue? = nil
    var start = 0
    while start < wire.count {
      let end = min(start + 1024, wire.count)
      d.feed(Array(wire[start..<end]))
      start = end
      XCTAssertLessThan(d.reservedCapacity.bytes, 64)
      if let v = try d.next() { reply = v }
      if start < wire.count { XCTAssertEqual(d.bufferedBytes, start) }
    }
    let items = try XCTUnwrap(reply?.array)
    XCTAssertEqual(items.count, 100_000)
    XCTAssertEqual(items[99_999].string, "99999")
    XCTAssertEqual(d.bufferedBytes, 0)
  }

  func testBufferedBytesCountsTheReplyInProgress() throws {
    var d = RESPDecoder()
    XCTAssertEqual(d.bufferedBytes, 0)
    d.feed(Array("+OK\r\n*2\r\n:1".utf8))
    XCTAssertEqual(d.bufferedBytes, 11)
    XCTAssertEqual(try d.next(), .simpleString("OK"))
    XCTAssertEqual(d.bufferedBytes, 6)
    XCTAssertNil(try d.next())
    XCTAssertEqual(d.bufferedBytes, 6)
    d.feed(Array("\r\n:2\r\n+x".utf8))
    XCTAssertEqual(d.bufferedBytes, 14)
    XCTAssertEqual(try d.next(), .array([.integer(1), .integer(2)]))
    XCTAssertEqual(d.bufferedBytes, 2)
    XCTAssertNil(try d.next())
    d.feed(Array("\r\n".utf8))
    XCTAssertEqual(try d.next(), .simpleString("x"))
    XCTAssertEqual(d.bufferedBytes, 0)
  }

  func testFeedingTwiceBeforeTakingReplies() throws {
    var d = RESPDecoder()
    d.feed(Array("+a\r\n+b\r\n$3\r\nx".utf8))
    XCTAssertEqual(try d.next(), .simpleString("a"))
    d.feed(Array("yz\r\n+c".utf8))
    d.feed(Array("\r\n".utf8))
    XCTAssertEqual(try d.next(), .simpleString("b"))
    XCTAssertEqual(try d.next(), .bulkString(ArraySlice("xyz".utf8)))
    XCTAssertEqual(try d.next(), .simpleString("c"))
    XCTAssertNil(try d.next())
    // And twice while a token is split.
    d.feed(Array("*2\r\n$4\r\nab".utf8))
    XCTAssertNil(try d.next())
    d.feed(Array("c".utf8))
    d.feed(Array("d\r\n+e\r".utf8))
    d.feed(Array("\n".utf8))
    XCTAssertEqual(try d.next(), .array([.bulkString(ArraySlice("abcd".utf8)), .simpleString("e")]))
    XCTAssertEqual(d.bufferedBytes, 0)
  }

  func testEmptyReadsChangeNothing() throws {
    var d = RESPDecoder()
    d.feed([])
    XCTAssertNil(try d.next())
    d.feed(Array("+O".utf8))
    d.feed([])
    XCTAssertNil(try d.next())
    d.feed([])
    d.feed(Array("K\r\n".utf8))
    XCTAssertEqual(try d.next(), .simpleString("OK"))
  }

  func testAnErrorSticks() {
    var d = RESPDecoder()
    d.feed(Array("+OK\r\n?oops\r\n+fine\r\n".utf8))
    XCTAssertEqual(try d.next(), .simpleString("OK"))
    XCTAssertThrowsError(try d.next()) { XCTAssertEqual($0 as? RESPError, .unknownType(UInt8(ascii: "?"))) }
    d.feed(Array("+more\r\n".utf8))
    XCTAssertThrowsError(try d.next()) { XCTAssertEqual($0 as? RESPError, .unknownType(UInt8(ascii: "?"))) }
  }

  func testAttributesResetForTheNextReply() throws {
    var d = RESPDecoder()
    d.feed(Array("|1\r\n+a\r\n+b\r\n".utf8))
    XCTAssertNil(try d.next())
    XCTAssertNil(d.attributes)
    d.feed(Array("+x\r\n+y\r\n".utf8))
    XCTAssertEqual(try d.next(), .simpleString("x"))
    XCTAssertEqual(d.attributes, [RESPPair(key: .simpleString("a"), value: .simpleString("b"))])
    XCTAssertEqual(try d.next(), .simpleString("y"))
    XCTAssertNil(d.attributes)
  }

  func testErrorDescriptions() {
    XCTAssertEqual(RESPError.unknownType(UInt8(ascii: "?")).description, "unknown RESP type byte '?'")
    XCTAssertEqual(RESPError.unknownType(0).description, "unknown RESP type byte 0x0")
    XCTAssertEqual(RESPError.malformed("x").description, "malformed RESP: x")
    XCTAssertEqual(RESPError.tooLarge("y").description, "RESP reply too large: y")
  }
}
