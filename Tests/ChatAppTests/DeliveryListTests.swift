// A room's delivery list (Delivery/DeliveryList.swift) is made once and used by every
// message: after each change of members or of a member's capabilities, the next message
// must reach exactly the members there are, each in the variant it asked for — over real
// sockets (the list's socket path) and in-memory endpoints (its other path).
import IRCTestSupport
import OtterTestSupport
import XCTest

@testable import ChatApp

final class DeliveryListTests: XCTestCase {
  /// Whether `m` is the PRIVMSG `text`.
  private func isMessage(_ text: String) -> (IRCMessage) -> Bool {
    { $0.command == "PRIVMSG" && $0.params.last == text }
  }

  private func tagKeys(_ m: IRCMessage) -> Set<String> { Set(m.tags.map(\.key)) }

  func testTheNextMessageFollowsJoinsPartsQuitsAndCapabilityChanges() async throws {
    try await withChatServer { server in
      let (alice, bob) = try twoMembers(of: "#list", server)
      let carol = try IRCTestClient(port: server.ircPort)
      try carol.register("carol")

      alice.send("PRIVMSG #list :one")
      XCTAssertTrue(tagKeys(try bob.expect("one", isMessage("one"))).isEmpty)
      XCTAssertTrue(carol.never(within: 0.2, isMessage("one")), "not a member")
      XCTAssertTrue(alice.never(within: 0.2, isMessage("one")), "no echo-message")

      // A member joins: the next message reaches it.
      try carol.join("#list")
      try alice.expect("JOIN", containing: "#list")
      alice.send("PRIVMSG #list :two")
      try bob.expect("two", isMessage("two"))
      try carol.expect("two", isMessage("two"))

      // A member takes tags while in the channel: its next copy carries them, the others'
      // do not.
      bob.send("CAP REQ :server-time message-tags")
      try bob.expect("CAP", containing: "ACK")
      alice.send("PRIVMSG #list :three")
      XCTAssertEqual(tagKeys(try bob.expect("three", isMessage("three"))), ["time", "msgid"])
      XCTAssertTrue(tagKeys(try carol.expect("three", isMessage("three"))).isEmpty)
      // ...and the sender that asks for its echo gets it (message-tags: to send a TAGMSG).
      alice.send("CAP REQ :echo-message message-tags")
      try alice.expect("CAP", containing: "ACK")
      alice.send("PRIVMSG #list :four")
      try alice.expect("four", isMessage("four"))
      try bob.expect("four", isMessage("four"))
      try carol.expect("four", isMessage("four"))
      // A TAGMSG goes to members with message-tags only.
      alice.send("@+draft/react=x TAGMSG #list")
      try bob.expect("TAGMSG") { $0.command == "TAGMSG" }
      XCTAssertTrue(carol.never(within: 0.2) { $0.command == "TAGMSG" })

      // A member parts: the next message no longer reaches it.
      bob.send("PART #list")
      try alice.expect("PART", containing: "#list")
      alice.send("PRIVMSG #list :five")
      try carol.expect("five", isMessage("five"))
      XCTAssertTrue(bob.never(within: 0.2, isMessage("five")))

      // A member quits: its socket is gone from the list; the others still get theirs.
      carol.send("QUIT :bye")
      try alice.expect("QUIT") { $0.command == "QUIT" && $0.source?.hasPrefix("carol!") == true }
      alice.send("PRIVMSG #list :six")
      try alice.expect("six", isMessage("six"))
      let dave = try IRCTestClient(port: server.ircPort)
      try dave.register("dave")
      try dave.join("#list")
      alice.send("PRIVMSG #list :seven")
      try dave.expect("seven", isMessage("seven"))
      XCTAssertTrue(bob.never(within: 0.2, isMessage("seven")))
    }
  }

  func testOtherEndpointsFollowCapabilityChangesToo() async throws {
    let chat = try await ChatHarness()
    defer { chat.shutdown() }
    let alice = try await chat.client("alice")
    var bob = try await chat.client("bob")
    _ = try await chat.join(alice, "#mem")
    _ = try await chat.join(bob, "#mem")
    _ = bob.take()
    try await chat.room("#mem", .message(alice.handle, .privmsg, text: "plain", tags: []))
    XCTAssertEqual(bob.take().map { tagKeys($0) }, [[]])
    bob.state.setCapabilities([.serverTime])
    try await chat.room("#mem", .message(alice.handle, .privmsg, text: "stamped", tags: []))
    XCTAssertEqual(bob.take().map { tagKeys($0) }, [["time"]])
  }
}
