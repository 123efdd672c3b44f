import BinaryMatchExamples
// The straight-line plan at the edges: blocks read from a buffer's last bytes when fewer than
// 8 are left, every input length around the 8-byte load, fields crossing bytes, little-endian
// and signed fields in a block, and typed reads (which skip the sign/swap test for narrow
// unsigned types) against the dynamic values.
import XCTest

@testable import BinaryMatch

final class FastPlanTests: XCTestCase {
  /// Patterns with a leading block of 1 to 10 bytes and a fast plan.
  let blockPatterns = [
    "A:3, B:10/signed, C:3, Rest/binary",
    "A:16/little, B:5, C:11/signed, T/binary",
    "V:4, 5:4, L:8, X:24/little-signed, Rest/bits",
    "A:7, B:17, C:32/little, D/binary",
    "A:1, B:62/signed, C:1, R/binary",
    "K:8, V:K/binary, R/binary",
    "Fin:1, Rsv:3, Opcode:4, Mask:1, Len:7, Key:Mask/unit:32, Payload:Len/binary, Rest/binary",
    "Fin:1, Rsv:3, Opcode:4, Mask:1, 126:7, Len:16, Key:Mask/unit:32, Payload:Len/binary, Rest/binary",
    "Fin:1, Rsv:3, Opcode:4, Mask:1, 127:7, 0:1, Len:63, Key:Mask/unit:32, Payload:Len/binary, Rest/binary",
  ]

  func testHowTheBlockIsRead() throws {
    let ws = try BitPattern(blockPatterns[6])
    let plan = try XCTUnwrap(ws.program.fast)
    // A 2-byte block: 8-byte loads from 8 bytes on, the last bytes below that.
    for n in 2..<8 { XCTAssertEqual(FastPlan.blockRead(plan, at: 0, byteCount: n), .tail, "\(n) bytes") }
    for n in 8..<12 { XCTAssertEqual(FastPlan.blockRead(plan, at: 0, byteCount: n), .wide, "\(n) bytes") }
    // Not where the loads expect it (a bitstring starting inside a byte): bit by bit.
    XCTAssertEqual(FastPlan.blockRead(plan, at: 3, byteCount: 4), .bits)
    XCTAssertEqual(FastPlan.blockRead(plan, at: 3, byteCount: 20), .bits)
    // A block longer than 8 bytes (span 20) has no single load to stand in for: bit by bit.
    let ipv4 = try BitPattern(IPv4Codec.patternText)
    let ipPlan = try XCTUnwrap(ipv4.program.fast)
    XCTAssertEqual(FastPlan.blockRead(ipPlan, at: 0, byteCount: 19), .bits)
    XCTAssertEqual(FastPlan.blockRead(ipPlan, at: 0, byteCount: 20), .wide)
    // The 10-byte block of the long WebSocket form is read bit by bit under 10 bytes.
    let long = try BitPattern(blockPatterns[8])
    XCTAssertEqual(FastPlan.blockRead(try XCTUnwrap(long.program.fast), at: 0, byteCount: 9), .bits)
    XCTAssertEqual(FastPlan.blockRead(try XCTUnwrap(long.program.fast), at: 0, byteCount: 10), .wide)
  }

  func testEveryLengthAroundTheEightByteLoad() throws {
    var r = SeededRandom(seed: 71)
    var matched = 0
    var tails = 0
    for text in blockPatterns {
      let p = try BitPattern(text)
      let plan = try XCTUnwrap(p.program.fast, "\(text) has a fast plan")
      for length in 0...14 {
        for k in 0..<40 {
          var bytes = r.bytes(length)
          if k % 2 == 0 && !bytes.isEmpty {
            bytes[0] = (bytes[0] & 0xF0) | 0x05  // the literal 5:4 of the third pattern
            if text.hasPrefix("K:8") { bytes[0] = UInt8(Int.random(in: 0...max(0, length - 1), using: &r)) }
            if text.hasPrefix("Fin") && length > 1 { bytes[1] &= k % 4 == 0 ? 0x07 : 0x87 }  // short lengths
          }
          let input = Bitstring(bytes)
          let reference = p.program.referenceMatch(input)
          XCTAssertEqual(p.match(bytes).map { p.values(of: $0, in: bytes) }, reference, "\(text) on \(bytes)")
          XCTAssertEqual(p.matchByOperations(input).map { p.values(of: $0, in: input) }, reference, "operations: \(text) on \(bytes)")
          if reference != nil {
            matched += 1
            if FastPlan.blockRead(plan, at: 0, byteCount: length) == .tail { tails += 1 }
          }
        }
      }
    }
    XCTAssertGreaterThan(matched, 500)
    XCTAssertGreaterThan(tails, 100, "enough matches read the block from the last bytes")
  }

  func testTypedReadsAgreeWithTheValues() throws {
    // Packed words of unsigned, signed and little-endian fields, read through every integer
    // type that may hold them (and Bool for 1-bit fields).
    var r = SeededRandom(seed: 72)
    var reads = 0
    for _ in 0..<300 {
      var segments: [String] = []
      for i in 0..<Int.random(in: 1...8, using: &r) {
        let width = [1, 2, 3, 5, 7, 8, 9, 13, 16, 24, 31, 32, 40, 63, 64].randomElement(using: &r)!
        var spec: [String] = []
        if Bool.random(using: &r) { spec.append("signed") }
        if width % 8 == 0 && Bool.random(using: &r) { spec.append("little") }
        segments.append("F\(i):\(width)" + (spec.isEmpty ? "" : "/" + spec.joined(separator: "-")))
      }
      let text = segments.joined(separator: ", ") + ", R/bits"
      guard let p = try? BitPattern(text) else { continue }
      for _ in 0..<5 {
        let bytes = r.bytes(Int.random(in: 0...40, using: &r))
        guard var m = p.match(bytes) else { continue }
        let values = p.values(of: m, in: bytes)
        for name in p.fieldNames where name != "R" {
          let shape = try XCTUnwrap(p.shape(of: name))
          let width = try XCTUnwrap(shape.bitWidth)
          guard case let expected? = values[name] else { return XCTFail("\(name) has no value") }
          func check<T: FixedWidthInteger & BitFieldValue>(_ type: T.Type) throws {
            guard T.unreadableReason(shape) == nil else { return }
            let field = try p.field(name, as: T.self)
            let got = m[field]
            switch expected {
            case .int(let v): XCTAssertEqual(Int64(got), v, "\(name) as \(T.self) in \(text) on \(bytes)")
            case .uint(let v): XCTAssertEqual(UInt64(got), v, "\(name) as \(T.self) in \(text) on \(bytes)")
            default: XCTFail("\(name) is not an integer")
            }
            reads += 1
          }
          try check(UInt8.self)
          try check(Int8.self)
          try check(UInt16.self)
          try check(Int16.self)
          try check(UInt32.self)
          try check(Int32.self)
          try check(UInt64.self)
          try check(Int64.self)
          try check(UInt.self)
          try check(Int.self)
          if width == 1 && !shape.isSigned {
            XCTAssertEqual(m[try p.field(name, as: Bool.self)], expected == .uint(1), "\(name) as Bool in \(text)")
          }
        }
      }
    }
    XCTAssertGreaterThan(reads, 2000)
  }
}
