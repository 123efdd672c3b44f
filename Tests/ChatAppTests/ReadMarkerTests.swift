// IRCv3 draft/read-marker against a real chatd over TCP: MARKREAD set and get, shared by
// every connection of one account, shown after JOIN (before RPL_ENDOFNAMES), only moving
// forward, kept across a restart, bounded per account, and each refusal as FAIL.
import IRCTestSupport
import OtterTestSupport
import XCTest

@testable import ChatApp

final class ReadMarkerTests: XCTestCase {
  /// The account `alice` twice: a first connection that registers it, a second that logs
  /// in with SASL (another nick), both with draft/read-marker.
  private func twoConnections(_ server: ChatServer) throws -> (IRCTestClient, IRCTestClient) {
    let desk = try IRCTestClient(port: server.ircPort)
    try desk.registerAccount("alice", password: "alice-password", caps: ["draft/read-marker"])
    let phone = try IRCTestClient(port: server.ircPort)
    phone.send("CAP LS 302")
    phone.send("CAP REQ :sasl draft/read-marker")
    try phone.expect("CAP", containing: "ACK")
    XCTAssertEqual(try phone.saslPlain("alice", "alice-password", negotiate: false).command, "903")
    try phone.finishRegistration("alicephone")
    return (desk, phone)
  }

  func testMarkReadIsSharedByTheAccountsConnectionsAndShownOnJoin() async throws {
    try await withChatServer { server in
      let (desk, phone) = try twoConnections(server)
      let other = try IRCTestClient(port: server.ircPort)
      try other.registerAccount("bob", password: "bob-password", caps: ["draft/read-marker"])

      // JOIN: MARKREAD <channel> * (nothing read yet), before the 366.
      desk.send("JOIN #read")
      let first = try desk.expect("MARKREAD or 366") { $0.command == "MARKREAD" || $0.command == "366" }
      XCTAssertEqual(first.command, "MARKREAD", "MARKREAD comes before RPL_ENDOFNAMES")
      XCTAssertEqual(first.params, ["#read", "*"])
      try desk.expect("366")

      desk.send("MARKREAD #read timestamp=2026-01-02T03:04:05.678Z")
      XCTAssertEqual(try desk.expect("MARKREAD").params, ["#read", "timestamp=2026-01-02T03:04:05.678Z"])
      XCTAssertEqual(
        try phone.expect("MARKREAD").params, ["#read", "timestamp=2026-01-02T03:04:05.678Z"], "the account's other connection")
      XCTAssertTrue(other.never(within: 0.3) { $0.command == "MARKREAD" }, "another account hears nothing")

      // Older: the stored marker comes back, and nobody else is told.
      desk.send("MARKREAD #READ timestamp=2025-01-01T00:00:00.000Z")
      XCTAssertEqual(try desk.expect("MARKREAD").params, ["#READ", "timestamp=2026-01-02T03:04:05.678Z"])
      XCTAssertTrue(phone.never(within: 0.3) { $0.command == "MARKREAD" })

      // Get, from the other connection; a nick as target too.
      phone.send("MARKREAD #read")
      XCTAssertEqual(try phone.expect("MARKREAD").params, ["#read", "timestamp=2026-01-02T03:04:05.678Z"])
      phone.send("MARKREAD bob")
      XCTAssertEqual(try phone.expect("MARKREAD").params, ["bob", "*"])

      // The other connection joining sees the marker after its JOIN.
      phone.send("JOIN #read")
      try phone.expect("JOIN")
      let shown = try phone.expect("MARKREAD or 366") { $0.command == "MARKREAD" || $0.command == "366" }
      XCTAssertEqual(shown.params, ["#read", "timestamp=2026-01-02T03:04:05.678Z"])

      // A time to come is taken as now.
      desk.send("MARKREAD #read timestamp=2099-01-01T00:00:00.000Z")
      let clamped = try desk.expect("MARKREAD").params[1]
      let millis = try XCTUnwrap(WallClock.parseISO8601(String(clamped.dropFirst("timestamp=".count))))
      XCTAssertLessThanOrEqual(millis, WallClock.millis())
      XCTAssertEqual(try phone.expect("MARKREAD").params[1], clamped)
    }
  }

  func testRefusals() async throws {
    try await withChatServer { server in
      let guest = try IRCTestClient(port: server.ircPort)
      try guest.register("guest", caps: ["draft/read-marker"])
      guest.send("MARKREAD")
      XCTAssertEqual(try guest.expect("FAIL").params.prefix(2), ["MARKREAD", "NEED_MORE_PARAMS"])
      // Not logged in: markers for this connection alone, forward only.
      guest.send("MARKREAD #x")
      XCTAssertEqual(try guest.expect("MARKREAD").params, ["#x", "*"])
      guest.send("MARKREAD #x timestamp=2026-01-02T03:04:05.678Z")
      XCTAssertEqual(try guest.expect("MARKREAD").params, ["#x", "timestamp=2026-01-02T03:04:05.678Z"])
      guest.send("MARKREAD #x timestamp=2025-01-02T03:04:05.678Z")
      XCTAssertEqual(try guest.expect("MARKREAD").params, ["#x", "timestamp=2026-01-02T03:04:05.678Z"])
      guest.send("JOIN #x")
      XCTAssertEqual(try guest.expect("MARKREAD").params, ["#x", "timestamp=2026-01-02T03:04:05.678Z"])
      guest.send("JOIN #fresh")
      XCTAssertEqual(try guest.expect("MARKREAD").params, ["#fresh", "*"])
      let other = try IRCTestClient(port: server.ircPort)
      try other.register("otherguest", caps: ["draft/read-marker"])
      other.send("MARKREAD #x")
      XCTAssertEqual(try other.expect("MARKREAD").params, ["#x", "*"])

      let alice = try IRCTestClient(port: server.ircPort)
      try alice.registerAccount("alice", password: "alice-password")
      alice.send("MARKREAD #x yesterday")
      XCTAssertEqual(try alice.expect("FAIL").params.prefix(3), ["MARKREAD", "INVALID_PARAMS", "yesterday"])
      alice.send("MARKREAD #x timestamp=2026-13-45")
      XCTAssertEqual(try alice.expect("FAIL").params.prefix(2), ["MARKREAD", "INVALID_PARAMS"])
      alice.send("MARKREAD no,such,nick timestamp=2026-01-02T03:04:05.678Z")
      XCTAssertEqual(try alice.expect("FAIL").params.prefix(3), ["MARKREAD", "INVALID_PARAMS", "no,such,nick"])
      // Without the capability: no MARKREAD on JOIN, but a MARKREAD still answers.
      try alice.join("#y")
      XCTAssertFalse(alice.backlog.contains { $0.command == "MARKREAD" })
      alice.send("MARKREAD #y timestamp=2026-01-02T03:04:05.678Z")
      XCTAssertEqual(try alice.expect("MARKREAD").params, ["#y", "timestamp=2026-01-02T03:04:05.678Z"])
    }
  }

  func testMarkersOutliveARestart() async throws {
    let config = testConfig()
    try await withChatServer(config) { server in
      let alice = try IRCTestClient(port: server.ircPort)
      try alice.registerAccount("alice", password: "alice-password")
      alice.send("MARKREAD #kept timestamp=2026-01-02T03:04:05.678Z")
      try alice.expect("MARKREAD")
    }
    try await withChatServer(config) { server in
      let alice = try IRCTestClient(port: server.ircPort)
      XCTAssertEqual(try alice.saslPlain("alice", "alice-password").command, "903")
      try alice.finishRegistration("alice")
      alice.send("MARKREAD #kept")
      XCTAssertEqual(try alice.expect("MARKREAD").params, ["#kept", "timestamp=2026-01-02T03:04:05.678Z"])
    }
  }

  func testAnAccountKeepsABoundedNumberOfMarkers() {
    var markers = ReadMarkers()
    for i in 0..<(ReadMarkers.limit + 50) { _ = markers.advance("#c\(i)", to: Int64(1_000 + i)) }
    XCTAssertEqual(markers.markers.count, ReadMarkers.limit)
    XCTAssertNil(markers.markers["#c0"], "the oldest went")
    XCTAssertEqual(markers.markers["#c\(ReadMarkers.limit + 49)"], Int64(1_000 + ReadMarkers.limit + 49))
    XCTAssertEqual(markers.advance("#c60", to: 5), 1_060, "never back")
    XCTAssertEqual(ReadMarkers.decode(markers.json), markers)
  }
}
