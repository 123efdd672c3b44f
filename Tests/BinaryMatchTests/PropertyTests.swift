import BinaryMatchExamples
// Properties over random patterns and random inputs (seeded, so failures reproduce):
// match(build(v)) == v, build(match(x)) == x for valid x, and arbitrary bytes never trap.
import XCTest

@testable import BinaryMatch

/// A random pattern and a way to make random valid values for it.
struct RandomPattern {
  var text = ""
  var makers: [(name: String, make: (inout SeededRandom) -> BitValue)] = []
  var hasSkips = false

  static func make(_ r: inout SeededRandom, skips: Bool) -> RandomPattern {
    var p = RandomPattern()
    var segments: [String] = []
    let count = Int.random(in: 1...7, using: &r)
    for i in 0..<count {
      switch Int.random(in: 0..<16, using: &r) {
      case 0, 1, 2:
        let width = [1, 3, 7, 8, 12, 16, 24, 31, 32, 33, 48, 63, 64].randomElement(using: &r)!
        let signed = Bool.random(using: &r)
        let endian = ["big", "little", "native"].randomElement(using: &r)!
        segments.append("I\(i):\(width)/\(signed ? "signed" : "unsigned")-\(endian)")
        p.makers.append(("I\(i)", { r in randomInteger(width: width, signed: signed, &r) }))
      case 3:
        let width = Int.random(in: 1...16, using: &r)
        segments.append("\(UInt64.random(in: 0..<(1 << UInt64(width)), using: &r)):\(width)")
      case 4:
        let width = [16, 32, 64].randomElement(using: &r)!
        segments.append("F\(i):\(width)/float-\(Bool.random(using: &r) ? "little" : "big")")
        p.makers.append(("F\(i)", { r in .float(randomFloat(width: width, &r)) }))
      case 5:
        let bits = Int.random(in: 0...20, using: &r)
        segments.append("B\(i):\(bits)/bits")
        p.makers.append(("B\(i)", { r in .bits(randomBits(bits, &r)) }))
      case 6:
        let type = ["utf8", "utf16", "utf32", "utf16-little", "utf32-little"].randomElement(using: &r)!
        segments.append("C\(i)/\(type)")
        p.makers.append(("C\(i)", { r in .scalar(randomScalar(&r)) }))
      case 7:
        segments.append("L\(i):8, P\(i):L\(i)/binary")
        let length = Int.random(in: 0...5, using: &r)
        p.makers.append(("L\(i)", { _ in BitValue(length) }))
        p.makers.append(("P\(i)", { r in .bytes(r.bytes(length)) }))
      case 8:
        segments.append("L\(i):4, P\(i):(L\(i) * 2 + 1)/bits")
        let length = Int.random(in: 0...15, using: &r)
        p.makers.append(("L\(i)", { _ in BitValue(length) }))
        p.makers.append(("P\(i)", { r in .bits(randomBits(length * 2 + 1, &r)) }))
      case 9:
        let width = Int.random(in: 1...12, using: &r)
        segments.append("R\(i):\(width), R\(i):\(width)")
        p.makers.append(("R\(i)", { r in randomInteger(width: width, signed: false, &r) }))
      case 10:
        // A size computed by a general expression (not k * Field + c).
        let length = Int.random(in: 0...9, using: &r)
        segments.append("L\(i):6, P\(i):((L\(i) + 1) div 2)/binary")
        p.makers.append(("L\(i)", { _ in BitValue(length) }))
        p.makers.append(("P\(i)", { r in .bytes(r.bytes((length + 1) / 2)) }))
      case 11:
        // An integer whose width is a field.
        let width = Int.random(in: 0...40, using: &r)
        let signed = Bool.random(using: &r)
        segments.append("L\(i):6, V\(i):L\(i)/\(signed ? "signed" : "unsigned")")
        p.makers.append(("L\(i)", { _ in BitValue(width) }))
        p.makers.append(("V\(i)", { r in width == 0 ? BitValue(0) : randomInteger(width: width, signed: signed, &r) }))
      case 12:
        // A float whose width is a field.
        let width = [16, 32, 64].randomElement(using: &r)!
        segments.append("W\(i):8, F\(i):W\(i)/float")
        p.makers.append(("W\(i)", { _ in BitValue(width) }))
        p.makers.append(("F\(i)", { r in .float(randomFloat(width: width, &r)) }))
      case 13:
        // Literal text (whole literal bytes), and a fixed-size binary.
        let text = ["GET ", "a", "PNG\r\n", "12345678abc"].randomElement(using: &r)!
        let bytes = Int.random(in: 0...3, using: &r)
        segments.append("\"\(text)\", X\(i):\(bytes)/binary")
        p.makers.append(("X\(i)", { r in .bytes(r.bytes(bytes)) }))
      case 14:
        // A name repeated after a field of any width.
        let width = Int.random(in: 1...64, using: &r)
        p.makers.append(("R\(i)", { r in randomInteger(width: width, signed: false, &r) }))
        if skips {
          segments.append("R\(i):\(width), _:\(Int.random(in: 1...130, using: &r)), R\(i):\(width)")
          p.hasSkips = true
        } else {
          let gap = Int.random(in: 1...64, using: &r)
          segments.append("R\(i):\(width), G\(i):\(gap), R\(i):\(width)")
          p.makers.append(("G\(i)", { r in randomInteger(width: gap, signed: false, &r) }))
        }
      default:
        if skips {
          segments.append("_:\(Int.random(in: 1...80, using: &r))")
          p.hasSkips = true
        } else {
          segments.append("S\(i):5")
          p.makers.append(("S\(i)", { r in randomInteger(width: 5, signed: false, &r) }))
        }
      }
    }
    if Bool.random(using: &r) {
      let bitstring = Bool.random(using: &r)
      segments.append("T/\(bitstring ? "bitstring" : "binary")")
      p.makers.append(
        (
          "T",
          { r in .bits(bitstring ? randomBits(Int.random(in: 0...30, using: &r), &r) : Bitstring(r.bytes(Int.random(in: 0...4, using: &r))))
          }
        ))
    }
    p.text = segments.joined(separator: ", ")
    return p
  }

  func values(_ r: inout SeededRandom) -> [String: BitValue] {
    var out: [String: BitValue] = [:]
    for m in makers { out[m.name] = m.make(&r) }
    return out
  }
}

/// Compiles a random pattern; nil only when it needs more result slots than a match has.
func compileRandom(_ text: String) throws -> BitPattern? {
  do {
    return try BitPattern(text)
  } catch  where error.message.contains("result slots") {
    return nil
  }
}

func randomInteger(width: Int, signed: Bool, _ r: inout SeededRandom) -> BitValue {
  let raw = UInt64.random(in: 0...UInt64.max, using: &r) >> UInt64(64 - width)
  if signed { return .int(Int64(bitPattern: raw << UInt64(64 - width)) >> Int64(64 - width)) }
  return .uint(raw)
}

func randomFloat(width: Int, _ r: inout SeededRandom) -> Double {
  while true {
    let bits = UInt64.random(in: 0...UInt64.max, using: &r)
    let d: Double
    switch width {
    case 16: d = doubleFromHalf(UInt16(truncatingIfNeeded: bits))
    case 32: d = Double(Float(bitPattern: UInt32(truncatingIfNeeded: bits)))
    default: d = Double(bitPattern: bits)
    }
    if d.isFinite { return d }
  }
}

func randomBits(_ count: Int, _ r: inout SeededRandom) -> Bitstring {
  Bitstring(bytes: r.bytes((count + 7) / 8), bitCount: count)!
}

func randomScalar(_ r: inout SeededRandom) -> Unicode.Scalar {
  while true {
    let v = [
      UInt32.random(in: 0..<0x80, using: &r), .random(in: 0..<0x800, using: &r), .random(in: 0..<0x10000, using: &r),
      .random(in: 0...0x10FFFF, using: &r),
    ].randomElement(using: &r)!
    if let s = Unicode.Scalar(v) { return s }
  }
}

final class PropertyTests: XCTestCase {
  func testMatchOfBuildGivesTheValuesBack() throws {
    var r = SeededRandom(seed: 1)
    for round in 0..<1500 {
      let random = RandomPattern.make(&r, skips: true)
      guard let pattern = try compileRandom(random.text) else { continue }
      let values = random.values(&r)
      let bits = try pattern.buildBits(values)
      let m = try XCTUnwrap(pattern.match(bits), "round \(round): \(random.text) did not match its own output \(bits)")
      XCTAssertEqual(pattern.values(of: m, in: bits), values, "round \(round): \(random.text)")
      XCTAssertEqual(m.bitRange, 0..<bits.bitCount)
      XCTAssertEqual(try pattern.buildBits(pattern.values(of: m, in: bits)), bits, "round \(round): \(random.text)")
      if bits.isBinary {
        XCTAssertNotNil(pattern.match(bits.bytes), "round \(round): as bytes")
      }
    }
  }

  func testBuildOfMatchGivesTheInputBack() throws {
    // Valid inputs: built from random values, then with random bits flipped; whenever the
    // mutated input still matches, building its values must give it back exactly.
    var r = SeededRandom(seed: 2)
    var rebuilt = 0
    for round in 0..<1500 {
      let random = RandomPattern.make(&r, skips: false)
      guard let pattern = try compileRandom(random.text) else { continue }
      var bits = try pattern.buildBits(random.values(&r)).bytes
      let bitCount = try pattern.buildBits(random.values(&r)).bitCount
      guard !bits.isEmpty else { continue }
      for _ in 0..<Int.random(in: 1...3, using: &r) {
        bits[Int.random(in: 0..<bits.count, using: &r)] ^= UInt8(1) << UInt8.random(in: 0...7, using: &r)
      }
      guard let input = Bitstring(bytes: bits, bitCount: min(bitCount, bits.count * 8)), let m = pattern.match(input) else { continue }
      rebuilt += 1
      XCTAssertEqual(try pattern.buildBits(pattern.values(of: m, in: input)), input, "round \(round): \(random.text)")
    }
    XCTAssertGreaterThan(rebuilt, 300, "enough mutated inputs still matched to make the property meaningful")
  }

  func testRandomBytesNeverTrap() throws {
    var r = SeededRandom(seed: 3)
    var patterns = try [
      IPv4Codec.patternText, TCPCodec.patternText,
      "Fin:1, Rsv:3, Opcode:4, Mask:1, Len:7, Key:Mask/unit:32, Payload:Len/binary, Rest/binary",
      "L:8, X:L/float", "L:8/signed, B:(L * L - 3)/binary, R/bits", "A:8, B:(256 div (A rem 7))/bits, C/utf8, D/utf16-little, E/utf32",
      "L:64, B:L/binary", "L:64/signed, B:(L bsl 3)/bits", "X:12/little-signed, Y:5/little, Z:64/little, F:16/float-little, G/float",
      "1:1, V:7", "V:3", "V, V", "Len:32, Type:4/binary, Data:Length/binary, CRC:32".replacingOccurrences(of: "Length", with: "Len"),
    ].map { try BitPattern($0) }
    for _ in 0..<60 { if let p = try compileRandom(RandomPattern.make(&r, skips: true).text) { patterns.append(p) } }
    var matched = 0
    for pattern in patterns {
      for _ in 0..<400 {
        let bytes = r.bytes(Int.random(in: 0...40, using: &r))
        if let m = pattern.match(bytes) {
          matched += 1
          _ = pattern.values(of: m, in: bytes)
        }
        // The same bytes seen as a bitstring that starts and ends inside a byte.
        let lower = min(bytes.count * 8, Int.random(in: 0...7, using: &r))
        let upper = max(lower, bytes.count * 8 - Int.random(in: 0...7, using: &r))
        let bits = Bitstring(bytes)[bits: lower..<upper]
        _ = pattern.match(bits)
        for element in pattern.matches(in: bits).prefix(50) {
          _ = pattern.values(of: element, in: bits)
          _ = element.bitRange
        }
        _ = try? pattern.strictMatches(in: bytes)
        _ = try? zipMatches(pattern.matches(in: bytes), pattern.matches(in: bits))
        bytes.withUnsafeBytes { _ = pattern.match($0) }
      }
    }
    XCTAssertGreaterThan(matched, 100, "some random inputs match, so the success paths ran too")
  }

  func testDecodersRoundTripRandomInputs() throws {
    var r = SeededRandom(seed: 4)
    let ws = WebSocketFrameCodec()
    let ip = IPv4Codec()
    let tcp = TCPCodec()
    var decoded = (ws: 0, ip: 0, tcp: 0)
    for _ in 0..<20_000 {
      var bytes = r.bytes(Int.random(in: 0...80, using: &r))
      if bytes.count > 1 && Bool.random(using: &r) { bytes[1] &= 0x3F }  // short frames
      if let f = ws.decode(bytes) {
        decoded.ws += 1
        XCTAssertEqual(try ws.encode(f.header, payload: Array(bytes[f.payload])), Array(bytes[..<f.end]))
      }
      if !bytes.isEmpty && Bool.random(using: &r) { bytes[0] = 0x45 | (bytes[0] & 0x03) }  // plausible IPv4
      if let p = ip.decode(bytes) {
        decoded.ip += 1
        XCTAssertEqual(
          try ip.encode(p.header, options: Array(bytes[p.options]), payload: Array(bytes[p.payload]), computeChecksum: false), bytes)
      }
      if let s = tcp.decode(bytes) {
        decoded.tcp += 1
        XCTAssertEqual(try tcp.encode(s.header, options: Array(bytes[s.options]), payload: Array(bytes[s.payload])), bytes)
      }
    }
    XCTAssertGreaterThan(decoded.ws, 1000)
    XCTAssertGreaterThan(decoded.ip, 1000)
    XCTAssertGreaterThan(decoded.tcp, 1000)
  }

  func testCompiledProgramsAgreeWithTheSegmentBySegmentReference() throws {
    // The compiled program (fused words, blocks, compiled sizes) against the general path,
    // which matches one segment at a time: on inputs that match, on the same inputs with bits
    // flipped or cut short, on random bytes, and on views that start and end inside a byte.
    var r = SeededRandom(seed: 6)
    var patterns = try [
      IPv4Codec.patternText, TCPCodec.patternText,
      "Fin:1, Rsv:3, Opcode:4, Mask:1, Len:7, Key:Mask/unit:32, Payload:Len/binary, Rest/binary",
      "Fin:1, Rsv:3, Opcode:4, Mask:1, 127:7, 0:1, Len:63, Key:Mask/unit:32, Payload:Len/binary, Rest/binary",
      "L:8, X:L/float", "L:8/signed, B:(L * L - 3)/binary, R/bits", "A:8, B:(256 div (A rem 7))/bits, C/utf8, D/utf16-little, E/utf32",
      "X:12/little-signed, Y:5/little, Z:64/little, F:16/float-little, G/float", "X:64/signed, X:64",
      "X:8, _:100, X:8, Y:3/binary, Z:13/bits",
      "L:4, X:L, X:L, 1.5:L/float, T/binary-unit:16", "\"GET \", Path:5/binary, \" HTTP/1.\", V:8", "A:7, B:61, C:1, D:64, E:63, F:2",
    ].map { (try BitPattern($0), [(name: String, make: (inout SeededRandom) -> BitValue)]()) }
    for _ in 0..<400 {
      let random = RandomPattern.make(&r, skips: Bool.random(using: &r))
      if let p = try compileRandom(random.text) { patterns.append((p, random.makers)) }
    }
    var matched = 0
    var fastRuns = 0
    for (pattern, makers) in patterns {
      var inputs: [Bitstring] = (0..<20).map { _ in Bitstring(r.bytes(Int.random(in: 0...40, using: &r))) }
      if !makers.isEmpty || pattern.fieldNames.isEmpty {
        var values: [String: BitValue] = [:]
        for m in makers { values[m.name] = m.make(&r) }
        if let built = try? pattern.buildBits(values) {
          inputs.append(built)
          for _ in 0..<10 {
            var bytes = built.bytes
            guard !bytes.isEmpty else { break }
            bytes[Int.random(in: 0..<bytes.count, using: &r)] ^= UInt8(1) << UInt8.random(in: 0...7, using: &r)
            inputs.append(Bitstring(bytes: bytes, bitCount: built.bitCount)!)
            inputs.append(built[bits: 0..<Int.random(in: 0...built.bitCount, using: &r)])
          }
          // The same bits at every offset inside a byte, with noise around them.
          for shift in 1...7 {
            let noisy = Bitstring(r.bytes(2))[bits: 0..<shift]
            var shifted = noisy
            shifted.append(built)
            shifted.append(Bitstring(r.bytes(1)))
            inputs.append(shifted[bits: shift..<(shift + built.bitCount)])
          }
        }
      }
      for input in inputs {
        let compiled = pattern.match(input).map { pattern.values(of: $0, in: input) }
        let reference = pattern.program.referenceMatch(input)
        XCTAssertEqual(compiled, reference, "\(pattern.text) on \(input)")
        if compiled != nil { matched += 1 }
        if pattern.program.fast != nil {
          // `match` ran the straight-line plan; the operations must agree too.
          fastRuns += 1
          XCTAssertEqual(
            pattern.matchByOperations(input).map { pattern.values(of: $0, in: input) }, reference, "operations: \(pattern.text) on \(input)"
          )
        }
        if input.isBinary && input.bitOffset == 0 {
          XCTAssertEqual(
            pattern.match(input.bytes).map { pattern.values(of: $0, in: input.bytes) }, reference, "\(pattern.text) on bytes \(input)")
        }
      }
    }
    XCTAssertGreaterThan(matched, 1000, "enough inputs matched to compare bound values, not just failures")
    XCTAssertGreaterThan(fastRuns, 1000, "enough inputs ran through straight-line plans")
  }

  func testAgainstPythonStructIntegersAndFloats() throws {
    // Python packs random values in every standard size and byte order; our patterns must
    // build the same bytes and match them back to the same values.
    var r = SeededRandom(seed: 5)
    let kinds: [(code: String, pattern: String, width: Int, signed: Bool)] = [
      ("b", "signed", 8, true), ("B", "unsigned", 8, false), ("h", "signed", 16, true), ("H", "unsigned", 16, false),
      ("i", "signed", 32, true), ("I", "unsigned", 32, false), ("q", "signed", 64, true), ("Q", "unsigned", 64, false),
    ]
    var cases: [(format: String, values: [String])] = []
    var expected: [(BitPattern, [String: BitValue])] = []
    for order in [(">", "big"), ("<", "little")] {
      for _ in 0..<6 {
        let chosen = (0..<4).map { _ in kinds.randomElement(using: &r)! }
        let values = chosen.map { randomInteger(width: $0.width, signed: $0.signed, &r) }
        let floats = [16, 32, 64].map { randomFloat(width: $0, &r) }
        cases.append(
          (order.0 + chosen.map(\.code).joined() + "efd", values.map(\.description) + floats.map { "float.fromhex('\($0.hexString)')" }))
        let text =
          (chosen.enumerated().map { "V\($0.offset):\($0.element.width)/\($0.element.pattern)-\(order.1)" }
          + ["E:16/float-\(order.1)", "F:32/float-\(order.1)", "D:64/float-\(order.1)"]).joined(separator: ", ")
        var dict: [String: BitValue] = ["E": .float(floats[0]), "F": .float(floats[1]), "D": .float(floats[2])]
        for (i, v) in values.enumerated() { dict["V\(i)"] = v }
        expected.append((try BitPattern(text), dict))
      }
    }
    let packed = try PythonStruct.pack(cases)
    for (i, (pattern, values)) in expected.enumerated() {
      XCTAssertEqual(try pattern.build(values), packed[i], "\(cases[i].format) \(cases[i].values)")
      XCTAssertEqual(pattern.match(packed[i]).map { pattern.values(of: $0, in: packed[i]) }, values)
    }
    // And Python unpacks what we build.
    let pattern = try BitPattern("A:16/signed-little, B:32/big, C:64/float-little")
    let bytes = try pattern.build(["A": -300, "B": 4_000_000_000, "C": 2.5])
    XCTAssertEqual(
      try PythonStruct.unpack([("<h", Array(bytes[0..<2])), (">I", Array(bytes[2..<6])), ("<d", Array(bytes[6...]))]),
      [["-300"], ["4000000000"], ["2.5"]])
  }
}

extension Double {
  /// C99 hex float text, exact, for Python's float.fromhex.
  var hexString: String {
    if self == 0 { return sign == .minus ? "-0x0p+0" : "0x0p+0" }
    let negative = sign == .minus ? "-" : ""
    let m = significandBitPattern
    if exponentBitPattern == 0 { return "\(negative)0x0.\(String(m, radix: 16).leftPadded(13))p-1022" }
    return "\(negative)0x1.\(String(m, radix: 16).leftPadded(13))p\(Int(exponentBitPattern) - 1023)"
  }
}

extension String {
  func leftPadded(_ n: Int) -> String { String(repeating: "0", count: max(0, n - count)) + self }
}
