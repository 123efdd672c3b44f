// Every RESP2 and RESP3 type from the spec, decoded whole, byte by byte and in random
// pieces (decodeEveryWay checks all three agree). Owns no state.

import XCTest

@testable import Redis

final class RESPTypesTests: XCTestCase {
  func testSimpleString() throws {
    XCTAssertEqual(try decodeOne("+OK\r\n"), .simpleString("OK"))
    XCTAssertEqual(try decodeOne("+\r\n"), .simpleString(""))
    XCTAssertEqual(try decodeOne("+hello world\r\n"), .simpleString("hello world"))
  }

  func testSimpleError() throws {
    let v = try decodeOne("-WRONGTYPE Operation against a key holding the wrong kind of value\r\n")
    guard case .error(let e) = v else { return XCTFail("\(v)") }
    XCTAssertEqual(e.code, "WRONGTYPE")
    XCTAssertEqual(e.kind, .wrongType)
    XCTAssertEqual(e.message, "WRONGTYPE Operation against a key holding the wrong kind of value")
  }

  func testIntegers() throws {
    XCTAssertEqual(try decodeOne(":0\r\n"), .integer(0))
    XCTAssertEqual(try decodeOne(":1000\r\n"), .integer(1000))
    XCTAssertEqual(try decodeOne(":-42\r\n"), .integer(-42))
    XCTAssertEqual(try decodeOne(":+7\r\n"), .integer(7))
    XCTAssertEqual(try decodeOne(":9223372036854775807\r\n"), .integer(.max))
    XCTAssertEqual(try decodeOne(":-9223372036854775808\r\n"), .integer(.min))
  }

  func testIntegerOverflowAndGarbageAreErrors() {
    for wire in [
      ":9223372036854775808\r\n", ":-9223372036854775809\r\n", ":99999999999999999999\r\n", ":\r\n", ":-\r\n", ":12a\r\n", ": 1\r\n",
    ] {
      guard case .malformed = decodeError(Array(wire.utf8)) else { return XCTFail("\(wire.debugDescription) accepted") }
    }
  }

  func testBulkStrings() throws {
    XCTAssertEqual(try decodeOne("$5\r\nhello\r\n"), .bulkString(ArraySlice("hello".utf8)))
    XCTAssertEqual(try decodeOne("$0\r\n\r\n"), .bulkString([]))
    // Binary, with CRLF and RESP-looking bytes inside.
    let payload: [UInt8] = [0, 13, 10, 36, 51, 13, 10, 255, 13]
    let wire = Array("$\(payload.count)\r\n".utf8) + payload + [13, 10]
    let replies = try decodeEveryWay(wire)
    XCTAssertEqual(replies.map(\.value), [.bulkString(ArraySlice(payload))])
    // Longer than a line would be allowed to be.
    let big = [UInt8](repeating: 120, count: 200_000)
    let bigWire = Array("$200000\r\n".utf8) + big + [13, 10]
    XCTAssertEqual(try decodePieces(bigWire, cuts: [3, 1000, 70000, 199_000]).map(\.value), [.bulkString(ArraySlice(big))])
  }

  func testNullInAllThreeSpellings() throws {
    XCTAssertEqual(try decodeOne("_\r\n"), .null)
    XCTAssertEqual(try decodeOne("$-1\r\n"), .null)
    XCTAssertEqual(try decodeOne("*-1\r\n"), .null)
    XCTAssertTrue(try decodeOne("_\r\n").isNull)
  }

  func testDoubles() throws {
    XCTAssertEqual(try decodeOne(",1.23\r\n"), .double(1.23))
    XCTAssertEqual(try decodeOne(",10\r\n"), .double(10))
    XCTAssertEqual(try decodeOne(",-0.5\r\n"), .double(-0.5))
    XCTAssertEqual(try decodeOne(",1.5e10\r\n"), .double(1.5e10))
    XCTAssertEqual(try decodeOne(",-2.5E-3\r\n"), .double(-2.5e-3))
    XCTAssertEqual(try decodeOne(",inf\r\n"), .double(.infinity))
    XCTAssertEqual(try decodeOne(",+inf\r\n"), .double(.infinity))
    XCTAssertEqual(try decodeOne(",-inf\r\n"), .double(-.infinity))
    guard case .double(let nan) = try decodeOne(",nan\r\n") else { return XCTFail() }
    XCTAssertTrue(nan.isNaN)
    for wire in [",\r\n", ",abc\r\n", ",1.2.3\r\n"] {
      guard case .malformed = decodeError(Array(wire.utf8)) else { return XCTFail("\(wire.debugDescription) accepted") }
    }
  }

  func testBooleans() throws {
    XCTAssertEqual(try decodeOne("#t\r\n"), .boolean(true))
    XCTAssertEqual(try decodeOne("#f\r\n"), .boolean(false))
    for wire in ["#\r\n", "#x\r\n", "#tt\r\n", "#T\r\n"] {
      guard case .malformed = decodeError(Array(wire.utf8)) else { return XCTFail("\(wire.debugDescription) accepted") }
    }
  }

  func testBigNumbers() throws {
    XCTAssertEqual(
      try decodeOne("(3492890328409238509324850943850943825024385\r\n"), .bigNumber("3492890328409238509324850943850943825024385"))
    XCTAssertEqual(
      try decodeOne("(-3492890328409238509324850943850943825024385\r\n"), .bigNumber("-3492890328409238509324850943850943825024385"))
    for wire in ["(\r\n", "(-\r\n", "(12x\r\n", "(١٢\r\n"] {
      guard case .malformed = decodeError(Array(wire.utf8)) else { return XCTFail("\(wire.debugDescription) accepted") }
    }
  }

  func testBulkErrors() throws {
    let v = try decodeOne("!21\r\nSYNTAX invalid syntax\r\n")
    guard case .error(let e) = v else { return XCTFail("\(v)") }
    XCTAssertEqual(e.code, "SYNTAX")
    XCTAssertEqual(e.message, "SYNTAX invalid syntax")
    guard case .error(let multiline) = try decodeOne("!8\r\nERR a\r\nb\r\n") else { return XCTFail() }
    XCTAssertEqual(multiline.message, "ERR a\r\nb")
  }

  func testVerbatimStrings() throws {
    XCTAssertEqual(try decodeOne("=15\r\ntxt:Some string\r\n"), .verbatimString(format: "txt", text: ArraySlice("Some string".utf8)))
    XCTAssertEqual(try decodeOne("=4\r\nmkd:\r\n"), .verbatimString(format: "mkd", text: []))
    for wire in ["=3\r\ntxt\r\n", "=5\r\ntxt-a\r\n"] {
      guard case .malformed = decodeError(Array(wire.utf8)) else { return XCTFail("\(wire.debugDescription) accepted") }
    }
  }

  func testArrays() throws {
    XCTAssertEqual(try decodeOne("*0\r\n"), .array([]))
    XCTAssertEqual(
      try decodeOne("*2\r\n$5\r\nhello\r\n$5\r\nworld\r\n"),
      .array([.bulkString(ArraySlice("hello".utf8)), .bulkString(ArraySlice("world".utf8))]))
    XCTAssertEqual(
      try decodeOne("*5\r\n:1\r\n:2\r\n:3\r\n:4\r\n$5\r\nhello\r\n"),
      .array([.integer(1), .integer(2), .integer(3), .integer(4), .bulkString(ArraySlice("hello".utf8))]))
    XCTAssertEqual(
      try decodeOne("*3\r\n$5\r\nhello\r\n$-1\r\n$5\r\nworld\r\n"),
      .array([.bulkString(ArraySlice("hello".utf8)), .null, .bulkString(ArraySlice("world".utf8))]))
  }

  func testNestedAggregates() throws {
    XCTAssertEqual(
      try decodeOne("*2\r\n*3\r\n:1\r\n:2\r\n:3\r\n*2\r\n+Hello\r\n-World\r\n"),
      .array([
        .array([.integer(1), .integer(2), .integer(3)]), .array([.simpleString("Hello"), .error(RedisServerError(message: "World"))]),
      ]))
    XCTAssertEqual(try decodeOne("*1\r\n*1\r\n*1\r\n*0\r\n"), .array([.array([.array([.array([])])])]))
    XCTAssertEqual(
      try decodeOne("%1\r\n*2\r\n:1\r\n:2\r\n~1\r\n%0\r\n"),
      .map([RESPPair(key: .array([.integer(1), .integer(2)]), value: .set([.map([])]))]))
  }

  func testMaps() throws {
    XCTAssertEqual(try decodeOne("%0\r\n"), .map([]))
    XCTAssertEqual(
      try decodeOne("%2\r\n+first\r\n:1\r\n+second\r\n:2\r\n"),
      .map([RESPPair(key: .simpleString("first"), value: .integer(1)), RESPPair(key: .simpleString("second"), value: .integer(2))]))
  }

  func testSets() throws {
    XCTAssertEqual(try decodeOne("~0\r\n"), .set([]))
    XCTAssertEqual(
      try decodeOne("~3\r\n+orange\r\n+apple\r\n#t\r\n"), .set([.simpleString("orange"), .simpleString("apple"), .boolean(true)]))
  }

  func testPushes() throws {
    XCTAssertEqual(
      try decodeOne(">3\r\n$7\r\nmessage\r\n$4\r\nnews\r\n$5\r\nhello\r\n"),
      .push([.bulkString(ArraySlice("message".utf8)), .bulkString(ArraySlice("news".utf8)), .bulkString(ArraySlice("hello".utf8))]))
  }

  func testNullAggregatesOtherThanArraysAreErrors() {
    for wire in ["%-1\r\n", "~-1\r\n", ">-1\r\n", "|-1\r\n", "!-1\r\n", "=-1\r\n", "*-2\r\n", "$-2\r\n", "_x\r\n"] {
      guard case .malformed = decodeError(Array(wire.utf8)) else { return XCTFail("\(wire.debugDescription) accepted") }
    }
  }

  func testTopLevelAttributeGoesWithTheNextReply() throws {
    // The spec's example: a reply with key popularity attached.
    let wire = "|1\r\n+key-popularity\r\n%2\r\n$1\r\na\r\n,0.1923\r\n$1\r\nb\r\n,0.0012\r\n*2\r\n:2039123\r\n:9543892\r\n+PONG\r\n"
    let replies = try decodeEveryWay(Array(wire.utf8))
    XCTAssertEqual(replies.count, 2)
    XCTAssertEqual(replies[0].value, .array([.integer(2_039_123), .integer(9_543_892)]))
    let popularity = RESPValue.map([
      RESPPair(key: .bulkString(ArraySlice("a".utf8)), value: .double(0.1923)),
      RESPPair(key: .bulkString(ArraySlice("b".utf8)), value: .double(0.0012)),
    ])
    XCTAssertEqual(replies[0].attributes, [RESPPair(key: .simpleString("key-popularity"), value: popularity)])
    // The next reply has none.
    XCTAssertEqual(replies[1].value, .simpleString("PONG"))
    XCTAssertNil(replies[1].attributes)
  }

  func testTwoTopLevelAttributesBothGoWithTheReply() throws {
    let replies = try decodeEveryWay(Array("|1\r\n+a\r\n:1\r\n|0\r\n|1\r\n+b\r\n:2\r\n:3\r\n".utf8))
    XCTAssertEqual(replies.map(\.value), [.integer(3)])
    XCTAssertEqual(
      replies[0].attributes, [RESPPair(key: .simpleString("a"), value: .integer(1)), RESPPair(key: .simpleString("b"), value: .integer(2))])
  }

  func testNestedAttributesAreDropped() throws {
    // The spec's example: an attribute on one element of an array.
    let wire = "*3\r\n:1\r\n:2\r\n|1\r\n+ttl\r\n:3600\r\n:3\r\n"
    let replies = try decodeEveryWay(Array(wire.utf8))
    XCTAssertEqual(replies.map(\.value), [.array([.integer(1), .integer(2), .integer(3)])])
    XCTAssertNil(replies[0].attributes)
    // On a map's key and value, inside a top-level attribute, nested in an attribute.
    let deep =
      "|1\r\n|1\r\n+x\r\n+y\r\n+k\r\n|1\r\n+z\r\n+w\r\n*1\r\n|0\r\n:9\r\n%1\r\n|1\r\n+a\r\n+b\r\n+key\r\n|2\r\n+c\r\n+d\r\n+e\r\n+f\r\n+value\r\n"
    let r = try decodeEveryWay(Array(deep.utf8))
    XCTAssertEqual(r.map(\.value), [.map([RESPPair(key: .simpleString("key"), value: .simpleString("value"))])])
    XCTAssertEqual(r[0].attributes, [RESPPair(key: .simpleString("k"), value: .array([.integer(9)]))])
  }

  func testAPipelineOfEveryType() throws {
    let wire =
      "+OK\r\n-ERR no\r\n:5\r\n$3\r\nabc\r\n$-1\r\n*-1\r\n_\r\n,3.5\r\n#t\r\n(123456789012345678901234567890\r\n"
      + "!3\r\nERR\r\n=7\r\ntxt:abc\r\n*1\r\n:1\r\n%1\r\n:1\r\n:2\r\n~1\r\n:1\r\n>1\r\n:1\r\n|1\r\n:1\r\n:2\r\n:7\r\n"
    let replies = try decodeEveryWay(Array(wire.utf8), randomSplits: 100)
    XCTAssertEqual(
      replies.map(\.value.typeName),
      [
        "simple string", "error", "integer", "bulk string", "null", "null", "null", "double", "boolean", "big number",
        "error", "verbatim string", "array", "map", "set", "push", "integer",
      ])
    XCTAssertEqual(replies.last?.attributes, [RESPPair(key: .integer(1), value: .integer(2))])
  }
}
