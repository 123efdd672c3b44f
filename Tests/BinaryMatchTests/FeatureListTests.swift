// The 21 rows of Erlang's bit syntax feature list (the Erlang reference manual's Bit Syntax
// Expressions: segments, sizes, units, types, signedness, endianness, utf, generators), each matched
// and built. Expected bytes for Erlang-specific behaviour (little-endian odd widths, floats,
// utf, generators) were produced with erl (OTP 25) and are written here as constants.
import XCTest

@testable import BinaryMatch

final class FeatureListTests: XCTestCase {
  /// The bound values of a whole-input match, or nil.
  func values(_ p: BitPattern, _ bytes: [UInt8]) -> [String: BitValue]? {
    p.match(bytes).map { p.values(of: $0, in: bytes) }
  }

  // Row 1: `<<A, B, C:16>> = <<1,17,42:16>>`
  func testRow01DefaultSegmentIsEightBitUnsignedBigInteger() throws {
    let p = try BitPattern("<<A, B, C:16>>")
    let bytes: [UInt8] = [1, 17, 0, 42]
    XCTAssertEqual(values(p, bytes), ["A": 1, "B": 17, "C": 42])
    XCTAssertEqual(try p.build(["A": 1, "B": 17, "C": 42]), bytes)
    XCTAssertEqual(p.shape(of: "A"), FieldShape(type: .integer, isSigned: false, bitWidth: 8, isByteAligned: true, isWholeBytes: true))
    XCTAssertNil(p.match([1, 17, 0]), "too short")
    XCTAssertNil(p.match([1, 17, 0, 42, 0]), "too long: a pattern matches the whole input")
  }

  // Row 2: `<<X:1, Y:6>>` (a 7-bit bitstring); IPv4-style unaligned fields.
  func testRow02ArbitraryWidthsUnaligned() throws {
    let p = try BitPattern("X:1, Y:6")
    let bits = try XCTUnwrap(Bitstring(bytes: [0b1010_1100], bitCount: 7))
    var m = try XCTUnwrap(p.match(bits))
    XCTAssertEqual(m[try p.field("X", as: UInt8.self)], 1)
    XCTAssertEqual(m[try p.field("Y", as: UInt8.self)], 0b010110)
    XCTAssertEqual(try p.buildBits(["X": 1, "Y": 22]), bits)
    XCTAssertThrowsError(try p.build(["X": 1, "Y": 22]), "7 bits are not whole bytes")

    let ip = try BitPattern("Version:4, HLen:4, SrvcType:8, TotLen:16, ID:16, Flgs:3, FragOff:13")
    let header: [UInt8] = [0x45, 0x00, 0x00, 0x73, 0x12, 0x34, 0x41, 0x02]
    XCTAssertEqual(values(ip, header), ["Version": 4, "HLen": 5, "SrvcType": 0, "TotLen": 0x73, "ID": 0x1234, "Flgs": 2, "FragOff": 0x102])
    XCTAssertEqual(
      try ip.build(["Version": 4, "HLen": 5, "SrvcType": 0, "TotLen": 0x73, "ID": 0x1234, "Flgs": 2, "FragOff": 0x102]), header)

    // A 64-bit field straddling nine bytes.
    let wide = try BitPattern("_:3, X:64, _:5")
    let x: UInt64 = 0xF0E1_D2C3_B4A5_9687
    let bytes = try wide.build(["X": .uint(x)])
    XCTAssertEqual(bytes.count, 9)
    var w = try XCTUnwrap(wide.match(bytes))
    XCTAssertEqual(w[try wide.field("X", as: UInt64.self)], x)
  }

  // Row 3: `<<N:16/signed>> = <<255,254>>` → -2
  func testRow03Signed() throws {
    let p = try BitPattern("N:16/signed")
    var m = try XCTUnwrap(p.match([255, 254]))
    XCTAssertEqual(m[try p.field("N", as: Int16.self)], -2)
    XCTAssertEqual(m[try p.field("N", as: Int.self)], -2)
    XCTAssertEqual(try p.build(["N": -2]), [255, 254])
    XCTAssertEqual(try p.build(["N": 32767]), [0x7F, 0xFF])
    XCTAssertThrowsError(try p.build(["N": 32768]))
    let unsigned = try BitPattern("N:16")
    XCTAssertEqual(values(unsigned, [255, 254]), ["N": 65534])
    let nibbles = try BitPattern("A:4/signed, B:4/signed")
    XCTAssertEqual(values(nibbles, [0x8F]), ["A": -8, "B": -1])
  }

  // Row 4: little / native endian, `X:4/little-signed-integer-unit:8`, odd widths.
  func testRow04LittleAndNativeEndian() throws {
    let p = try BitPattern("X:16/little")
    XCTAssertEqual(try p.build(["X": 0x1234]), [0x34, 0x12])
    XCTAssertEqual(values(p, [0x34, 0x12]), ["X": 0x1234])

    let le32 = try BitPattern("X:4/little-signed-integer-unit:8")
    let bytes = withUnsafeBytes(of: Int32(-5).littleEndian) { Array($0) }
    var m = try XCTUnwrap(le32.match(bytes))
    XCTAssertEqual(m[try le32.field("X", as: Int32.self)], -5)
    XCTAssertEqual(try le32.build(["X": -5]), bytes)

    let native = try BitPattern("X:32/native")
    let host = withUnsafeBytes(of: UInt32(0xDEAD_BEEF)) { Array($0) }
    XCTAssertEqual(values(native, host), ["X": 0xDEAD_BEEF])

    // Erlang: <<16#123:12/little>> = <<35,1:4>>, <<16#12345:20/little>> = <<69,35,1:4>>,
    // <<-1:12/little-signed>> = <<255,15:4>>.
    let twelve = try BitPattern("X:12/little")
    XCTAssertEqual(try twelve.buildBits(["X": 0x123]).description, "<<35,1:4>>")
    XCTAssertEqual(try BitPattern("X:20/little").buildBits(["X": 0x12345]).description, "<<69,35,1:4>>")
    XCTAssertEqual(try BitPattern("X:12/little-signed").buildBits(["X": -1]).description, "<<255,15:4>>")
    var t = try XCTUnwrap(twelve.match(try twelve.buildBits(["X": 0x123])))
    XCTAssertEqual(t[try twelve.field("X", as: UInt16.self)], 0x123)
    // Erlang: <<Z:12/little-signed>> = <<16#ABC:12/little>> gives -1348.
    let signed12 = try BitPattern("Z:12/little-signed")
    var z = try XCTUnwrap(signed12.match(try twelve.buildBits(["X": 0xABC])))
    XCTAssertEqual(z[try signed12.field("Z", as: Int16.self)], -1348)
  }

  // Row 5: float 16/32/64; NaN and infinities never match.
  func testRow05Floats() throws {
    let f32 = try BitPattern("F:32/float")
    var m = try XCTUnwrap(f32.match([0x3F, 0xC0, 0, 0]))
    XCTAssertEqual(m[try f32.field("F", as: Double.self)], 1.5)
    XCTAssertEqual(m[try f32.field("F", as: Float.self)], 1.5)
    XCTAssertNil(f32.match([0x7F, 0x80, 0, 0]), "+inf")
    XCTAssertNil(f32.match([0x7F, 0xC0, 0, 0]), "NaN")
    XCTAssertEqual(try f32.build(["F": 1.5]), [0x3F, 0xC0, 0, 0])
    XCTAssertEqual(try f32.build(["F": 1]), [0x3F, 0x80, 0, 0], "an integer value builds as a float")

    let f16 = try BitPattern("F:16/float")
    XCTAssertEqual(values(f16, [0x3C, 0x00]), ["F": 1.0])
    XCTAssertEqual(try f16.build(["F": 1.5]), [0x3E, 0x00])
    XCTAssertEqual(try f16.build(["F": 65504.0]), [0x7B, 0xFF], "largest half")
    XCTAssertEqual(try f16.build(["F": 0x1p-24]), [0x00, 0x01], "smallest subnormal")
    XCTAssertNil(f16.match([0x7C, 0x00]), "half +inf")
    XCTAssertThrowsError(try f16.build(["F": 65536.0]), "too large for a half")

    let f64 = try BitPattern("F/float")
    XCTAssertEqual(try f64.build(["F": -2.25]), Array(withUnsafeBytes(of: (-2.25).bitPattern.bigEndian) { $0 }))
    XCTAssertNil(f64.match([0x7F, 0xF8, 0, 0, 0, 0, 0, 0]), "NaN")
    XCTAssertThrowsError(try f64.build(["F": .float(.infinity)]))
    XCTAssertThrowsError(try f32.build(["F": 1e300]), "Erlang would write +inf; building throws")

    let little = try BitPattern("F:32/float-little")
    XCTAssertEqual(values(little, [0, 0, 0x80, 0x3F]), ["F": 1.0])
  }

  // Row 6: `<<A:3/binary, B/binary>> = <<"abcde">>`
  func testRow06FixedSizeBinary() throws {
    let p = try BitPattern("A:3/binary, B/binary")
    let bytes = Array("abcde".utf8)
    var m = try XCTUnwrap(p.match(bytes))
    let a = try p.field("A", as: ArraySlice<UInt8>.self)
    let b = try p.field("B", as: ArraySlice<UInt8>.self)
    XCTAssertEqual(Array(m[a, in: bytes]), Array("abc".utf8))
    XCTAssertEqual(Array(m[b, in: bytes]), Array("de".utf8))
    XCTAssertEqual(try p.build(["A": "abc", "B": "de"]), bytes)
    XCTAssertThrowsError(try p.build(["A": "ab", "B": "de"]), "binary size mismatch")
    XCTAssertNil(p.match(Array("ab".utf8)))
  }

  // Row 7: tail `/binary` (whole bytes) vs `/bitstring` (any bits).
  func testRow07TailBinaryAndBitstring() throws {
    let binary = try BitPattern("H, T/binary")
    let bits = try BitPattern("H, T/bitstring")
    let nineteen = try XCTUnwrap(Bitstring(bytes: [1, 2, 0xE0], bitCount: 19))
    XCTAssertNil(binary.match(nineteen), "T would be 11 bits, not whole bytes")
    var m = try XCTUnwrap(bits.match(nineteen))
    let t = try bits.field("T", as: Bitstring.self)
    XCTAssertEqual(m[t, in: nineteen], Bitstring(bytes: [2, 0xE0], bitCount: 11))
    XCTAssertEqual(values(binary, [1, 2, 3]), ["H": 1, "T": [2, 3]])
    XCTAssertThrowsError(try binary.build(["H": 1, "T": .bits(Bitstring(bytes: [0xE0], bitCount: 3)!)]))
    XCTAssertEqual(try bits.buildBits(["H": 1, "T": .bits(Bitstring(bytes: [2, 0xE0], bitCount: 11)!)]), nineteen)
  }

  // Row 8: `<<Sz:8, Payload:Sz/binary-unit:8, Rest/binary>>`
  func testRow08SizeFromEarlierField() throws {
    let p = try BitPattern("Sz:8, Payload:Sz/binary-unit:8, Rest/binary")
    let bytes: [UInt8] = [3] + Array("abcde".utf8)
    XCTAssertEqual(values(p, bytes), ["Sz": 3, "Payload": "abc", "Rest": "de"])
    XCTAssertNil(p.match([9, 1, 2]), "size larger than the input")
    XCTAssertEqual(try p.build(["Payload": "abc", "Rest": "de"]), bytes, "Sz is inferred from Payload")
    XCTAssertEqual(try p.build(["Sz": 3, "Payload": "abc", "Rest": "de"]), bytes)
    XCTAssertThrowsError(try p.build(["Sz": 2, "Payload": "abc", "Rest": []]))
  }

  // Row 9: `<<Sz:8, Payload:((Sz-1)*8)/bits, Rest/binary>>` (OTP 23 guard expressions).
  func testRow09SizeAsGuardExpression() throws {
    let p = try BitPattern("Sz:8, Payload:((Sz-1)*8)/bits, Rest/binary")
    XCTAssertEqual(values(p, [4, 1, 2, 3, 9]), ["Sz": 4, "Payload": [1, 2, 3], "Rest": [9]])
    XCTAssertNil(p.match([0, 1, 2]), "a negative size fails the match, it does not trap")
    XCTAssertEqual(try p.build(["Sz": 4, "Payload": [1, 2, 3], "Rest": [9]]), [4, 1, 2, 3, 9])
    let division = try BitPattern("D:8, X:(16 div D), Rest/binary")
    XCTAssertNil(division.match([0, 1, 2]), "division by zero fails the match")
    XCTAssertEqual(values(division, [2, 7, 0xFF]), ["D": 2, "X": 7, "Rest": [0xFF]])
    let mixed = try BitPattern("A:4, B:4, C:(A * B + A rem 3 - (B bsl 1))/binary, Rest/binary")
    // A = 2, B = 3: 6 + 2 - 6 = 2 bytes.
    XCTAssertEqual(values(mixed, [0x23, 9, 8, 7]), ["A": 2, "B": 3, "C": [9, 8], "Rest": [7]])
  }

  // Row 10: literal integers, floats and strings in patterns.
  func testRow10Literals() throws {
    let get = try BitPattern(#""GET ", Path/binary"#)
    XCTAssertEqual(values(get, Array("GET /index".utf8)), ["Path": "/index"])
    XCTAssertNil(get.match(Array("PUT /index".utf8)))
    XCTAssertEqual(try get.build(["Path": "/x"]), Array("GET /x".utf8))
    let zero = try BitPattern("0, T/binary")
    XCTAssertEqual(values(zero, [0, 5]), ["T": [5]])
    XCTAssertNil(zero.match([1, 5]))
    let float = try BitPattern("1.5:32/float, R/binary")
    XCTAssertEqual(values(float, [63, 192, 0, 0, 7]), ["R": [7]])
    XCTAssertNil(float.match([63, 192, 0, 1, 7]))
    XCTAssertEqual(try float.build(["R": [7]]), [63, 192, 0, 0, 7])
    let long = try BitPattern(#""GET /index.html HTTP/1.1\r\n", Rest/binary"#)
    XCTAssertEqual(values(long, Array("GET /index.html HTTP/1.1\r\nHost".utf8)), ["Rest": "Host"])
    XCTAssertNil(long.match(Array("GET /index.html HTTP/1.0\r\nHost".utf8)))
  }

  // Row 11: utf8/16/32 decode and encode; `<<1024/utf8>>` = `<<208,128>>`.
  func testRow11UTF() throws {
    let p = try BitPattern("C/utf8, Rest/binary")
    var m = try XCTUnwrap(p.match(Array("é!".utf8)))
    XCTAssertEqual(m[try p.field("C", as: Unicode.Scalar.self)], "é")
    XCTAssertEqual(m[try p.field("C", as: UInt32.self)], 0xE9)
    XCTAssertEqual(try BitPattern("1024/utf8").build([:]), [208, 128])
    XCTAssertEqual(try BitPattern("C/utf8").build(["C": 1024]), [208, 128])
    XCTAssertEqual(try BitPattern(#""abc"/utf8"#).build([:]), [97, 98, 99])
    XCTAssertEqual(try BitPattern(#""ab"/utf16"#).build([:]), [0, 97, 0, 98])
    XCTAssertEqual(try BitPattern(#""abc"/utf16-little"#).build([:]), [97, 0, 98, 0, 99, 0])
    XCTAssertEqual(try BitPattern("C/utf16-little").build(["C": 1024]), [0, 4])
    XCTAssertEqual(try BitPattern("C/utf16").build(["C": .scalar("😀")]), [216, 61, 222, 0])
    XCTAssertEqual(values(try BitPattern("C/utf16"), [216, 61, 222, 0]), ["C": 0x1F600])
    XCTAssertEqual(values(try BitPattern("C/utf32-little"), [0, 0xF6, 1, 0]), ["C": 0x1F600])
    XCTAssertEqual(values(try BitPattern(#""é"/utf8, R/binary"#), [195, 169, 1]), ["R": [1]])
    // Invalid encodings do not match (Erlang: badmatch).
    XCTAssertNil(try BitPattern("C/utf8").match([0xED, 0xA0, 0x80]), "surrogate")
    XCTAssertNil(try BitPattern("C/utf8").match([0xC0, 0x80]), "overlong")
    XCTAssertNil(try BitPattern("C/utf8").match([0xF4, 0x90, 0x80, 0x80]), "above U+10FFFF")
    XCTAssertNil(try BitPattern("C/utf16").match([0xDC, 0x00]), "lone low surrogate")
    XCTAssertNil(try BitPattern("C/utf32").match([0, 0, 0xD8, 0]), "surrogate")
    XCTAssertThrowsError(try BitPattern("C/utf8").build(["C": 0xD800]))
  }

  // Row 12: `<<_/binary-unit:16>> = <<"ab">>` matches, `<<"abc">>` does not.
  func testRow12UnitOnTailTestsDivisibility() throws {
    let p = try BitPattern("_/binary-unit:16")
    XCTAssertNotNil(p.match(Array("ab".utf8)))
    XCTAssertNil(p.match(Array("abc".utf8)))
    XCTAssertNotNil(p.match([]))
    let odd = try BitPattern("_/bitstring-unit:3")
    XCTAssertNotNil(odd.match(Bitstring(bytes: [0], bitCount: 6)!))
    XCTAssertNil(odd.match(Bitstring(bytes: [0], bitCount: 7)!))
  }

  // Row 13: construction from expressions; `<<Bin/binary, Bits/bitstring>>`.
  func testRow13ConstructionFromExpressions() throws {
    // Erlang computes `<<(X+1):8>>` in the pattern; here the value is a Swift expression.
    let x = 41
    XCTAssertEqual(try BitPattern("Y:8").build(["Y": BitValue(x + 1)]), [42])
    // Sizes are expressions over the values given.
    let p = try BitPattern("Len:8, Data:(Len * 2)/binary")
    XCTAssertEqual(try p.build(["Len": 2, "Data": [1, 2, 3, 4]]), [2, 1, 2, 3, 4])
    XCTAssertEqual(try p.build(["Data": [1, 2, 3, 4]]), [2, 1, 2, 3, 4], "Len inferred")
    XCTAssertThrowsError(try p.build(["Data": [1, 2, 3]]), "no Len makes 3 bytes")
    // Build-only patterns follow Erlang's construction rules.
    let concat = try BitPattern("Bin/binary, Bits/bitstring", mode: .buildOnly)
    let out = try concat.buildBits(["Bin": [1, 2], "Bits": .bits(Bitstring(bytes: [0xA0], bitCount: 3)!)])
    XCTAssertEqual(out.description, "<<1,2,5:3>>")
    XCTAssertNil(concat.match([1, 2]), "a build-only pattern never matches")
    let sized = try BitPattern("X:N", mode: .buildOnly)
    XCTAssertEqual(try sized.buildBits(["X": 5, "N": 3]).description, "<<5:3>>", "N is a parameter")
    XCTAssertThrowsError(try BitPattern("Bin/binary, X:8"), "a size-less binary must be last when matching")
  }

  // Row 14: Erlang truncates on construction (`<<16#ff:4>>` is `<<15:4>>`); we throw.
  func testRow14ConstructionDoesNotTruncate() throws {
    XCTAssertThrowsError(try BitPattern("X:4").buildBits(["X": 0xFF])) { error in
      let e = error as? BitBuildError
      XCTAssertEqual(e?.field, "X")
      XCTAssertTrue(e?.message.contains("does not fit 4 bits") == true, "\(error)")
    }
    XCTAssertEqual(try BitPattern("X:4").buildBits(["X": 15]).description, "<<15:4>>")
    XCTAssertThrowsError(try BitPattern("X:8").build(["X": -1]), "negative into unsigned")
    XCTAssertThrowsError(try BitPattern("F:32/float").build(["F": 1e39]), "float too large")
    XCTAssertThrowsError(
      try BitPattern("B/binary").build(["B": .bits(Bitstring(bytes: [0x80], bitCount: 1)!)]), "<<(<<1:1>>)/binary>> is badarg")
    XCTAssertThrowsError(try BitPattern("X:3, Y:8").build(["X": 1, "Y": 1]), "not whole bytes")
  }

  // Row 15: bitstrings — `bit_size(<<433:16,3:3>>)` is 19, `byte_size` rounds up.
  func testRow15Bitstrings() throws {
    let bits = try BitPattern("A:16, B:3").buildBits(["A": 433, "B": 3])
    XCTAssertEqual(bits.bitCount, 19)
    XCTAssertEqual(bits.byteCount, 3)
    XCTAssertFalse(bits.isBinary)
    XCTAssertEqual(bits.description, "<<1,177,3:3>>")
    XCTAssertEqual(bits.bytes, [1, 177, 0x60])
    XCTAssertEqual(values(try BitPattern("A:16, B:3"), [1, 177, 0x60]), nil, "24 bits are not 19")
    var m = try XCTUnwrap(try BitPattern("A:16, B:3").match(bits))
    XCTAssertEqual(m[try BitPattern("A:16, B:3").field("B", as: UInt8.self)], 3)
  }

  // Row 16: `<<"abc">>` is `<<$a,$b,$c>>`.
  func testRow16StringLiteralSugar() throws {
    let s = try BitPattern(#""abc""#)
    let c = try BitPattern("$a, $b, $c")
    XCTAssertEqual(try s.build([:]), try c.build([:]))
    XCTAssertEqual(try s.build([:]), [97, 98, 99])
    XCTAssertNotNil(s.match([97, 98, 99]))
    XCTAssertNotNil(c.match([97, 98, 99]))
    XCTAssertEqual(try BitPattern(#""abc":16"#).build([:]), [0, 97, 0, 98, 0, 99])
    XCTAssertEqual(try BitPattern(#""a\n\x41\101""#).build([:]), [97, 10, 65, 65], "escapes")
  }

  // Row 17: binaries in function heads / case: Swift clauses are an if-chain or a switch.
  func testRow17ClausesAreSwiftControlFlow() throws {
    let data = try BitPattern("1, Len:16, Body:Len/binary, Rest/binary")
    let ping = try BitPattern("2")
    let body = try data.field("Body", as: ArraySlice<UInt8>.self)
    func decode(_ bytes: [UInt8]) -> String {
      // decode(<<1, Len:16, Body:Len/binary, _/binary>>) -> {data, Body};
      // decode(<<2>>) -> ping; decode(_) -> error.
      if let b = data.match(bytes, { m in m[body, in: bytes] }) { return "data \(Array(b))" }
      switch bytes {
      case ping: return "ping"
      default: return "error"
      }
    }
    XCTAssertEqual(decode([1, 0, 2, 7, 8, 9]), "data [7, 8]")
    XCTAssertEqual(decode([2]), "ping")
    XCTAssertEqual(decode([1, 0, 9, 7]), "error")
    XCTAssertEqual(decode([3]), "error")
  }

  // Row 18: binary comprehensions, list ↔ binary both ways.
  func testRow18BinaryComprehension() throws {
    let byte = try BitPattern("X")
    let x = try byte.field("X", as: UInt8.self)
    // << <<(X*2)>> || <<X>> <= <<1,2,3>> >>  →  <<2,4,6>>
    var out = Bitstring()
    for var m in byte.matches(in: [1, 2, 3]) { try byte.build(["X": BitValue(m[x] * 2)], appendingTo: &out) }
    XCTAssertEqual(out, Bitstring([2, 4, 6]))
    // [X || <<X:3>> <= <<1,2>>]  →  [0,0,2,0,1] (the last bit is ignored)
    let three = try BitPattern("V:3")
    let v = try three.field("V", as: UInt8.self)
    XCTAssertEqual(
      three.matches(in: [1, 2]).map {
        var m = $0
        return m[v]
      }, [0, 0, 2, 0, 1] as [UInt8])
    // << <<X:3>> || X <- [0,0,2,0,1] >>  →  back to 15 bits
    var packed = Bitstring()
    for value in [0, 0, 2, 0, 1] { try three.build(["V": BitValue(value)], appendingTo: &packed) }
    XCTAssertEqual(packed, Bitstring([1, 2])[bits: 0..<15])
    // A filter is a plain `where`.
    XCTAssertEqual(
      byte.matches(in: [1, 2, 3, 4]).compactMap {
        var m = $0
        let n = m[x]
        return n % 2 == 0 ? n : nil
      }, [2, 4] as [UInt8])
  }

  // Row 19: strict generators (OTP 28) raise on a mismatch, relaxed ones skip.
  func testRow19StrictGenerators() throws {
    let p = try BitPattern("1:1, V:7")
    let v = try p.field("V", as: UInt8.self)
    // [V || <<1:1, V:7>> <= <<1,130,3,255>>]  →  [2,127]
    XCTAssertEqual(
      p.matches(in: [1, 130, 3, 255]).map {
        var m = $0
        return m[v]
      }, [2, 127] as [UInt8])
    XCTAssertThrowsError(try p.strictMatches(in: [1, 130, 3, 255])) { error in
      XCTAssertEqual((error as? BitMatchError)?.bitOffset, 0)
    }
    XCTAssertEqual(
      try p.strictMatches(in: [129, 130]).map {
        var m = $0
        return m[v]
      }, [1, 2] as [UInt8])
    XCTAssertThrowsError(try BitPattern("V:3").strictMatches(in: [1, 2])) { error in
      XCTAssertEqual((error as? BitMatchError)?.bitOffset, 15, "one bit is left over")
    }
  }

  // Row 20: zip generators (OTP 28): `[{P,Q} || <<P>> <= A && <<Q>> <= B]`.
  func testRow20ZipGenerators() throws {
    let a = try BitPattern("A")
    let b = try BitPattern("1:1, B:7")
    let fa = try a.field("A", as: UInt8.self)
    let fb = try b.field("B", as: UInt8.self)
    let pairs = try zipMatches(a.matches(in: [1, 2]), b.matches(in: [129, 130]))
    XCTAssertEqual(
      pairs.map {
        var (x, y) = $0
        return [x[fa], y[fb]]
      }, [[1, 1], [2, 2]] as [[UInt8]])
    // A round where one side does not match is skipped as a whole.
    let skipped = try zipMatches(a.matches(in: [1, 2]), b.matches(in: [129, 4]))
    XCTAssertEqual(
      skipped.map {
        var (x, y) = $0
        return [x[fa], y[fb]]
      }, [[1, 1]] as [[UInt8]])
    XCTAssertThrowsError(try zipMatches(a.matches(in: [1, 2]), a.matches(in: [3, 4, 5]))) { error in
      XCTAssertTrue((error as? BitMatchError)?.message.contains("bad_generators") == true)
    }
  }

  // Row 21: binary patterns cannot be nested.
  func testRow21PatternsCannotBeNested() throws {
    XCTAssertThrowsError(try BitPattern("<<A, <<B>>/binary>>")) { error in
      let e = error as? BitPatternError
      XCTAssertEqual(e?.column, 6)
      XCTAssertTrue(e?.message.contains("cannot be nested") == true)
    }
    XCTAssertThrowsError(try BitPattern("A, <<B>>")) { error in
      XCTAssertEqual((error as? BitPatternError)?.column, 4)
    }
  }
}
