// The request-head parser and the handshake's checks: what is accepted, and the status
// each kind of bad request gets.
import XCTest

@testable import ChatApp

final class HTTPRequestTests: XCTestCase {
  func parse(_ text: String) throws(HTTPError) -> HTTPRequest { try HTTPRequest.parse(ArraySlice(text.utf8)) }

  func status(_ text: String) -> Int? {
    do {
      _ = try parse(text)
      return nil
    } catch { return error.status }
  }

  func testParsesARequest() throws {
    let r = try parse("GET /ws?x=1 HTTP/1.1\r\nHost: a\r\nConnection: keep-alive, Upgrade\r\nX-A: 1\r\nx-a:  2 \r\n\r\n")
    XCTAssertEqual(r.method, "GET")
    XCTAssertEqual(r.path, "/ws")
    XCTAssertEqual(r.minorVersion, 1)
    XCTAssertEqual(r.header("x-A"), "1, 2")
    XCTAssertEqual(r.tokens("connection"), ["keep-alive", "upgrade"])
    XCTAssertNil(r.header("missing"))
    // HTTP/1.0 needs no Host; bare LF line ends are tolerated.
    XCTAssertEqual(try parse("GET / HTTP/1.0\n\n").minorVersion, 0)
  }

  func testHeadEnd() {
    XCTAssertNil(HTTPRequest.headEnd(in: Array("GET / HTTP/1.1\r\nHost: a\r\n".utf8)))
    XCTAssertEqual(HTTPRequest.headEnd(in: Array("GET / HTTP/1.1\r\n\r\nXY".utf8)), 18)
  }

  func testBadRequests() {
    XCTAssertEqual(status("\r\n\r\n"), 400)
    XCTAssertEqual(status("GET /\r\n\r\n"), 400)
    XCTAssertEqual(status("GET  / HTTP/1.1\r\nHost: a\r\n\r\n"), 400)
    XCTAssertEqual(status("G(T / HTTP/1.1\r\nHost: a\r\n\r\n"), 400)
    XCTAssertEqual(status("GET / HTTP/1.1\r\n\r\n"), 400, "HTTP/1.1 without Host")
    XCTAssertEqual(status("GET / HTTP/1.1\r\nHost: a\r\n folded\r\n\r\n"), 400)
    XCTAssertEqual(status("GET / HTTP/1.1\r\nHost a\r\n\r\n"), 400)
    XCTAssertEqual(status("GET / HTTP/1.1\r\nHo st: a\r\n\r\n"), 400)
    XCTAssertEqual(status("GET / HTTP/1.1\r\nHost: a\0\r\n\r\n"), 400)
    XCTAssertEqual(status("GET / HTTP/2.0\r\nHost: a\r\n\r\n"), 505)
    XCTAssertEqual(status("GET / FTP/1.1\r\nHost: a\r\n\r\n"), 400)
    XCTAssertEqual(status("GET / HTTP/1.1\r\nHost: a\r\nX: " + String(repeating: "a", count: 20000) + "\r\n\r\n"), 431)
  }

  func handshake(_ headers: String, method: String = "GET", version: String = "1.1") -> Result<WebSocket.Handshake, HTTPError> {
    Result { () throws(HTTPError) -> WebSocket.Handshake in
      try WebSocket.Handshake(try parse("\(method) /ws HTTP/\(version)\r\nHost: a\r\n\(headers)\r\n"))
    }
  }

  let good = "Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n"

  func testHandshake() throws {
    let h = try handshake(good + "Sec-WebSocket-Protocol: chat, binary.ircv3.net, text.ircv3.net\r\n").get()
    XCTAssertEqual(h.accept, "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=")
    XCTAssertEqual(h.subprotocol, "binary.ircv3.net", "the client's first choice that chatd speaks")
    XCTAssertEqual(try handshake(good + "Sec-WebSocket-Protocol: text.ircv3.net, binary.ircv3.net\r\n").get().subprotocol, "text.ircv3.net")
    XCTAssertEqual(try handshake(good + "Sec-WebSocket-Protocol: binary.ircv3.net\r\n").get().subprotocol, "binary.ircv3.net")
    XCTAssertTrue(try handshake(good + "Sec-WebSocket-Protocol: binary.ircv3.net\r\n").get().binary)
    XCTAssertNil(try handshake(good).get().subprotocol)
    XCTAssertNil(try handshake(good + "Sec-WebSocket-Protocol: chat\r\n").get().subprotocol)
    // Case and token lists as browsers and proxies send them.
    XCTAssertNoThrow(
      try handshake(
        "upgrade: WebSocket\r\nconnection: keep-alive, upgrade\r\nsec-websocket-key: dGhlIHNhbXBsZSBub25jZQ==\r\nsec-websocket-version: 13\r\n"
      ).get())
  }

  func testHandshakeRefusals() {
    func status(_ r: Result<WebSocket.Handshake, HTTPError>) -> Int? { if case .failure(let e) = r { e.status } else { nil } }
    XCTAssertEqual(status(handshake(good, method: "POST")), 405)
    XCTAssertEqual(status(handshake(good, version: "1.0")), 400)
    XCTAssertEqual(
      status(handshake("Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n")), 426)
    XCTAssertEqual(
      status(handshake("Upgrade: websocket\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n")), 400)
    XCTAssertEqual(status(handshake(good.replacingOccurrences(of: "Version: 13", with: "Version: 8"))), 426)
    if case .failure(let e) = handshake(good.replacingOccurrences(of: "Version: 13", with: "Version: 8")) {
      XCTAssertEqual(e.headers.first?.0, "Sec-WebSocket-Version")
      XCTAssertEqual(e.headers.first?.1, "13")
    }
    XCTAssertEqual(status(handshake(good.replacingOccurrences(of: "dGhlIHNhbXBsZSBub25jZQ==", with: "c2hvcnQ="))), 400)
    XCTAssertEqual(status(handshake(good.replacingOccurrences(of: "dGhlIHNhbXBsZSBub25jZQ==", with: "not base64!"))), 400)
  }
}
