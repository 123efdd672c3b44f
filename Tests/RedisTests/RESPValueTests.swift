// RESPValue's typed accessors, RESP3 types and their RESP2 spellings (flat arrays,
// numbers as strings, 0/1 for booleans), and its description. Owns no state.

import XCTest

@testable import Redis

final class RESPValueTests: XCTestCase {
  private func bulk(_ s: String) -> RESPValue { .bulkString(ArraySlice(s.utf8)) }

  func testBytes() {
    XCTAssertEqual(bulk("a").bytes, ArraySlice("a".utf8))
    XCTAssertEqual(RESPValue.simpleString("OK").bytes, ArraySlice("OK".utf8))
    XCTAssertEqual(RESPValue.verbatimString(format: "txt", text: [1, 2]).bytes, [1, 2])
    XCTAssertNil(RESPValue.integer(1).bytes)
    XCTAssertNil(RESPValue.null.bytes)
  }

  func testString() {
    XCTAssertEqual(bulk("héllo").string, "héllo")
    XCTAssertEqual(RESPValue.bulkString([0xFF, 0x41]).string, "\u{FFFD}A")
    XCTAssertEqual(RESPValue.simpleString("OK").string, "OK")
    XCTAssertEqual(RESPValue.verbatimString(format: "txt", text: ArraySlice("hi".utf8)).string, "hi")
    XCTAssertEqual(RESPValue.integer(-3).string, "-3")
    XCTAssertEqual(RESPValue.double(2.5).string, "2.5")
    XCTAssertEqual(RESPValue.bigNumber("123456789012345678901234567890").string, "123456789012345678901234567890")
    for v: RESPValue in [.null, .boolean(true), .array([]), .map([]), .error(RedisServerError(message: "ERR x"))] {
      XCTAssertNil(v.string, "\(v)")
    }
  }

  func testInt() {
    XCTAssertEqual(RESPValue.integer(42).int, 42)
    XCTAssertEqual(bulk("17").int, 17)
    XCTAssertEqual(RESPValue.simpleString("-5").int, -5)
    XCTAssertEqual(RESPValue.bigNumber("12").int, 12)
    XCTAssertNil(RESPValue.bigNumber("123456789012345678901234567890").int)
    XCTAssertEqual(RESPValue.boolean(true).int, 1)
    XCTAssertEqual(RESPValue.boolean(false).int, 0)
    XCTAssertNil(bulk("1.5").int)
    XCTAssertNil(bulk("x").int)
    XCTAssertNil(RESPValue.null.int)
    XCTAssertNil(RESPValue.double(1).int)
  }

  func testDouble() {
    XCTAssertEqual(RESPValue.double(1.25).double, 1.25)
    XCTAssertEqual(RESPValue.integer(3).double, 3)
    XCTAssertEqual(bulk("3.5").double, 3.5, "RESP2's ZSCORE")
    XCTAssertEqual(bulk("inf").double, .infinity)
    XCTAssertEqual(bulk("-inf").double, -.infinity)
    XCTAssertEqual(RESPValue.simpleString("1e3").double, 1000)
    XCTAssertNil(bulk("abc").double)
    XCTAssertNil(RESPValue.null.double)
  }

  func testBool() {
    XCTAssertEqual(RESPValue.boolean(true).bool, true)
    XCTAssertEqual(RESPValue.boolean(false).bool, false)
    XCTAssertEqual(RESPValue.integer(1).bool, true, "RESP2's EXISTS")
    XCTAssertEqual(RESPValue.integer(0).bool, false)
    XCTAssertNil(bulk("1").bool)
    XCTAssertNil(RESPValue.null.bool)
  }

  func testArray() {
    XCTAssertEqual(RESPValue.array([.integer(1)]).array, [.integer(1)])
    XCTAssertEqual(RESPValue.set([.integer(2)]).array, [.integer(2)])
    XCTAssertEqual(RESPValue.push([.integer(3)]).array, [.integer(3)])
    XCTAssertEqual(
      RESPValue.map([RESPPair(key: bulk("k"), value: .integer(1))]).array, [bulk("k"), .integer(1)], "flattened, as RESP2 sends it")
    XCTAssertNil(RESPValue.null.array)
    XCTAssertNil(bulk("x").array)
  }

  func testPairsFromMapsAndRESP2FlatArrays() {
    let pairs = [RESPPair(key: bulk("a"), value: .integer(1)), RESPPair(key: bulk("b"), value: .integer(2))]
    XCTAssertEqual(RESPValue.map(pairs).pairs, pairs)
    XCTAssertEqual(RESPValue.array([bulk("a"), .integer(1), bulk("b"), .integer(2)]).pairs, pairs)
    XCTAssertEqual(RESPValue.array([]).pairs, [])
    XCTAssertNil(RESPValue.array([bulk("a")]).pairs, "odd length")
    XCTAssertNil(RESPValue.set([bulk("a"), bulk("b")]).pairs)
    XCTAssertNil(RESPValue.null.pairs)
  }

  func testDictionary() {
    let resp3 = RESPValue.map([
      RESPPair(key: .simpleString("server"), value: bulk("redis")), RESPPair(key: bulk("proto"), value: .integer(3)),
    ])
    XCTAssertEqual(resp3.dictionary, ["server": bulk("redis"), "proto": .integer(3)])
    let resp2 = RESPValue.array([bulk("server"), bulk("redis"), bulk("proto"), .integer(2), bulk("server"), bulk("valkey")])
    XCTAssertEqual(resp2.dictionary, ["server": bulk("valkey"), "proto": .integer(2)], "the last of duplicate keys wins")
    XCTAssertEqual(RESPValue.map([RESPPair(key: .integer(5), value: .null)]).dictionary, ["5": .null], "numbers as their digits")
    XCTAssertEqual(RESPValue.map([RESPPair(key: .array([]), value: .null)]).dictionary, [:], "keys without text are skipped")
    XCTAssertNil(RESPValue.array([bulk("a")]).dictionary)
    XCTAssertNil(RESPValue.integer(1).dictionary)
  }

  func testIsNullAndTypeNames() {
    XCTAssertTrue(RESPValue.null.isNull)
    XCTAssertFalse(bulk("").isNull)
    let all: [RESPValue] = [
      .simpleString(""), .error(RedisServerError(message: "E")), .integer(0), bulk(""), .null, .double(0), .boolean(true), .bigNumber("1"),
      .verbatimString(format: "txt", text: []), .array([]), .map([]), .set([]), .push([]),
    ]
    XCTAssertEqual(
      all.map(\.typeName),
      [
        "simple string", "error", "integer", "bulk string", "null", "double", "boolean", "big number", "verbatim string", "array", "map",
        "set", "push",
      ])
  }

  func testDescription() {
    XCTAssertEqual(RESPValue.simpleString("OK").description, "OK")
    XCTAssertEqual(bulk("hi").description, "\"hi\"")
    XCTAssertEqual(RESPValue.integer(3).description, "(integer) 3")
    XCTAssertEqual(RESPValue.null.description, "(nil)")
    XCTAssertEqual(RESPValue.error(RedisServerError(message: "ERR bad")).description, "(error) ERR bad")
    XCTAssertEqual(RESPValue.array([bulk("a"), .integer(1)]).description, "[\"a\", (integer) 1]")
    XCTAssertEqual(RESPValue.map([RESPPair(key: bulk("k"), value: .boolean(false))]).description, "{\"k\": (false)}")
    XCTAssertEqual(RESPValue.set([.double(1.5)]).description, "~[(double) 1.5]")
    XCTAssertEqual(RESPValue.push([.bigNumber("9")]).description, ">[(big number) 9]")
    XCTAssertEqual(RESPValue.verbatimString(format: "txt", text: ArraySlice("x".utf8)).description, "txt:\"x\"")
  }
}
