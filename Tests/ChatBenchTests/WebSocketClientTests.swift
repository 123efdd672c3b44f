// chatbench's WebSocket client pieces: the handshake (the RFC's accept example, the
// checks on the 101), and frames both ways — its masked text frames read by chatd's
// reader, chatd's frames read by chatbench's stream, whole and in random pieces.
import XCTest

@testable import ChatApp
@testable import chatbench

final class WebSocketClientTests: XCTestCase {
  // MARK: Handshake

  func testAcceptOfTheRFCExample() {
    // RFC 6455 §1.3.
    XCTAssertEqual(WebSocketUpgrade.accept(forKey: "dGhlIHNhbXBsZSBub25jZQ=="), "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=")
    // The same computation as chatd's handshake (one shared implementation).
    XCTAssertEqual(
      WebSocketUpgrade.accept(forKey: "x3JJHMbDL1EzLkh9GBhXDw=="), WebSocket.Handshake.accept(forKey: "x3JJHMbDL1EzLkh9GBhXDw=="))
  }

  func testKeysAreSixteenBytesAndDiffer() {
    let a = WebSocketUpgrade.key(id: 1, seed: 42)
    let b = WebSocketUpgrade.key(id: 2, seed: 42)
    XCTAssertNotEqual(a, b)
    XCTAssertEqual(Data(base64Encoded: a)?.count, 16)
  }

  /// The request passes chatd's handshake, and chatd's 101 passes chatbench's check.
  func testHandshakeAgainstChatd() throws {
    let key = WebSocketUpgrade.key(id: 7, seed: 99)
    let request = WebSocketUpgrade.request(host: "127.0.0.1", port: 8080, path: "/ws", key: key)
    let end = try XCTUnwrap(HTTPRequest.headEnd(in: request))
    XCTAssertEqual(end, request.count)
    let parsed = try HTTPRequest.parse(request[..<end])
    XCTAssertEqual(parsed.path, "/ws")
    let handshake = try WebSocket.Handshake(parsed)
    XCTAssertEqual(handshake.subprotocol, "text.ircv3.net")
    XCTAssertEqual(handshake.accept, WebSocketUpgrade.accept(forKey: key))
    let response = HTTPResponse.switchingProtocols(accept: handshake.accept, subprotocol: handshake.subprotocol)
    let responseEnd = try XCTUnwrap(WebSocketUpgrade.headEnd(in: response))
    XCTAssertNil(WebSocketUpgrade.check(head: response[..<responseEnd], key: key))
    // Another key's accept, no subprotocol, or a refusal: each is an error.
    XCTAssertNotNil(WebSocketUpgrade.check(head: response[..<responseEnd], key: WebSocketUpgrade.key(id: 8, seed: 99)))
    let bare = HTTPResponse.switchingProtocols(accept: handshake.accept, subprotocol: nil)
    XCTAssertNotNil(WebSocketUpgrade.check(head: bare, key: key))
    XCTAssertNotNil(WebSocketUpgrade.check(head: HTTPResponse.error(HTTPError(400, "no")), key: key))
    XCTAssertNil(WebSocketUpgrade.headEnd(in: Array(response.dropLast())))
  }

  // MARK: Frames, client to server

  func testClientFramesAreMaskedAndChatdReadsThem() {
    var keys = MaskKeys(seed: 5)
    let lines = [
      "NICK b1", "USER u1 0 * :ircload 1", "PRIVMSG #r0 :" + String(repeating: "x", count: 200),
      "PRIVMSG #r0 :" + String(repeating: "y", count: 70_000), "PING :a",
    ]
    // CR LF and bare LF endings; one message per line, no line end in it.
    let bytes = Array((lines[0] + "\r\n" + lines[1] + "\n" + lines[2] + "\r\n" + lines[3] + "\r\n" + lines[4] + "\r\n").utf8)
    let frames = WebSocketFrames.textFrames(bytes, keys: &keys)
    var reader = WebSocket.Reader(maxMessageSize: 1 << 20)  // a server's: masks required
    let events = reader.feed(frames)
    XCTAssertEqual(events, lines.map { .message(.text, Array($0.utf8)) })
    // Every header has the mask bit, and the 200- and 70,000-byte lines use the 16- and
    // 64-bit length forms.
    XCTAssertEqual(frames[1] & 0x80, 0x80)
    let codec = WebSocket.Codec.shared
    var offset = 0
    var lengthForms: [UInt8] = []
    while offset < frames.count {
      guard case .header(let h, let n) = codec.decodeHeader(Array(frames[offset...])) else { return XCTFail("bad frame at \(offset)") }
      XCTAssertNotNil(h.maskKey)
      lengthForms.append(frames[offset + 1] & 0x7F)
      offset += n + Int(h.payloadLength)
    }
    XCTAssertEqual(lengthForms.map { min($0, 126) == 126 ? $0 : 0 }, [0, 0, 126, 127, 0])
    XCTAssertEqual(WebSocketFrames.textFrames(Array("\r\n".utf8), keys: &keys), [])
  }

  func testMaskingKeysChange() {
    var keys = MaskKeys(seed: 1)
    let a = WebSocketFrames.textFrames(Array("PING x\r\n".utf8), keys: &keys)
    let b = WebSocketFrames.textFrames(Array("PING x\r\n".utf8), keys: &keys)
    XCTAssertNotEqual(a, b)
    var reader = WebSocket.Reader(maxMessageSize: 100)
    XCTAssertEqual(reader.feed(a + b), [.message(.text, Array("PING x".utf8)), .message(.text, Array("PING x".utf8))])
  }

  func testControlFramesChatdReads() {
    var keys = MaskKeys(seed: 3)
    var reader = WebSocket.Reader(maxMessageSize: 100)
    let pong = WebSocketFrames.control(WebSocketFrames.pong, [1, 2, 3], keys: &keys)
    let close = WebSocketFrames.control(WebSocketFrames.close, [0x03, 0xE8], keys: &keys)
    XCTAssertEqual(reader.feed(pong + close), [.pong([1, 2, 3]), .close(.normal, "")])
  }

  // MARK: Frames, server to client

  /// Collects what `stream` yields, message payloads copied out.
  private func drain(_ stream: inout WebSocketStream) -> [String] {
    var out: [String] = []
    while let item = stream.next() {
      switch item {
      case .message(let r): out.append("msg:" + String(decoding: stream.buffer[r], as: UTF8.self))
      case .joined(let m): out.append("joined:" + String(decoding: m, as: UTF8.self))
      case .ping(let p): out.append("ping:" + String(decoding: p, as: UTF8.self))
      case .pong: out.append("pong")
      case .close(let code): out.append("close:\(code.map(String.init) ?? "-")")
      case .failure(let why): out.append("failure:" + why)
      }
    }
    return out
  }

  func testChatdFramesRoundTripInRandomPieces() {
    let codec = WebSocket.Codec.shared
    var generator = SystemRandomNumberGenerator()
    for _ in 0..<20 {
      var wire: [UInt8] = []
      var expected: [String] = []
      for _ in 0..<Int.random(in: 1...8, using: &generator) {
        let n = [0, 1, 125, 126, 127, 300, 65_535, 65_536, 70_000].randomElement(using: &generator)!
        let text = String((0..<n).map { _ in "abcxyz:# @!".randomElement(using: &generator)! })
        switch Int.random(in: 0..<10, using: &generator) {
        case 0:
          wire += codec.encode(.ping, Array("p\(n % 100)".utf8))
          expected.append("ping:p\(n % 100)")
        case 1:
          // Fragmented: text, continuation, final continuation.
          let bytes = Array(text.utf8)
          let a = bytes.count / 3
          let b = 2 * bytes.count / 3
          wire +=
            codec.encode(.text, bytes[0..<a], fin: false) + codec.encode(.continuation, bytes[a..<b], fin: false)
            + codec.encode(.continuation, bytes[b...])
          expected.append("joined:" + text)
        default:
          wire += codec.encode(.text, Array(text.utf8))
          expected.append("msg:" + text)
        }
      }
      wire += codec.encode(.close, [0x03, 0xE9])
      expected.append("close:1001")
      var stream = WebSocketStream(maxMessage: 1 << 20)
      var got: [String] = []
      var i = 0
      while i < wire.count {
        let piece = min(wire.count - i, Int.random(in: 1...4000, using: &generator))
        stream.append(Array(wire[i..<(i + piece)]))
        got += drain(&stream)
        i += piece
      }
      XCTAssertEqual(got.count, expected.count)
      XCTAssertEqual(got, expected)
    }
  }

  func testStreamRefusesWhatAServerMustNotSend() {
    let codec = WebSocket.Codec.shared
    var masked = WebSocketStream(maxMessage: 100)
    masked.append(codec.encode(.text, Array("hi".utf8), maskKey: 0x0102_0304))
    XCTAssertEqual(masked.next(), .failure("masked frame from the server"))
    var reserved = WebSocketStream(maxMessage: 100)
    reserved.append(codec.header(0x3, length: 0))
    XCTAssertEqual(reserved.next(), .failure("reserved opcode 3"))
    var big = WebSocketStream(maxMessage: 100)
    big.append(codec.header(0x1, length: 101))
    XCTAssertEqual(big.next(), .failure("frame of 101 bytes (at most 100)"))
    var stray = WebSocketStream(maxMessage: 100)
    stray.append(codec.encode(.continuation, [1]))
    XCTAssertEqual(stray.next(), .failure("a continuation frame with no message to continue"))
    var partial = WebSocketStream(maxMessage: 100)
    partial.append(Array(codec.encode(.text, Array("hello".utf8)).dropLast()))
    XCTAssertNil(partial.next())
  }
}
