// RedisCommand's wire form: every RESPArgument type, arguments read back, appending,
// name and description. Owns no state.

import XCTest

@testable import Redis

final class RESPCommandTests: XCTestCase {
  private func wire(_ c: RedisCommand) -> String { String(decoding: c.bytes, as: UTF8.self) }

  func testEncodesANameAndStrings() {
    let c = RedisCommand("SET", "greeting", "hello")
    XCTAssertEqual(wire(c), "*3\r\n$3\r\nSET\r\n$8\r\ngreeting\r\n$5\r\nhello\r\n")
    XCTAssertEqual(c.count, 3)
    XCTAssertEqual(wire(RedisCommand("PING")), "*1\r\n$4\r\nPING\r\n")
  }

  func testEveryArgumentType() {
    let text = "a-b-c"
    let bytes: [UInt8] = [0, 13, 10, 255]
    let c = RedisCommand(
      "X", "é", text.dropFirst(2), bytes, bytes[1...2], -12, Int64.min, UInt64.max, 1.5, Double.infinity, -Double.infinity,
      RESPValue.bulkString([1, 2]), RESPValue.simpleString("OK"), RESPValue.integer(7), RESPValue.double(0.25), RESPValue.null)
    let expected: [[UInt8]] = [
      Array("X".utf8), Array("é".utf8), Array("b-c".utf8), bytes, [13, 10], Array("-12".utf8), Array("-9223372036854775808".utf8),
      Array("18446744073709551615".utf8), Array("1.5".utf8), Array("+inf".utf8), Array("-inf".utf8), [1, 2], Array("OK".utf8),
      Array("7".utf8),
      Array("0.25".utf8), [],
    ]
    XCTAssertEqual(c.count, expected.count)
    XCTAssertEqual(c.arguments.map(Array.init), expected)
    var manual = Array("*\(expected.count)\r\n".utf8)
    for e in expected { manual += Array("$\(e.count)\r\n".utf8) + e + [13, 10] }
    XCTAssertEqual(c.bytes, manual)
    // "é" is two bytes long.
    XCTAssertTrue(wire(c).contains("$2\r\né\r\n"))
  }

  func testDoublesAreWrittenSoRedisReadsThemBack() {
    XCTAssertEqual(RedisCommand("ZADD", "k", Double.infinity, "m").arguments[2], ArraySlice("+inf".utf8))
    XCTAssertEqual(RedisCommand("ZADD", "k", -Double.infinity, "m").arguments[2], ArraySlice("-inf".utf8))
    for d in [0.1, -2.5e-8, 1e300, 123_456_789.125, -0.0] {
      let written = String(decoding: RedisCommand("X", d).arguments[1], as: UTF8.self)
      XCTAssertEqual(Double(written), d, written)
    }
  }

  func testBinaryArgumentsRoundTrip() {
    let nasty: [[UInt8]] = [
      Array("\r\n$3\r\nfoo\r\n".utf8), Array("*2\r\n".utf8), [], [13], [10], Array("$".utf8), [UInt8](repeating: 36, count: 1000),
      Array(0...255),
    ]
    let c = RedisCommand(arguments: [Array("SET".utf8)] + nasty)
    XCTAssertEqual(c.count, nasty.count + 1)
    XCTAssertEqual(c.arguments.map(Array.init), [Array("SET".utf8)] + nasty)
    XCTAssertEqual(c.name, "SET")
    // What Redis would read: an array of the same bulk strings.
    var d = RESPDecoder()
    d.feed(c.bytes)
    XCTAssertEqual(try d.next(), .array(([Array("SET".utf8)] + nasty).map { .bulkString(ArraySlice($0)) }))
  }

  func testListInitialisers() {
    XCTAssertEqual(RedisCommand(["CLIENT", "INFO"]).bytes, RedisCommand("CLIENT", "INFO").bytes)
    XCTAssertEqual(RedisCommand(arguments: ["GET", "k"]).bytes, RedisCommand("GET", "k").bytes)
    XCTAssertEqual(RedisCommand(arguments: [ArraySlice("GET".utf8), ArraySlice("k".utf8)]), RedisCommand("GET", "k"))
    let empty = RedisCommand([])
    XCTAssertEqual(wire(empty), "*0\r\n")
    XCTAssertEqual(empty.count, 0)
    XCTAssertEqual(empty.arguments, [])
    XCTAssertEqual(empty.name, "")
  }

  func testAppending() {
    let base = RedisCommand("XADD", "stream", "*")
    let more = base.appending(["f1", "v1", "f2", "v2"])
    XCTAssertEqual(more, RedisCommand(["XADD", "stream", "*", "f1", "v1", "f2", "v2"]))
    XCTAssertEqual(more.count, 7)
    XCTAssertEqual(base.appending([String]()), base)
    XCTAssertEqual(base.count, 3, "the original is unchanged")
    // Across a header of more digits, and twice.
    let nine = RedisCommand(["MSET", "a", "1", "b", "2", "c", "3", "d", "4"])
    let eleven = nine.appending([[UInt8]("e".utf8), [13, 10]])
    XCTAssertEqual(eleven.count, 11)
    XCTAssertTrue(wire(eleven).hasPrefix("*11\r\n$4\r\nMSET\r\n"))
    XCTAssertEqual(eleven.arguments.last, [13, 10])
    let twelve = eleven.appending([1.5])
    XCTAssertEqual(twelve.count, 12)
    XCTAssertEqual(twelve.arguments.map { String(decoding: $0, as: UTF8.self) }.suffix(3), ["e", "\r\n", "1.5"])
  }

  func testNameAndDescription() {
    XCTAssertEqual(RedisCommand("get", "k").name, "GET")
    XCTAssertEqual(RedisCommand("Client", "info").name, "CLIENT")
    XCTAssertEqual(RedisCommand("SET", "k", 5).description, "SET k 5")
    let long = String(repeating: "x", count: 100)
    XCTAssertEqual(RedisCommand("SET", "k", long).description, "SET k " + String(repeating: "x", count: 64) + "...")
  }

  func testALongCommandArgumentCount() {
    let c = RedisCommand(arguments: (0..<1234).map { String($0) })
    XCTAssertTrue(wire(c).hasPrefix("*1234\r\n$1\r\n0\r\n"))
    XCTAssertEqual(c.arguments.count, 1234)
    XCTAssertEqual(c.arguments[1233], ArraySlice("1233".utf8))
  }
}
