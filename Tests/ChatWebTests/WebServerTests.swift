// chatd's web port end to end, in process: the page, 4xx answers, and IRC over
// WebSocket shared with plain IRC clients — messages both ways, presence, pings, the
// close handshake, and protocol errors closed with their codes.
import OtterTestSupport
import XCTest

@testable import ChatApp

final class WebServerTests: XCTestCase {
  func testServesThePageAndRefusesWhatItShould() async throws {
    let server = try await startChat()
    let port = server.webPort
    XCTAssertEqual(port, server.config.webPort)
    do {
      let c = try TestConnection(port: port)
      try c.send("GET / HTTP/1.1\r\nHost: x\r\n\r\n")
      let response = String(decoding: try c.readToEnd(), as: UTF8.self)
      XCTAssertTrue(response.hasPrefix("HTTP/1.1 200 OK\r\n"), response)
      XCTAssertTrue(response.contains("Content-Length: \(WebClientPage.bytes.count)\r\n"))
      XCTAssertTrue(response.hasSuffix(WebClientPage.html), "the whole page arrives before the close")
      XCTAssertTrue(WebClientScript.source.contains("text.ircv3.net"))
    }
    func answer(_ request: String) throws -> String {
      let c = try TestConnection(port: port)
      try c.send(request)
      return String(decoding: try c.readToEnd(), as: UTF8.self)
    }
    XCTAssertTrue(try answer("HEAD / HTTP/1.1\r\nHost: x\r\n\r\n").hasSuffix("Connection: close\r\n\r\n"), "HEAD: no body")
    XCTAssertTrue(try answer("GET /nope HTTP/1.1\r\nHost: x\r\n\r\n").hasPrefix("HTTP/1.1 404 "))
    XCTAssertTrue(try answer("DELETE / HTTP/1.1\r\nHost: x\r\n\r\n").hasPrefix("HTTP/1.1 405 "))
    XCTAssertTrue(try answer("GET /ws HTTP/1.1\r\nHost: x\r\n\r\n").hasPrefix("HTTP/1.1 426 "))
    XCTAssertTrue(try answer("\u{16}\u{03}\u{01}\u{02}\u{00}garbage\r\n\r\n").hasPrefix("HTTP/1.1 400 "))
    XCTAssertTrue(try answer("GET / HTTP/1.1\r\nHost: x\r\nX: " + String(repeating: "y", count: 40000)).hasPrefix("HTTP/1.1 431 "))
    XCTAssertTrue(
      try answer("GET /ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\n\r\n")
        .hasPrefix("HTTP/1.1 400 "), "no key")
    // A client that sends half a request and goes quiet is not kept forever; one that
    // connects and leaves costs nothing. The server still answers afterwards.
    do {
      let quiet = try TestConnection(port: port, timeout: 15)
      try quiet.send("GET / HTTP/1.1\r\n")
      XCTAssertTrue(String(decoding: try quiet.readToEnd(), as: UTF8.self).hasPrefix("HTTP/1.1 408 "))
      _ = try TestConnection(port: port)
    }
    XCTAssertTrue(try answer("GET / HTTP/1.0\r\n\r\n").hasPrefix("HTTP/1.1 200 "))
    await stopChat(server)
  }

  func testWebAndIRCClientsShareARoom() async throws {
    let server = try await startChat()
    let web = try webClient(port: server.webPort, nick: "webby")
    XCTAssertTrue(web.responseHead.contains("Sec-WebSocket-Protocol: text.ircv3.net\r\n"))
    XCTAssertTrue(web.responseHead.contains("Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n"))
    try web.send(line: "JOIN #shared")
    try web.expect(containing: "366 webby #shared")
    let irc = try ircClient(port: server.ircPort, nick: "classic")
    try irc.send("JOIN #shared\r\n")
    let names = try irc.expectLine(containing: " 353 ")
    XCTAssertTrue(names.contains("@webby"), names)
    // Presence: the web client sees the IRC client arrive, go away and come back.
    try web.expect(containing: "classic!classic@127.0.0.1 JOIN #shared")
    try web.send(line: "CAP REQ :away-notify")
    try web.expect(containing: "ACK")
    try irc.send("AWAY :lunch\r\n")
    XCTAssertTrue(try web.expect(containing: ":classic!classic@127.0.0.1 AWAY").hasSuffix("lunch"))
    // Messages both ways; the line arrives as one text message without CR LF.
    try irc.send("PRIVMSG #shared :hello from irc\r\n")
    let got = try web.expect(containing: "hello from irc")
    XCTAssertEqual(got, ":classic!classic@127.0.0.1 PRIVMSG #shared :hello from irc")
    try web.send(line: "PRIVMSG #shared :hello from the web é")
    XCTAssertEqual(try irc.expectLine(containing: "hello from the web"), ":webby!webby@127.0.0.1 PRIVMSG #shared :hello from the web é")
    // A fragmented message with a ping between its fragments.
    try web.send(.text, Array("PRIVMSG #shared :frag".utf8), fin: false)
    try web.send(.ping, Array("are you there".utf8))
    try web.send(.continuation, Array("mented".utf8))
    let pong = try web.receive()
    XCTAssertEqual(pong.opcode, 0xA)
    XCTAssertEqual(pong.payload, Array("are you there".utf8))
    XCTAssertTrue(try irc.expectLine(containing: "PRIVMSG #shared").hasSuffix(" :fragmented"))
    // Bytes that are not UTF-8 never reach the browser (which would have to close on
    // them): chatd refuses them (UTF8ONLY); the next valid line arrives as usual.
    try irc.send(Array("PRIVMSG #shared :caf".utf8) + [0xE9] + Array("\r\nPRIVMSG #shared :café\r\n".utf8))
    XCTAssertTrue(try irc.expectLine(containing: "FAIL").contains("INVALID_UTF8"))
    XCTAssertTrue(try web.expect(containing: "PRIVMSG #shared").hasSuffix("café"))
    // The web user quits: the IRC user sees the QUIT, the web client the close handshake.
    try web.send(line: "QUIT :see you")
    let close = try web.expectClose()
    XCTAssertEqual(close.code, 1000)
    try web.send(.close, [0x03, 0xE8])
    XCTAssertEqual(try web.connection.readToEnd().count, 0, "nothing after the close frame")
    try irc.expectLine(containing: ":webby!webby@127.0.0.1 QUIT :Quit: see you")
    await stopChat(server)
  }

  func testClientCloseIsEchoedAndPeersSeeTheQuit() async throws {
    let server = try await startChat()
    let irc = try ircClient(port: server.ircPort, nick: "watcher")
    try irc.send("JOIN #room\r\n")
    try irc.expectLine(containing: " 366 ")
    let web = try webClient(port: server.webPort, nick: "leaver")
    try web.send(line: "JOIN #room")
    try irc.expectLine(containing: "leaver!leaver@127.0.0.1 JOIN #room")
    try web.send(.close, [0x0F, 0xA0] + Array("tab closed".utf8))
    let close = try web.expectClose()
    XCTAssertEqual(close.code, 4000, "the close code is echoed")
    XCTAssertEqual(try web.connection.readToEnd().count, 0, "then the server closes the TCP connection")
    try irc.expectLine(containing: "leaver!leaver@127.0.0.1 QUIT")
    await stopChat(server)
  }

  func testBinarySubprotocolAndEarlyFrames() async throws {
    let server = try await startChat()
    // binary.ircv3.net: lines as binary messages.
    let web = try webClient(port: server.webPort, nick: "bin", protocols: ["binary.ircv3.net"])
    XCTAssertTrue(web.responseHead.contains("Sec-WebSocket-Protocol: binary.ircv3.net\r\n"))
    try web.send(.binary, Array("JOIN #b".utf8))
    try web.expect(containing: "366 bin #b")
    let irc = try ircClient(port: server.ircPort, nick: "raw")
    try irc.send("JOIN #b\r\n")
    try web.expect(containing: "JOIN #b")
    try irc.send("PRIVMSG #b :to a binary client\r\n")
    var frame = try web.receive()
    while !String(decoding: frame.payload, as: UTF8.self).contains("PRIVMSG") { frame = try web.receive() }
    XCTAssertEqual(frame.opcode, 2)
    XCTAssertEqual(String(decoding: frame.payload, as: UTF8.self), ":raw!raw@127.0.0.1 PRIVMSG #b :to a binary client")
    // Frames sent right behind the handshake request are not lost.
    let early = try TestConnection(port: server.webPort)
    let codec = WebSocket.Codec.shared
    try early.send(
      Array(
        "GET /ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: AAAAAAAAAAAAAAAAAAAAAA==\r\nSec-WebSocket-Version: 13\r\n\r\n"
          .utf8)
        + codec.encode(.text, Array("NICK early".utf8), maskKey: 9) + codec.encode(.text, Array("USER e 0 * :e".utf8), maskKey: 10))
    XCTAssertTrue(try early.readHead().hasPrefix("HTTP/1.1 101 "))
    var welcomed = false
    for _ in 0..<50 {
      guard case .header(let h, let n) = codec.decodeHeader(early.buffer, requireMask: false),
        early.buffer.count >= n + Int(h.payloadLength)
      else {
        try early.fill()
        continue
      }
      let text = String(decoding: early.buffer[n..<(n + Int(h.payloadLength))], as: UTF8.self)
      early.buffer.removeFirst(n + Int(h.payloadLength))
      if text.contains(" 001 early ") {
        welcomed = true
        break
      }
    }
    XCTAssertTrue(welcomed)
    await stopChat(server)
  }

  func testProtocolErrorsCloseWithTheirCodes() async throws {
    let server = try await startChat()
    let codec = WebSocket.Codec.shared
    let cases: [(String, [UInt8], UInt16)] = [
      ("unmasked", codec.encode(.text, Array("NICK x".utf8)), 1002),
      ("reserved opcode", codec.header(3, length: 0, maskKey: 1), 1002),
      ("rsv bit", codec.header(1, length: 0, rsv: 4, maskKey: 1), 1002),
      ("orphan continuation", codec.encode(.continuation, Array("x".utf8), maskKey: 1), 1002),
      ("long ping", codec.encode(.ping, [UInt8](repeating: 0, count: 126), maskKey: 1), 1002),
      ("bad UTF-8", codec.encode(.text, [0x50, 0xC0, 0x80], maskKey: 1), 1007),
      ("too big", codec.header(1, length: 1 << 20, maskKey: 1), 1009),
      ("bad close code", codec.encode(.close, [0x03, 0xED], maskKey: 1), 1002),
    ]
    for (name, bytes, code) in cases {
      let web = try TestWebSocket(port: server.webPort)
      try web.connection.send(bytes)
      let close = try web.expectClose()
      XCTAssertEqual(close.code, code, name)
      XCTAssertFalse(close.reason.isEmpty, name)
      try web.send(.close, [UInt8(code >> 8), UInt8(code & 0xFF)])
      XCTAssertEqual(try web.connection.readToEnd().count, 0, name)
    }
    // The server is fine afterwards.
    _ = try webClient(port: server.webPort, nick: "survivor")
    await stopChat(server)
  }

  func testAnOverlongIRCLineIsAnIRCErrorNotAClose() async throws {
    let server = try await startChat()
    let web = try webClient(port: server.webPort, nick: "longwinded")
    try web.send(line: "PRIVMSG longwinded :" + String(repeating: "x", count: 1000))
    try web.expect(containing: " 417 ")
    try web.send(line: "PING :still here")
    try web.expect(containing: "PONG")
    await stopChat(server)
  }
}
