// HashSlot against the Redis Cluster specification's known values and hash tag rules,
// then against a real redis-server's CLUSTER KEYSLOT for random keys (binary ones and
// braces in odd places included).
import OtterTestSupport
import RedisTestSupport
import XCTest

@testable import Redis

final class HashSlotTests: XCTestCase {
  func testCRC16OfTheSpecificationsCheckString() {
    // The cluster specification: "the output for '123456789' is 31C3".
    XCTAssertEqual(HashSlot.crc16(Array("123456789".utf8)), 0x31C3)
    XCTAssertEqual(HashSlot.crc16([UInt8]()), 0)
  }

  func testKnownSlots() {
    XCTAssertEqual(HashSlot.count, 16384)
    XCTAssertEqual(HashSlot.of("123456789"), 0x31C3 % 16384)
    // Values from the Redis documentation (CLUSTER KEYSLOT).
    XCTAssertEqual(HashSlot.of("somekey"), 11058)
    XCTAssertEqual(HashSlot.of("foo{hash_tag}"), 2515)
    XCTAssertEqual(HashSlot.of(""), 0)
  }

  func testHashTags() {
    // The specification's examples.
    XCTAssertEqual(HashSlot.of("{user1000}.following"), HashSlot.of("user1000"))
    XCTAssertEqual(HashSlot.of("{user1000}.followers"), HashSlot.of("user1000"))
    XCTAssertEqual(HashSlot.of("foo{}{bar}"), Int(HashSlot.crc16(Array("foo{}{bar}".utf8)) % 16384), "empty tag: whole key")
    XCTAssertEqual(HashSlot.of("foo{{bar}}zap"), HashSlot.of("{bar"), "the tag is between the first { and the first } after it")
    XCTAssertEqual(HashSlot.of("foo{bar}{zap}"), HashSlot.of("bar"), "only the first tag counts")
    // Edge cases.
    XCTAssertEqual(HashSlot.of("{}"), Int(HashSlot.crc16(Array("{}".utf8)) % 16384))
    XCTAssertEqual(HashSlot.of("}{a}"), HashSlot.of("a"), "a } before the first { does not close anything")
    XCTAssertEqual(HashSlot.of("{a"), Int(HashSlot.crc16(Array("{a".utf8)) % 16384), "no closing brace: whole key")
    XCTAssertEqual(HashSlot.of("a}b{"), Int(HashSlot.crc16(Array("a}b{".utf8)) % 16384))
    XCTAssertEqual(HashSlot.of("x{y}"), HashSlot.of("y"))
  }

  func testEveryCollectionOfBytesHashesAlike() {
    let key = "{tag}rest-ü"
    let bytes = Array(key.utf8)
    let expected = HashSlot.of(key)
    XCTAssertEqual(HashSlot.of(bytes), expected)
    XCTAssertEqual(HashSlot.of(bytes[...]), expected)
    XCTAssertEqual(HashSlot.of(key.utf8), expected)
    XCTAssertEqual(HashSlot.of(bytes.lazy.map { $0 }), expected, "not contiguous")
    XCTAssertEqual(HashSlot.of(ContiguousArray(bytes)), expected)
  }

  /// ~500 keys: text, random bytes (NUL, CR LF, invalid UTF-8), braces anywhere.
  func testAgreesWithTheServersKeyslot() throws {
    // CLUSTER KEYSLOT needs cluster mode, not a formed cluster: one node is enough.
    let server = try startRedisServer(.init(clusterEnabled: true))
    var rng = SystemRandomNumberGenerator()
    var keys: [[UInt8]] = [[], Array("{".utf8), Array("}".utf8), Array("{}".utf8), Array("{{}}".utf8), Array("}{".utf8)]
    let alphabet = Array("{}ab{}xyz0{}".utf8) + [0, 13, 10, 0xFF, 0x80, 0xC3]
    while keys.count < 520 {
      let length = Int.random(in: 0...40, using: &rng)
      switch keys.count % 3 {
      case 0: keys.append((0..<length).map { _ in UInt8.random(in: 0...255, using: &rng) })
      case 1: keys.append((0..<length).map { _ in alphabet.randomElement(using: &rng)! })
      default: keys.append(Array("user:\(UInt32.random(in: 0...UInt32.max, using: &rng)){\(length)}".utf8))
      }
    }
    let replies = try server.probe().pipeline(keys.map { [Array("CLUSTER".utf8), Array("KEYSLOT".utf8), $0] })
    for (key, reply) in zip(keys, replies) {
      XCTAssertEqual(HashSlot.of(key), reply.integer, "key \(key) (the server said \(reply))")
    }
  }
}
