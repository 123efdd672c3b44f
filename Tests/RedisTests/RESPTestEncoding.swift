// What the RESP tests share: a RESP3 encoder for values (the tests' reference, written
// here and not in the library), a seeded PRNG, random values, and feeding a decoder in
// pieces. Stateless apart from each caller's own PRNG.

import XCTest

@testable import Redis

/// SplitMix64: deterministic, so every fuzz failure replays from its seed.
struct SeededRandom: RandomNumberGenerator {
  private var state: UInt64
  init(seed: UInt64) { state = seed }
  mutating func next() -> UInt64 {
    state &+= 0x9E37_79B9_7F4A_7C15
    var z = state
    z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
    z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
    return z ^ (z >> 31)
  }
}

/// RESP3 wire bytes of a value, the way a server writes them.
func encodeRESP(_ value: RESPValue) -> [UInt8] {
  var encoder = RESPTestEncoder()
  encoder.encode(value)
  return encoder.out
}

/// Writes values as RESP3. With `sprinkle`, an attribute goes before some elements of
/// aggregates (which a decoder must read and drop).
struct RESPTestEncoder {
  var sprinkle: SeededRandom?
  var out: [UInt8] = []

  private mutating func line(_ type: Character, _ text: String) {
    out.append(contentsOf: String(type).utf8)
    out.append(contentsOf: text.utf8)
    out.append(contentsOf: [13, 10])
  }

  private mutating func blob(_ type: Character, _ bytes: some Collection<UInt8>) {
    line(type, String(bytes.count))
    out.append(contentsOf: bytes)
    out.append(contentsOf: [13, 10])
  }

  private mutating func element(_ v: RESPValue) {
    if sprinkle != nil, Int.random(in: 0..<4, using: &sprinkle!) == 0 {
      line("|", "1")
      line("+", "ttl")
      line(":", "3600")
    }
    encode(v)
  }

  /// A RESP3 attribute (`|`) holding `pairs`.
  mutating func encodeAttribute(_ pairs: [RESPPair]) {
    line("|", String(pairs.count))
    for p in pairs {
      element(p.key)
      element(p.value)
    }
  }

  mutating func encode(_ value: RESPValue) {
    switch value {
    case .simpleString(let s): line("+", s)
    case .error(let e):
      if e.message.utf8.contains(13) || e.message.utf8.contains(10) {
        blob("!", Array(e.message.utf8))
      } else {
        line("-", e.message)
      }
    case .integer(let i): line(":", String(i))
    case .bulkString(let b): blob("$", b)
    case .null: line("_", "")
    case .double(let d):
      line(",", d.isNaN ? "nan" : d == .infinity ? "inf" : d == -.infinity ? "-inf" : String(d))
    case .boolean(let b): line("#", b ? "t" : "f")
    case .bigNumber(let s): line("(", s)
    case .verbatimString(let format, let text): blob("=", Array(format.utf8) + [UInt8(ascii: ":")] + text)
    case .array(let a):
      line("*", String(a.count))
      for v in a { element(v) }
    case .set(let a):
      line("~", String(a.count))
      for v in a { element(v) }
    case .push(let a):
      line(">", String(a.count))
      for v in a { element(v) }
    case .map(let pairs):
      line("%", String(pairs.count))
      for p in pairs {
        element(p.key)
        element(p.value)
      }
    }
  }
}

extension SeededRandom {
  /// Random bytes, CR, LF and `$` frequent among them.
  mutating func bytes(maxCount: Int) -> [UInt8] {
    (0..<Int.random(in: 0...maxCount, using: &self)).map { _ in
      switch Int.random(in: 0..<8, using: &self) {
      case 0: return 13
      case 1: return 10
      case 2: return UInt8(ascii: "$")
      default: return UInt8.random(in: 0...255, using: &self)
      }
    }
  }

  /// Printable text without CR or LF (what simple strings and errors may hold).
  mutating func text(maxCount: Int) -> String {
    String((0..<Int.random(in: 0...maxCount, using: &self)).map { _ in Character(UnicodeScalar(UInt8.random(in: 32...126, using: &self))) })
  }

  /// A random value of every RESP3 type, aggregates at most `depth` deep.
  mutating func value(depth: Int) -> RESPValue {
    switch Int.random(in: 0..<(depth > 0 ? 14 : 10), using: &self) {
    case 0: return .simpleString(text(maxCount: 12))
    case 1: return .error(RedisServerError(message: "ERR " + text(maxCount: 20)))
    case 2:
      let edge: [Int64] = [0, -1, .min, .max]
      return .integer(Bool.random(using: &self) ? edge.randomElement(using: &self)! : Int64.random(in: .min ... .max, using: &self))
    case 3: return .bulkString(ArraySlice(bytes(maxCount: 40)))
    case 4: return .null
    case 5:
      let edge: [Double] = [0, -1.5, .infinity, -.infinity, 1e300, .leastNonzeroMagnitude, 3.25e-7]
      return .double(Bool.random(using: &self) ? edge.randomElement(using: &self)! : Double.random(in: -1e9...1e9, using: &self))
    case 6: return .boolean(Bool.random(using: &self))
    case 7:
      return .bigNumber((Bool.random(using: &self) ? "-" : "") + "1" + String(repeating: "7", count: Int.random(in: 19...40, using: &self)))
    case 8: return .verbatimString(format: Bool.random(using: &self) ? "txt" : "mkd", text: ArraySlice(bytes(maxCount: 30)))
    case 9: return .error(RedisServerError(message: "BULK " + String(decoding: [13, 10, 65], as: UTF8.self)))
    case 10: return .array((0..<Int.random(in: 0...5, using: &self)).map { _ in value(depth: depth - 1) })
    case 11: return .set((0..<Int.random(in: 0...5, using: &self)).map { _ in value(depth: depth - 1) })
    case 12: return .push((0..<Int.random(in: 1...5, using: &self)).map { _ in value(depth: depth - 1) })
    default:
      return .map(
        (0..<Int.random(in: 0...4, using: &self)).map { _ in
          RESPPair(key: value(depth: depth - 1), value: value(depth: depth - 1))
        })
    }
  }

  /// Cut points splitting `count` bytes into random pieces (sorted, inside 1..<count).
  mutating func cuts(_ count: Int) -> [Int] {
    guard count > 1 else { return [] }
    return Set((0..<Int.random(in: 0...min(count - 1, 8), using: &self)).map { _ in Int.random(in: 1..<count, using: &self) }).sorted()
  }
}

/// One decoded reply with the attributes `next()` reported for it.
struct DecodedReply: Equatable, CustomStringConvertible {
  var value: RESPValue
  var attributes: [RESPPair]?
  /// Compares as wire bytes, so NaN equals NaN.
  static func == (a: Self, b: Self) -> Bool {
    encodeRESP(a.value) == encodeRESP(b.value) && a.attributes.map { encodeRESP(.map($0)) } == b.attributes.map { encodeRESP(.map($0)) }
  }
  var description: String { "\(value)" + (attributes.map { " attributes \(RESPValue.map($0))" } ?? "") }
}

/// Feeds `wire` cut at `cuts`, taking replies after each piece.
func decodePieces(_ wire: [UInt8], cuts: [Int], limits: RESPDecoder.Limits = .init()) throws -> [DecodedReply] {
  var decoder = RESPDecoder(limits: limits)
  var replies: [DecodedReply] = []
  var start = 0
  for end in cuts + [wire.count] {
    decoder.feed(Array(wire[start..<end]))
    start = end
    while let v = try decoder.next() { replies.append(DecodedReply(value: v, attributes: decoder.attributes)) }
  }
  XCTAssertEqual(decoder.bufferedBytes, 0, "bytes left over")
  return replies
}

/// Decodes `wire` whole, byte by byte, and in `randomSplits` random pieces; checks they
/// all agree and returns the replies.
func decodeEveryWay(
  _ wire: [UInt8], randomSplits: Int = 20, seed: UInt64 = 1, file: StaticString = #filePath, line: UInt = #line
) throws -> [DecodedReply] {
  let whole = try decodePieces(wire, cuts: [])
  let byByte = try decodePieces(wire, cuts: wire.isEmpty ? [] : Array(1..<wire.count))
  XCTAssertEqual(byByte, whole, "byte by byte", file: file, line: line)
  var rng = SeededRandom(seed: seed)
  for _ in 0..<randomSplits {
    let cuts = rng.cuts(wire.count)
    XCTAssertEqual(try decodePieces(wire, cuts: cuts), whole, "cut at \(cuts)", file: file, line: line)
  }
  return whole
}

/// The one reply `wire` holds, decoded every way.
func decodeOne(_ wire: String, file: StaticString = #filePath, line: UInt = #line) throws -> RESPValue {
  let replies = try decodeEveryWay(Array(wire.utf8), file: file, line: line)
  XCTAssertEqual(replies.count, 1, file: file, line: line)
  return try XCTUnwrap(replies.first, file: file, line: line).value
}

/// The error decoding `wire` whole throws (nil if none).
func decodeError(_ wire: [UInt8], limits: RESPDecoder.Limits = .init()) -> RESPError? {
  var decoder = RESPDecoder(limits: limits)
  decoder.feed(wire)
  do {
    while try decoder.next() != nil {}
    return nil
  } catch {
    return error
  }
}
