// Seeded fuzzing of RESPDecoder: random values round trip through the test encoder,
// truncations wait for the rest, mutated streams decode or throw (never crash or hang).
// Deterministic: a failure names its seed. Owns no state.

import XCTest

@testable import Redis

final class RESPFuzzTests: XCTestCase {
  func testRandomValuesRoundTripWhateverTheSplits() throws {
    var rng = SeededRandom(seed: 0x5EED)
    for round in 0..<1500 {
      let values = (0..<Int.random(in: 1...4, using: &rng)).map { _ in rng.value(depth: 3) }
      // Attributes sprinkled inside aggregates must vanish; one at the top goes with its reply.
      var encoder = RESPTestEncoder(sprinkle: SeededRandom(seed: UInt64(round)))
      let topAttribute = round % 3 == 0 ? [RESPPair(key: .simpleString("r"), value: .integer(Int64(round)))] : nil
      for v in values {
        if let topAttribute { encoder.encodeAttribute(topAttribute) }
        encoder.encode(v)
      }
      let wire = encoder.out
      let expected = values.map { DecodedReply(value: $0, attributes: topAttribute) }
      let cuts = rng.cuts(wire.count)
      let got = try decodePieces(wire, cuts: cuts)
      XCTAssertEqual(got, expected, "round \(round), cut at \(cuts)")
      if got != expected { return }
    }
  }

  func testEveryTruncationWaitsThenCompletes() throws {
    var rng = SeededRandom(seed: 0x7A11)
    for round in 0..<300 {
      let value = rng.value(depth: 3)
      let wire = encodeRESP(value)
      for cut in 0..<wire.count {
        var d = RESPDecoder()
        d.feed(Array(wire[..<cut]))
        XCTAssertNil(try d.next(), "round \(round): \(value) cut at \(cut) of \(wire.count)")
        XCTAssertEqual(d.bufferedBytes, cut)
        d.feed(Array(wire[cut...]))
        let got = try XCTUnwrap(try d.next(), "round \(round): \(value) cut at \(cut)")
        XCTAssertEqual(encodeRESP(got), wire, "round \(round) cut at \(cut)")
        XCTAssertNil(try d.next())
        XCTAssertEqual(d.bufferedBytes, 0)
      }
    }
  }

  func testMutatedStreamsDecodeOrThrowAndNeverHang() {
    var rng = SeededRandom(seed: 0xBAD)
    var threw = 0
    var decoded = 0
    let interesting: [UInt8] = Array("\r\n$*%|:-+_,#(!=~>0123456789".utf8) + [0, 255]
    for _ in 0..<3000 {
      var wire = encodeRESP(rng.value(depth: 3)) + encodeRESP(rng.value(depth: 2))
      for _ in 0...Int.random(in: 0..<3, using: &rng) {
        let i = Int.random(in: 0..<wire.count, using: &rng)
        let b = Bool.random(using: &rng) ? interesting.randomElement(using: &rng)! : UInt8.random(in: 0...255, using: &rng)
        switch Int.random(in: 0..<3, using: &rng) {
        case 0: wire[i] = b
        case 1: wire.insert(b, at: i)
        default: if wire.count > 1 { wire.remove(at: i) }
        }
      }
      var d = RESPDecoder()
      var start = 0
      var replies = 0
      feeding: for end in rng.cuts(wire.count) + [wire.count] {
        d.feed(Array(wire[start..<end]))
        start = end
        do {
          while try d.next() != nil {
            replies += 1
            // Each reply takes at least 3 bytes: more than that is a hang.
            XCTAssertLessThanOrEqual(replies, wire.count / 3)
            if replies > wire.count { break feeding }
          }
        } catch {
          threw += 1
          break feeding
        }
      }
      decoded += replies
      XCTAssertLessThanOrEqual(d.reservedCapacity.bytes, max(64, wire.count * 2))
    }
    // The mutations found both outcomes.
    XCTAssertGreaterThan(threw, 500)
    XCTAssertGreaterThan(decoded, 500)
  }

  func testRandomBytesNeverCrash() {
    var rng = SeededRandom(seed: 42)
    for _ in 0..<2000 {
      let wire = rng.bytes(maxCount: 64)
      var d = RESPDecoder()
      d.feed(wire)
      var n = 0
      while n <= wire.count, (try? d.next()) != nil { n += 1 }
      XCTAssertLessThanOrEqual(n, wire.count / 3)
    }
  }
}
