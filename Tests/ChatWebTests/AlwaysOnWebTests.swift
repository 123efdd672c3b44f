// Always-on sessions from a web page's side (IRC over WebSocket, in process): closing
// the tab (the close frame) detaches the session instead of quitting, and a WebSocket
// logging in with SASL before its NICK attaches to it — its nick, its channels as JOIN
// lines — with nothing seen by the channel but AWAY.
import Foundation
import OtterTestSupport
import XCTest

@testable import ChatApp

final class AlwaysOnWebTests: XCTestCase {
  /// A WebSocket client logged in to `alice` with SASL PLAIN before NICK/USER.
  private func webLogin(_ port: Int, nick: String) throws -> TestWebSocket {
    let ws = try TestWebSocket(port: port)
    try ws.send(line: "CAP LS 302")
    try ws.send(line: "CAP REQ :sasl away-notify")
    try ws.expect(containing: "ACK")
    try ws.send(line: "AUTHENTICATE PLAIN")
    try ws.expect(containing: "AUTHENTICATE +")
    try ws.send(line: "AUTHENTICATE " + Data("\0alice\0alice-password".utf8).base64EncodedString())
    try ws.expect(containing: " 903 ")
    try ws.send(line: "NICK \(nick)")
    try ws.send(line: "USER \(nick) 0 * :\(nick)")
    try ws.send(line: "CAP END")
    return ws
  }

  func testClosingTheTabDetachesAndTheNextPageAttaches() async throws {
    let server = try await startChat { $0.alwaysOn = .optOut }
    do {
      try await closeAndAttach(server)
    } catch {
      await stopChat(server)
      throw error
    }
    await stopChat(server)
  }

  private func closeAndAttach(_ server: ChatServer) async throws {
    let irc = try ircClient(port: server.ircPort, nick: "alice")
    try irc.send("PRIVMSG NickServ :REGISTER alice-password\r\n")
    try irc.expectLine(containing: " 900 ")
    try irc.send("QUIT\r\n")
    _ = try? irc.readToEnd()

    let page = try webLogin(server.webPort, nick: "alice")
    XCTAssertTrue(try page.expect(containing: " 001 ").contains(" 001 alice "))
    try page.send(line: "JOIN #web")
    try page.expect(containing: " 366 ")
    let bob = try ircClient(port: server.ircPort, nick: "bob")
    try bob.send("CAP REQ away-notify\r\nJOIN #web\r\n")
    try bob.expectLine(containing: " 366 ")

    // The tab closes (close frame): AWAY, not QUIT.
    try page.send(.close, [0x03, 0xE8])
    _ = try page.expectClose()
    XCTAssertTrue(try bob.expectLine(containing: "AWAY").hasPrefix(":alice!"))
    try await eventually { server.services.detached.count == 1 }

    // The next page load attaches, under its nick, and is shown #web.
    let again = try webLogin(server.webPort, nick: "alice")
    XCTAssertTrue(try again.expect(containing: " 001 ").contains(" 001 alice "))
    XCTAssertTrue(try again.expect(containing: " JOIN ").contains("#web"))
    try again.expect(containing: " 366 ")
    let back = try bob.expectLine(containing: "AWAY")
    XCTAssertTrue(back.hasPrefix(":alice!") && !back.contains(":Detached"), back)
    try again.send(line: "PRIVMSG #web :from the page")
    XCTAssertFalse(try bob.expectLine(containing: "PRIVMSG").contains("QUIT"))
  }
}
