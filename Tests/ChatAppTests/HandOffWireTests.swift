// What a session hand-off writes on its link reads back the same (HandOff/HandOffWire.swift),
// and `chatd handoff`'s command line and summary line (Server/HandOffCommandLine.swift).
import Distribution
import XCTest

@testable import ChatApp

final class HandOffWireTests: XCTestCase {
  func testASessionCrossesTheLinkIntact() throws {
    var settings = ClientSettings()
    settings.user = "alice"
    settings.realname = "Alice Liddell"
    settings.registered = true
    settings.invisible = true
    settings.oper = true
    settings.away = "through the looking glass"
    settings.monitoring = ["bob", "carol"]
    settings.lastActive = 1_700_000_000
    let session = HandOffSession(
      from: PidLocation(node: "a", incarnation: 7, number: 42), nick: "Alice", host: "127.0.0.1", settings: settings,
      caps: Caps([.echoMessage, .serverTime]).rawValue, capVersion: 302, signon: 1_699_999_000,
      channels: [.init(key: "#tea", op: true, voice: false), .init(key: "#party", op: false, voice: true)], account: nil,
      pendingInput: [Array("PRIVMSG #tea :more".utf8), []], unframedInput: Array("PRIV".utf8), awaitingPong: true,
      frozenAtMillis: 1_700_000_001_234)
    for message in [
      HandOffMessage.hello(cluster: "chatd", node: "a", incarnation: 7), .session(session),
      .done(id: 42, output: Array(":a PRIVMSG #tea :hi\r\n".utf8), input: [Array("PING x".utf8)]),
      .late(id: 42, output: [1, 2, 3]), .abandon(id: 42, reason: "deadline"),
    ] {
      let back = try HandOffMessage(bytes: message.bytes)
      XCTAssertEqual("\(back)", "\(message)")
    }
    guard case .session(let s) = try HandOffMessage(bytes: HandOffMessage.session(session).bytes) else { return XCTFail() }
    XCTAssertEqual(s.from, session.from)
    XCTAssertEqual(s.settings.monitoring, ["bob", "carol"])
    XCTAssertEqual(s.settings.away, "through the looking glass")
    XCTAssertTrue(s.settings.registered && s.settings.invisible && s.settings.oper)
    XCTAssertEqual(s.channels, session.channels)
    XCTAssertEqual(s.pendingInput, session.pendingInput)
    XCTAssertThrowsError(try HandOffMessage(bytes: [9]))
  }

  func testTheCommandLine() throws {
    XCTAssertEqual(
      try ChatCommandLine.parse(["handoff", "--to", "/b/handoff.sock", "--data-dir", "/a", "--keep-running", "--window", "8"]),
      .handOff(HandOffRequest(controlSocket: "/a/control.sock", to: "/b/handoff.sock", stop: false, window: 8)))
    XCTAssertEqual(
      try ChatCommandLine.parse(["handoff", "--to", "/b/h.sock", "--control-socket", "/run/a.sock"]),
      .handOff(HandOffRequest(controlSocket: "/run/a.sock", to: "/b/h.sock")))
    XCTAssertEqual(try ChatCommandLine.parse(["handoff", "--help"]), .handOffHelp)
    for (arguments, message) in [
      (["handoff"], "handoff: --to SOCKET is required (the hand-off socket of the node taking the sessions over)"),
      (["handoff", "--to"], "handoff: --to needs a value"),
      (["handoff", "--to", "x", "--window", "0"], "handoff: --window: expected a whole number in 1...100000, got \"0\""),
      (["handoff", "--to", "x", "--now"], "handoff: unknown option --now (see chatd handoff --help)"),
    ] {
      XCTAssertThrowsError(try ChatCommandLine.parse(arguments)) { XCTAssertEqual("\($0)", message) }
    }
  }

  func testTheSummaryLine() {
    let (line, complete) = HandOffCommand.summary(
      .fields([
        "to": .string("b"), "sessions": .number(4), "handed_over": .number(2), "seconds": .number(1.5),
        "frozen_ms": .fields(["median": .number(4.25), "longest": .number(12.0)]),
        "told_to_reconnect": .fields(["websocket": .number(1), "unregistered": .number(0)]),
        "failed": .array([.fields(["nick": .string("x"), "reason": .string("refused")])]), "stopping": .bool(true),
      ]))
    XCTAssertEqual(
      line,
      "handed 2 of 4 sessions over to b in 1.50 s (frozen here: median 4.2 ms, longest 12 ms); told 1 to reconnect (1 on WebSocket, 0 not registered); 1 could not move and were told to reconnect (x: refused); the node is stopping"
    )
    XCTAssertFalse(complete)
  }
}
