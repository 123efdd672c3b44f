import BinaryMatchExamples
// Static patterns (`BitLayoutN` of `Seg` types) against the runtime patterns they spell: the
// same matches and values on random and truncated inputs, the same bytes when building, and
// no trap on any input. Seeded, so failures reproduce.
import XCTest

@testable import BinaryMatch

final class StaticPatternTests: XCTestCase {
  // `A:3, B:13/signed, 5:4, _:4, C:64, D:1, E:39, F:2/binary, G/binary`
  typealias Mixed = BitLayout9<Seg.U<3>, Seg.I<13>, Seg.Lit<4, 5>, Seg.Skip<4>, Seg.U<64>, Seg.Flag, Seg.U<39>, Seg.Bytes<2>, Seg.Rest>
  static let mixedText = "A:3, B:13/signed, 5:4, _:4, C:64, D:1, E:39, F:2/binary, G/binary"

  // `L:5, K:L/unit:8, M:3, P:(M + 1)/binary-unit:16, X:7, Y:57` (sizes from earlier fields, no tail)
  typealias Sized = BitLayout6<Seg.U<5>, Seg.USizedBy<0, 8>, Seg.U<3>, Seg.BytesSizedBy<2, 1, 16>, Seg.U<7>, Seg.U<57>>
  static let sizedText = "L:5, K:L/unit:8, M:3, P:(M + 1)/binary-unit:16, X:7, Y:57"

  func mixedValues(_ v: Mixed.Value, _ input: [UInt8]) -> [String: BitValue] {
    [
      "A": BitValue(v.0), "B": BitValue(v.1), "C": BitValue(v.4), "D": BitValue(v.5 ? 1 : 0), "E": BitValue(v.6),
      "F": .bytes(input[v.7]), "G": .bytes(input[v.8]),
    ]
  }

  func sizedValues(_ v: Sized.Value, _ input: [UInt8]) -> [String: BitValue] {
    ["L": BitValue(v.0), "K": BitValue(v.1), "M": BitValue(v.2), "P": .bytes(input[v.3]), "X": BitValue(v.4), "Y": BitValue(v.5)]
  }

  func runtimeValues(_ pattern: BitPattern, _ input: [UInt8]) -> [String: BitValue]? {
    pattern.match(input) { m in pattern.values(of: m, in: input) }
  }

  /// Random bytes, random lengths, and truncations and bit flips of valid inputs.
  func inputs(valid: [[UInt8]], _ r: inout SeededRandom) -> [[UInt8]] {
    var out: [[UInt8]] = [[]]
    for v in valid {
      out.append(v)
      for cut in 0..<v.count { out.append(Array(v[0..<cut])) }
      var flipped = v
      if !flipped.isEmpty { flipped[Int.random(in: 0..<flipped.count, using: &r)] ^= UInt8(1 << Int.random(in: 0...7, using: &r)) }
      out.append(flipped)
      out.append(v + r.bytes(Int.random(in: 1...3, using: &r)))
    }
    for _ in 0..<200 { out.append(r.bytes(Int.random(in: 0...48, using: &r))) }
    return out
  }

  func testMixedAgreesWithRuntimePatternBothWays() throws {
    let pattern = try BitPattern(Self.mixedText)
    var r = SeededRandom(seed: 61)
    var valid: [[UInt8]] = []
    for _ in 0..<300 {
      let value: Mixed.BuildValue = (
        UInt64.random(in: 0..<8, using: &r), Int64.random(in: -4096..<4096, using: &r), (), (), r.next(), Bool.random(using: &r),
        UInt64.random(in: 0..<(1 << 39), using: &r), r.bytes(2), r.bytes(Int.random(in: 0...5, using: &r))
      )
      let built = try Mixed.build(value)
      let runtime = try pattern.build([
        "A": BitValue(value.0), "B": BitValue(value.1), "C": BitValue(value.4), "D": BitValue(value.5 ? 1 : 0),
        "E": BitValue(value.6), "F": .bytes(value.7), "G": .bytes(value.8),
      ])
      XCTAssertEqual(built, runtime)
      let m = try XCTUnwrap(Mixed.match(built))
      XCTAssertEqual(m.0, value.0)
      XCTAssertEqual(m.1, value.1)
      XCTAssertEqual(m.4, value.4)
      XCTAssertEqual(m.5, value.5)
      XCTAssertEqual(m.6, value.6)
      XCTAssertEqual(Array(built[m.7]), value.7)
      XCTAssertEqual(Array(built[m.8]), value.8)
      valid.append(built)
    }
    var matched = 0
    for input in inputs(valid: valid, &r) {
      let ours = Mixed.match(input).map { mixedValues($0, input) }
      XCTAssertEqual(ours, runtimeValues(pattern, input), "input \(input)")
      if ours != nil { matched += 1 }
    }
    XCTAssertGreaterThan(matched, 300)
  }

  func testSizesFromEarlierFieldsAgreeWithRuntimePatternBothWays() throws {
    let pattern = try BitPattern(Self.sizedText)
    var r = SeededRandom(seed: 62)
    var valid: [[UInt8]] = []
    for _ in 0..<300 {
      let l = UInt64.random(in: 0...8, using: &r)
      let m = UInt64.random(in: 0...3, using: &r)
      let k = l == 0 ? 0 : l == 8 ? r.next() : UInt64.random(in: 0..<(1 << (8 * l)), using: &r)
      let value: Sized.BuildValue = (
        l, k, m, r.bytes(2 * Int(m + 1)), UInt64.random(in: 0..<128, using: &r), UInt64.random(in: 0..<(1 << 57), using: &r)
      )
      let built = try Sized.build(value)
      let runtime = try pattern.build([
        "L": BitValue(l), "K": BitValue(k), "M": BitValue(m), "P": .bytes(value.3), "X": BitValue(value.4), "Y": BitValue(value.5),
      ])
      XCTAssertEqual(built, runtime)
      let back = try XCTUnwrap(Sized.match(built))
      XCTAssertEqual(back.0, l)
      XCTAssertEqual(back.1, k)
      XCTAssertEqual(Array(built[back.3]), value.3)
      XCTAssertEqual(back.5, value.5)
      valid.append(built)
    }
    var matched = 0
    for input in inputs(valid: valid, &r) {
      let ours = Sized.match(input).map { sizedValues($0, input) }
      XCTAssertEqual(ours, runtimeValues(pattern, input), "input \(input)")
      if ours != nil { matched += 1 }
    }
    XCTAssertGreaterThan(matched, 300)
  }

  /// Integer-only layouts: every field, also unaligned 57- to 64-bit ones in the fixed prefix
  /// (one 8-byte load plus a byte), against the runtime pattern on random bytes.
  func checkIntegers<L: StaticBitPattern>(_: L.Type, _ text: String, bytes: Int, _ fields: (L.Value) -> [UInt64], _ r: inout SeededRandom)
    throws
  {
    let pattern = try BitPattern(text)
    for _ in 0..<500 {
      let input = r.bytes(bytes)
      guard let runtime = runtimeValues(pattern, input) else {
        XCTFail("\(text) should match any \(bytes) bytes")
        return
      }
      let ours = try XCTUnwrap(L.match(input).map(fields))
      XCTAssertEqual(ours.map { BitValue($0) }, pattern.fieldNames.map { runtime[$0]! }, "\(text) on \(input)")
      XCTAssertNil(L.match(Array(input.dropLast())))
    }
  }

  func testIntegerLayoutsAgreeWithRuntimePatterns() throws {
    var r = SeededRandom(seed: 66)
    try checkIntegers(BitLayout3<Seg.U<3>, Seg.U<64>, Seg.U<5>>.self, "A:3, B:64, C:5", bytes: 9, { [$0.0, $0.1, $0.2] }, &r)
    try checkIntegers(
      BitLayout4<Seg.U<7>, Seg.U<59>, Seg.U<33>, Seg.U<13>>.self, "A:7, B:59, C:33, D:13", bytes: 14, { [$0.0, $0.1, $0.2, $0.3] }, &r)
    try checkIntegers(BitLayout3<Seg.U<1>, Seg.U<34>, Seg.U<5>>.self, "A:1, B:34, C:5", bytes: 5, { [$0.0, $0.1, $0.2] }, &r)
    try checkIntegers(
      BitLayout5<Seg.U<12>, Seg.U<20>, Seg.U<1>, Seg.U<63>, Seg.U<32>>.self, "A:12, B:20, C:1, D:63, E:32", bytes: 16,
      { [$0.0, $0.1, $0.2, $0.3, $0.4] }, &r)
  }

  func testIPv4StaticAgreesWithRuntimeCodec() throws {
    let codec = IPv4Codec()
    var r = SeededRandom(seed: 63)
    var valid: [[UInt8]] = []
    for _ in 0..<300 {
      let options = r.bytes(4 * Int.random(in: 0...10, using: &r))
      let payload = r.bytes(Int.random(in: 0...30, using: &r))
      let header = IPv4Header(
        dscp: UInt8.random(in: 0..<64, using: &r), ecn: UInt8.random(in: 0..<4, using: &r),
        totalLength: UInt16.random(in: 0...UInt16.max, using: &r),
        identification: UInt16.random(in: 0...UInt16.max, using: &r), flags: UInt8.random(in: 0..<8, using: &r),
        fragmentOffset: UInt16.random(in: 0..<8192, using: &r), ttl: UInt8.random(in: 0...255, using: &r),
        protocol: UInt8.random(in: 0...255, using: &r),
        headerChecksum: UInt16.random(in: 0...UInt16.max, using: &r), source: UInt32.random(in: 0...UInt32.max, using: &r),
        destination: UInt32.random(in: 0...UInt32.max, using: &r))
      let checksum = Bool.random(using: &r)
      let bytes = try StaticIPv4Header.encode(header, options: options, payload: payload, computeChecksum: checksum)
      XCTAssertEqual(bytes, try codec.encode(header, options: options, payload: payload, computeChecksum: checksum))
      let packet = try XCTUnwrap(StaticIPv4Header.decode(bytes))
      XCTAssertEqual(Array(bytes[packet.options]), options)
      XCTAssertEqual(Array(bytes[packet.payload]), payload)
      valid.append(bytes)
    }
    XCTAssertThrowsError(
      try StaticIPv4Header.encode(IPv4Header(totalLength: 20, protocol: 6, source: 1, destination: 2), options: [1, 2, 3]))
    XCTAssertThrowsError(try StaticIPv4Header.encode(IPv4Header(dscp: 64, totalLength: 20, protocol: 6, source: 1, destination: 2)))
    for input in inputs(valid: valid, &r) {
      XCTAssertEqual(StaticIPv4Header.decode(input), codec.decode(input), "input \(input)")
    }
  }

  func testWebSocketStaticAgreesWithRuntimeCodec() throws {
    let codec = WebSocketFrameCodec()
    var r = SeededRandom(seed: 64)
    var valid: [[UInt8]] = []
    for i in 0..<200 {
      let length = [Int.random(in: 0..<126, using: &r), Int.random(in: 126...70_000, using: &r), 126, 125, 65_535, 65_536][i % 6]
      let header = WebSocketFrameHeader(
        fin: Bool.random(using: &r), rsv: UInt8.random(in: 0..<8, using: &r), opcode: UInt8.random(in: 0..<16, using: &r),
        maskKey: Bool.random(using: &r) ? UInt32.random(in: 0...UInt32.max, using: &r) : nil, payloadLength: 0)
      let payload = r.bytes(length)
      let bytes = try StaticWebSocketFrame.encode(header, payload: payload)
      XCTAssertEqual(bytes, try codec.encode(header, payload: payload))
      let frame = try XCTUnwrap(StaticWebSocketFrame.decode(bytes))
      XCTAssertEqual(frame, codec.decode(bytes))
      XCTAssertEqual(Array(bytes[frame.payload]), payload)
      if length < 300 { valid.append(bytes) } else { valid.append(Array(bytes[0..<20])) }
    }
    // Non-minimal length forms and the 64-bit length's top bit: both reject.
    for bad: [UInt8] in [
      [0x81, 126, 0, 5] + [UInt8](repeating: 0, count: 5), [0x81, 127, 0, 0, 0, 0, 0, 0, 0, 5] + [UInt8](repeating: 0, count: 5),
      [0x81, 127, 0x80, 0, 0, 0, 0, 0, 0, 1],
    ] {
      XCTAssertNil(StaticWebSocketFrame.decode(bad))
      XCTAssertNil(codec.decode(bad))
    }
    for input in inputs(valid: valid, &r) {
      XCTAssertEqual(StaticWebSocketFrame.decode(input), codec.decode(input), "input \(input)")
    }
  }

  func testRandomBytesNeverTrapAndSliceInsideTheInput() {
    var r = SeededRandom(seed: 65)
    for _ in 0..<5_000 {
      let input = r.bytes(Int.random(in: 0...80, using: &r))
      for range in [
        Mixed.match(input).map { [$0.7, $0.8] }, Sized.match(input).map { [$0.3] },
        StaticIPv4Header.decode(input).map { [$0.options, $0.payload] }, StaticWebSocketFrame.decode(input).map { [$0.payload] },
      ]
      .compactMap({ $0 }).joined() {
        XCTAssertTrue(range.lowerBound >= 0 && range.upperBound <= input.count)
      }
    }
    // Buffers with no base address, and slices.
    XCTAssertNil(Mixed.match(UnsafeRawBufferPointer(start: nil, count: 0)))
    XCTAssertNil(StaticIPv4Header.decode(UnsafeRawBufferPointer(start: nil, count: 0)))
    XCTAssertNotNil(BitLayout1<Seg.Rest>.match(UnsafeRawBufferPointer(start: nil, count: 0)))
    let bytes: [UInt8] = [0xFF, 0x81, 0x05, 1, 2, 3, 4, 5]
    XCTAssertEqual(StaticWebSocketFrame.Short.match(bytes[1...])?.6, 2..<7)
  }

  func testBuilderSyntaxAndBuildErrors() throws {
    let header = bitLayout {
      Seg.Flag()
      Seg.U<3>()
      Seg.U<4>()
      Seg.Flag()
      Seg.U<7>()
      Seg.Rest()
    }
    let m = try XCTUnwrap(header.match([0x89, 0x02, 0xAA, 0xBB]))
    XCTAssertEqual(m.0, true)
    XCTAssertEqual(m.2, 9)
    XCTAssertEqual(m.4, 2)
    XCTAssertEqual(m.5, 2..<4)
    XCTAssertEqual(try header.build((true, 0, 9, false, 2, [0xAA, 0xBB])), [0x89, 0x02, 0xAA, 0xBB])
    // A value wider than its segment, a binary not the size its field says, a literal that
    // does not fit, bits that are not whole bytes.
    XCTAssertThrowsError(try header.build((true, 8, 9, false, 2, [])))
    XCTAssertThrowsError(try BitLayout2<Seg.U<8>, Seg.BytesSizedBy<0, 0, 8>>.build((3, [1, 2])))
    XCTAssertThrowsError(try BitLayout1<Seg.Lit<4, 16>>.build(()))
    XCTAssertThrowsError(try BitLayout1<Seg.U<4>>.build(1))
    XCTAssertNil(BitLayout1<Seg.Lit<8, 256>>.match([0]))
    // A size naming a later segment, or itself, never matches.
    XCTAssertNil(BitLayout2<Seg.BytesSizedBy<1, 0, 8>, Seg.U<8>>.match([0]))
    XCTAssertEqual(BitLayout2<Seg.I<8>, Seg.I<64>>.match([0xFF, 0x80, 0, 0, 0, 0, 0, 0, 0])?.1, Int64.min)
    XCTAssertEqual(BitLayout2<Seg.I<8>, Seg.I<64>>.match([0xFF, 0x80, 0, 0, 0, 0, 0, 0, 0])?.0, -1)
  }

  /// A segment that must never be read: it fails the test when it is.
  struct Unreachable: StaticSegment {
    static var staticBits: Int { 8 }
    static func read(_ state: inout StaticMatchState, at position: Int) -> UInt64? {
      XCTFail("segment \(position) was read after an earlier one failed")
      return Seg.U<8>.read(&state, at: position)
    }
    static func write(_ value: UInt64, _ state: inout StaticBuildState) { Seg.U<8>.write(value, &state) }
  }

  /// A segment written outside the library: a byte below 126 (WebSocket's 7-bit length rule,
  /// on a whole byte), rejected by returning nil; later segments can be sized by it.
  struct SmallLength: StaticSegment {
    static var staticBits: Int { 8 }
    static func read(_ state: inout StaticMatchState, at position: Int) -> UInt64? {
      guard let value = Seg.U<8>.read(&state, at: position), value < 126 else { return nil }
      return value
    }
    static func write(_ value: UInt64, _ state: inout StaticBuildState) { Seg.U<8>.write(value, &state) }
  }

  func testMatchStopsAtTheFirstSegmentThatFails() {
    // A literal that differs, a sized field past the end, a binary that does not fit: the
    // segments after it are not read.
    XCTAssertNil(BitLayout3<Seg.Lit<8, 1>, Unreachable, Seg.Rest>.match([2, 0, 0]))
    XCTAssertNil(BitLayout4<Seg.U<8>, Seg.USizedBy<0, 8>, Unreachable, Seg.Rest>.match([4, 1, 2]))
    XCTAssertNil(BitLayout4<Seg.U<8>, Seg.BytesSizedBy<0, 0, 8>, Unreachable, Seg.Rest>.match([9, 1, 2, 3]))
    XCTAssertNil(BitLayout3<Seg.U<4>, Seg.Rest, Unreachable>.match([1, 2]))
    XCTAssertEqual(BitLayout3<Seg.Lit<8, 1>, Seg.U<8>, Seg.Rest>.match([1, 7, 9])?.1, 7)
  }

  func testSegmentsDefinedOutsideTheLibraryCanRejectAndSize() throws {
    typealias Frame = BitLayout3<SmallLength, Seg.BytesSizedBy<0, 0, 8>, Seg.Rest>
    let m = try XCTUnwrap(Frame.match([3, 10, 11, 12, 99]))
    XCTAssertEqual(m.0, 3)
    XCTAssertEqual(m.1, 1..<4)
    XCTAssertEqual(m.2, 4..<5)
    XCTAssertNil(Frame.match([126] + [UInt8](repeating: 0, count: 126)))
    XCTAssertEqual(try Frame.build((2, [5, 6], [])), [2, 5, 6])
  }
}
