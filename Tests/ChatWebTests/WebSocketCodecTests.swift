import WebSocketAccept
// The frame codec and the reader: RFC 6455's own examples (§5.7, §1.3), every rule of
// §5 that earns a close code, and random round trips through random chunkings.
import XCTest

@testable import ChatApp

final class WebSocketCodecTests: XCTestCase {
  let codec = WebSocket.Codec.shared

  func reader() -> WebSocket.Reader { WebSocket.Reader(maxMessageSize: 1 << 20) }

  // MARK: RFC 6455 §5.7 examples

  func testSingleFrameUnmaskedText() {
    let frame: [UInt8] = [0x81, 0x05, 0x48, 0x65, 0x6c, 0x6c, 0x6f]
    XCTAssertEqual(
      codec.decodeHeader(frame, requireMask: false),
      .header(.init(fin: true, rsv: 0, opcode: 1, maskKey: nil, payloadLength: 5), headerLength: 2))
    XCTAssertEqual(codec.encode(.text, Array("Hello".utf8)), frame)
    // A server must not accept it: client frames are masked (§5.1).
    var r = reader()
    XCTAssertEqual(r.feed(frame), [.failure(.init(.protocolError, "unmasked frame from a client"))])
  }

  func testSingleFrameMaskedText() {
    let frame: [UInt8] = [0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58]
    XCTAssertEqual(
      codec.decodeHeader(frame), .header(.init(fin: true, rsv: 0, opcode: 1, maskKey: 0x37fa_213d, payloadLength: 5), headerLength: 6))
    XCTAssertEqual(codec.encode(.text, Array("Hello".utf8), maskKey: 0x37fa_213d), frame)
    var r = reader()
    XCTAssertEqual(r.feed(frame), [.message(.text, Array("Hello".utf8))])
  }

  func testFragmentedUnmaskedText() {
    let first: [UInt8] = [0x01, 0x03, 0x48, 0x65, 0x6c]
    let second: [UInt8] = [0x80, 0x02, 0x6c, 0x6f]
    XCTAssertEqual(codec.encode(.text, Array("Hel".utf8), fin: false), first)
    XCTAssertEqual(codec.encode(.continuation, Array("lo".utf8)), second)
    var r = WebSocket.Reader(maxMessageSize: 100, requireMask: false)
    XCTAssertEqual(r.feed(first), [])
    XCTAssertEqual(r.feed(second), [.message(.text, Array("Hello".utf8))])
  }

  func testPingAndMaskedPong() {
    let ping: [UInt8] = [0x89, 0x05, 0x48, 0x65, 0x6c, 0x6c, 0x6f]
    let pong: [UInt8] = [0x8a, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58]
    XCTAssertEqual(codec.encode(.ping, Array("Hello".utf8)), ping)
    XCTAssertEqual(codec.encode(.pong, Array("Hello".utf8), maskKey: 0x37fa_213d), pong)
    var r = reader()
    XCTAssertEqual(r.feed(pong), [.pong(Array("Hello".utf8))])
  }

  func testExtendedLengths() {
    let b256 = [UInt8](repeating: 0xAB, count: 256)
    let f256 = codec.encode(.binary, b256)
    XCTAssertEqual(Array(f256.prefix(4)), [0x82, 0x7E, 0x01, 0x00])
    XCTAssertEqual(f256.count, 4 + 256)
    let b64k = [UInt8](repeating: 0xCD, count: 65536)
    let f64k = codec.encode(.binary, b64k)
    XCTAssertEqual(Array(f64k.prefix(10)), [0x82, 0x7F, 0, 0, 0, 0, 0, 1, 0, 0])
    XCTAssertEqual(f64k.count, 10 + 65536)
    XCTAssertEqual(
      codec.decodeHeader(f64k, requireMask: false),
      .header(.init(fin: true, rsv: 0, opcode: 2, maskKey: nil, payloadLength: 65536), headerLength: 10))
    // The boundaries between the three forms.
    for n in [125, 126, 127, 65535, 65536] {
      let frame = codec.encode(.binary, [UInt8](repeating: 1, count: n), maskKey: 0x0102_0304)
      let expected = n < 126 ? 6 : n <= 65535 ? 8 : 14
      XCTAssertEqual(
        codec.decodeHeader(frame),
        .header(.init(fin: true, rsv: 0, opcode: 2, maskKey: 0x0102_0304, payloadLength: UInt64(n)), headerLength: expected), "length \(n)")
    }
  }

  func testHandshakeAcceptExample() {
    // §1.3's example key and accept value.
    XCTAssertEqual(WebSocket.Handshake.accept(forKey: "dGhlIHNhbXBsZSBub25jZQ=="), "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=")
  }

  func testSHA1Vectors() {
    func hex(_ b: [UInt8]) -> String { b.map { String(format: "%02x", $0) }.joined() }
    XCTAssertEqual(hex(SHA1.digest([UInt8]())), "da39a3ee5e6b4b0d3255bfef95601890afd80709")
    XCTAssertEqual(hex(SHA1.digest(Array("abc".utf8))), "a9993e364706816aba3e25717850c26c9cd0d89d")
    XCTAssertEqual(
      hex(SHA1.digest(Array("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq".utf8))),
      "84983e441c3bd26ebaae4aa1f95129e5e54670f1")
    XCTAssertEqual(hex(SHA1.digest([UInt8](repeating: 0x61, count: 1_000_000))), "34aa973cd4c4daa4f61eeb2bdbad27316534016f")
  }

  // MARK: Incomplete input

  func testEveryPrefixIsIncomplete() {
    let frame = codec.encode(.text, [UInt8](repeating: 0x41, count: 300), maskKey: 7)
    for n in 0..<8 { XCTAssertEqual(codec.decodeHeader(Array(frame.prefix(n))), .incomplete, "prefix \(n)") }
    var r = reader()
    for byte in frame.dropLast() { XCTAssertEqual(r.feed([byte]), []) }
    XCTAssertEqual(r.feed([frame.last!]), [.message(.text, [UInt8](repeating: 0x41, count: 300))])
  }

  // MARK: Protocol errors and their close codes

  func failure(_ bytes: [UInt8], max: Int = 1 << 20) -> WebSocket.CloseCode? {
    var r = WebSocket.Reader(maxMessageSize: max)
    for event in r.feed(bytes) { if case .failure(let f) = event { return f.code } }
    return nil
  }

  func masked(_ opcode: UInt8, _ payload: [UInt8], fin: Bool = true, rsv: UInt8 = 0) -> [UInt8] {
    codec.header(opcode, length: payload.count, fin: fin, rsv: rsv, maskKey: 0x1234_5678) + WebSocket.Codec.mask(payload, key: 0x1234_5678)
  }

  func testReservedBitsAndOpcodes() {
    for rsv: UInt8 in 1...7 { XCTAssertEqual(failure(masked(1, [0x41], rsv: rsv)), .protocolError, "rsv \(rsv)") }
    for op: UInt8 in [3, 4, 5, 6, 7, 11, 12, 13, 14, 15] { XCTAssertEqual(failure(masked(op, [])), .protocolError, "opcode \(op)") }
  }

  func testControlFrameRules() {
    XCTAssertEqual(failure(masked(9, [UInt8](repeating: 0, count: 126))), .protocolError)
    XCTAssertEqual(failure(masked(9, [1], fin: false)), .protocolError)
    XCTAssertEqual(failure(masked(8, [], fin: false)), .protocolError)
    XCTAssertNil(failure(masked(9, [UInt8](repeating: 0, count: 125))))
  }

  func testNonMinimalLengthsAndTopBit() {
    // 5 bytes in the 16-bit form; 200 bytes in the 64-bit form; the 64-bit MSB set.
    XCTAssertEqual(failure([0x81, 0xFE, 0x00, 0x05, 0, 0, 0, 0] + [UInt8](repeating: 0x41, count: 5)), .protocolError)
    XCTAssertEqual(failure([0x81, 0xFF, 0, 0, 0, 0, 0, 0, 0, 200, 0, 0, 0, 0]), .protocolError)
    XCTAssertEqual(failure([0x81, 0xFF, 0x80, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0]), .protocolError)
  }

  func testContinuationOrder() {
    XCTAssertEqual(failure(masked(0, Array("x".utf8))), .protocolError)
    XCTAssertEqual(failure(masked(1, Array("a".utf8), fin: false) + masked(1, Array("b".utf8))), .protocolError)
    XCTAssertEqual(failure(masked(2, [1], fin: false) + masked(1, [2], fin: false)), .protocolError)
  }

  func testControlFramesBetweenFragments() {
    var r = reader()
    let bytes =
      masked(1, Array("Hel".utf8), fin: false) + masked(9, Array("p".utf8)) + masked(0, Array("l".utf8), fin: false)
      + masked(10, []) + masked(0, Array("o".utf8))
    XCTAssertEqual(r.feed(bytes), [.ping(Array("p".utf8)), .pong([]), .message(.text, Array("Hello".utf8))])
  }

  func testFragmentsInSeparateReads() {
    var r = reader()
    XCTAssertEqual(r.feed(masked(1, Array("Hel".utf8), fin: false)), [])
    XCTAssertEqual(r.feed(masked(9, Array("p".utf8))), [.ping(Array("p".utf8))])
    XCTAssertEqual(r.feed(masked(0, Array("lo".utf8))), [.message(.text, Array("Hello".utf8))])
  }

  func testUTF8() {
    // Valid: a code point split across fragments is fine; only the whole message counts.
    var r = reader()
    let euro: [UInt8] = [0xE2, 0x82, 0xAC]
    XCTAssertEqual(r.feed(masked(1, [0xE2], fin: false) + masked(0, [0x82, 0xAC])), [.message(.text, euro)])
    // Invalid text: overlong, surrogate, above U+10FFFF, truncated, stray continuation.
    for bad: [UInt8] in [[0xC0, 0x80], [0xED, 0xA0, 0x80], [0xF4, 0x90, 0x80, 0x80], [0xE2, 0x82], [0x80], [0xFF]] {
      XCTAssertEqual(failure(masked(1, bad)), .invalidPayload, "\(bad)")
      XCTAssertFalse(UTF8Validation.isValid(bad))
    }
    // Binary messages may carry anything.
    XCTAssertNil(failure(masked(2, [0xFF, 0xC0])))
    XCTAssertEqual(UTF8Validation.repaired([0x61, 0xFF, 0x62]), Array("a\u{FFFD}b".utf8))
    XCTAssertTrue(UTF8Validation.isValid(Array("κόσμε 😀".utf8)))
  }

  func testMessageSizeIsRefusedBeforeThePayloadArrives() {
    var r = WebSocket.Reader(maxMessageSize: 1000)
    // Only the header of a 2000-byte frame: refused at once.
    let header = codec.header(1, length: 2000, maskKey: 1)
    guard case .failure(let f)? = r.feed(header).first else { return XCTFail("a 2000-byte header was not refused") }
    XCTAssertEqual(f.code, .messageTooBig)
    // Fragments that add up past the limit.
    XCTAssertEqual(
      failure(masked(2, [UInt8](repeating: 0, count: 600), fin: false) + masked(0, [UInt8](repeating: 0, count: 600)), max: 1000),
      .messageTooBig)
    XCTAssertNil(failure(masked(2, [UInt8](repeating: 0, count: 1000)), max: 1000))
  }

  func testCloseFrames() {
    var r = reader()
    XCTAssertEqual(r.feed(masked(8, [])), [.close(nil, "")])
    XCTAssertTrue(r.receivedClose)
    XCTAssertEqual(r.feed(masked(1, Array("after".utf8))), [], "nothing is read after a close")
    r = reader()
    XCTAssertEqual(r.feed(masked(8, [0x03, 0xE8] + Array("bye".utf8))), [.close(.normal, "bye")])
    r = reader()
    XCTAssertEqual(r.feed(masked(8, [0x0F, 0xA0])), [.close(.init(4000), "")])
    XCTAssertEqual(failure(masked(8, [0x03])), .protocolError)
    for code: UInt16 in [0, 999, 1004, 1005, 1006, 1015, 1016, 2000, 2999, 5000] {
      XCTAssertEqual(failure(masked(8, [UInt8(code >> 8), UInt8(code & 0xFF)])), .protocolError, "code \(code)")
    }
    XCTAssertEqual(failure(masked(8, [0x03, 0xE8, 0xFF])), .invalidPayload)
  }

  // MARK: Random round trips

  func summary(_ e: WebSocket.Event) -> String {
    switch e {
    case .message(let op, let p): "\(op)(\(p.count))"
    case .ping(let p): "ping(\(p.count))"
    case .pong(let p): "pong(\(p.count))"
    case .close(let c, _): "close(\(c.map(\.description) ?? "-"))"
    case .failure(let f): "failure(\(f))"
    }
  }

  func testRandomRoundTrips() {
    var generator = SystemRandomNumberGenerator()
    for round in 0..<100 {
      // A random sequence of messages, some fragmented, with control frames between.
      var bytes: [UInt8] = []
      var expected: [WebSocket.Event] = []
      for _ in 0..<Int.random(in: 1...6, using: &generator) {
        let binary = Bool.random(using: &generator)
        let length = [0, 1, 125, 126, 127, 1000, 65535, 65536, 70000].randomElement(using: &generator)!
        var payload: [UInt8]
        if binary {
          payload = [UInt8](repeating: 0, count: length)
          payload.withUnsafeMutableBytes { raw in
            for i in stride(from: 0, to: length - length % 8, by: 8) {
              raw.storeBytes(of: generator.next() as UInt64, toByteOffset: i, as: UInt64.self)
            }
          }
        } else {
          payload = Array(String(repeating: "é", count: length / 2).utf8)
        }
        let pieces = payload.isEmpty ? 1 : Int.random(in: 1...min(4, payload.count), using: &generator)
        var cuts = (0..<(pieces - 1)).map { _ in Int.random(in: 0...payload.count, using: &generator) }.sorted()
        cuts = [0] + cuts + [payload.count]
        for i in 0..<pieces {
          let opcode: WebSocket.Opcode = i == 0 ? (binary ? .binary : .text) : .continuation
          bytes += codec.encode(
            opcode, payload[cuts[i]..<cuts[i + 1]], fin: i == pieces - 1, maskKey: UInt32.random(in: 0...UInt32.max, using: &generator))
          // The message is complete with its last fragment, before any ping after it.
          if i == pieces - 1 { expected.append(.message(binary ? .binary : .text, payload)) }
          if Int.random(in: 0..<4, using: &generator) == 0 {
            let ping = (0..<Int.random(in: 0...125, using: &generator)).map { _ in UInt8.random(in: 0...255, using: &generator) }
            bytes += codec.encode(.ping, ping, maskKey: UInt32.random(in: 0...UInt32.max, using: &generator))
            expected.append(.ping(ping))
          }
        }
      }
      // Fed in random chunks.
      var r = reader()
      var got: [WebSocket.Event] = []
      var i = 0
      while i < bytes.count {
        let n = min(bytes.count - i, Int.random(in: 1...40000, using: &generator))
        got += r.feed(Array(bytes[i..<(i + n)]))
        i += n
      }
      if got != expected {
        // Summaries, not the payloads (which run to megabytes).
        XCTFail("round \(round): got \(got.map(summary)), expected \(expected.map(summary))")
        return
      }
      XCTAssertEqual(r.bufferedCount, 0)
    }
  }
}
