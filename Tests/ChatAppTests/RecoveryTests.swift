// The point of the process model: kill a room, the presence server or a connection, and
// only what must change changes.
import GenServer
import IRCTestSupport
import OtterTestSupport
import Supervision
import XCTest

@testable import Actors
@testable import ChatApp

final class RecoveryTests: XCTestCase {
  func testKilledRoomIsRestartedWithMembersAndTopicAndNoClientLeaves() async throws {
    try await withChatServer { server in
      let (a, b) = try twoMembers(of: "#room", server)
      a.send("TOPIC #room :before the crash")
      try b.expect("TOPIC")
      a.send("MODE #room +v bob")
      try b.expect("MODE", containing: "+v")
      let name = ChatServices.roomName("#room")
      let old = try XCTUnwrap(server.node.whereis(name))
      server.node.exit(old, reason: .kill)
      try await eventually("the room to be restarted") {
        if let pid = server.node.whereis(name) { return pid != old }
        return false
      }
      // Same members, modes and topic; nobody was told anything happened.
      a.send("NAMES #room")
      let names = try a.expect("353")
      XCTAssertEqual(Set(names.params.last!.split(separator: " ").map(String.init)), ["@alice", "+bob"])
      a.send("TOPIC #room")
      XCTAssertEqual(try a.expect("332").params.last, "before the crash")
      b.send("PRIVMSG #room :after the crash")
      XCTAssertEqual(try a.expect("PRIVMSG").params, ["#room", "after the crash"])
      XCTAssertTrue(a.never(within: 0.2) { $0.command == "QUIT" || $0.command == "PART" || $0.command == "ERROR" })
      XCTAssertFalse(a.closed || b.closed)
    }
  }

  /// A connection that ends while its room is down (killed together, say) is still seen
  /// to quit: the room comes back from its record, not from who is still connected.
  func testAConnectionThatEndsWhileItsRoomIsDownIsSeenToQuit() async throws {
    try await withChatServer { server in
      let (a, b) = try twoMembers(of: "#gone", server)
      try a.expect("bob's JOIN") { $0.command == "JOIN" && $0.source?.hasPrefix("bob!") == true }
      // The room stops and is not restarted (as if it died with bob, before his DOWN).
      let rooms = try XCTUnwrap(server.node.whereis(ChatServices.roomsName, as: ServerMessage<DynamicSupervisor<RoomStart>>.self))
      let room = try XCTUnwrap(server.node.whereis(ChatServices.roomName("#gone")))
      try await server.node.terminateChild(GenServerRef(rooms), pid: room)
      b.send("QUIT :off now")
      try b.expectClosed()
      // Alice still talks to #gone: it answers, and tells her bob left.
      a.send("NAMES #gone")
      let quit = try a.expect("QUIT")
      XCTAssertEqual(quit.source?.hasPrefix("bob!"), true)
      XCTAssertEqual(quit.params, ["Quit: off now"])
      let names = try a.expect("353")
      XCTAssertEqual(names.params.last, "@alice")
    }
  }

  func testMessagesSentWhileARoomIsKilledAreAllDelivered() async throws {
    try await withChatServer { server in
      let (a, b) = try twoMembers(of: "#busy", server)
      let name = ChatServices.roomName("#busy")
      for i in 0..<200 {
        b.send("PRIVMSG #busy :m\(i)")
        if i == 50 || i == 120, let pid = server.node.whereis(name) { server.node.exit(pid, reason: .kill) }
      }
      // Each line is acknowledged by the room or retried by the sender's connection.
      for i in 0..<200 {
        let m = try a.expect("PRIVMSG m\(i)") { $0.command == "PRIVMSG" }
        XCTAssertEqual(m.params.last, "m\(i)")
      }
    }
  }

  func testKilledPresenceServerRebuildsNicks() async throws {
    try await withChatServer { server in
      let a = try IRCTestClient(port: server.ircPort)
      let b = try IRCTestClient(port: server.ircPort)
      try a.register("alice")
      try b.register("bob")
      b.send("MONITOR + alice")
      try b.expect("730")
      let old = try XCTUnwrap(server.node.whereis(ChatServices.presenceName))
      server.node.exit(old, reason: .kill)
      try await eventually("presence to be restarted") {
        if let pid = server.node.whereis(ChatServices.presenceName) { return pid != old }
        return false
      }
      a.send("PRIVMSG bob :still there?")
      XCTAssertEqual(try b.expect("PRIVMSG").params.last, "still there?")
      let c = try IRCTestClient(port: server.ircPort)
      c.send("NICK alice")
      try c.expect("433")  // still taken
      a.send("QUIT")
      try b.expect("731", containing: "alice")  // monitors survived too
      XCTAssertFalse(b.closed)
    }
  }

  func testKilledConnectionOnlyLosesThatClient() async throws {
    try await withChatServer { server in
      let a = try IRCTestClient(port: server.ircPort)
      let b = try IRCTestClient(port: server.ircPort)
      let c = try IRCTestClient(port: server.ircPort)
      try a.register("alice")
      try b.register("bob")
      try c.register("carol")
      for x in [a, b, c] { try x.join("#q") }
      let victim = try XCTUnwrap(server.services.clients.all.first { $0.nick == "bob" }).pid
      server.node.exit(victim, reason: .kill)
      let quit = try a.expect("QUIT")
      XCTAssertTrue(quit.source!.hasPrefix("bob!"))
      try c.expect("QUIT")
      try b.expectClosed()
      a.send("PRIVMSG #q :who is left?")
      try c.expect("PRIVMSG")
      a.send("NAMES #q")
      XCTAssertEqual(Set(try a.expect("353").params.last!.split(separator: " ").map(String.init)), ["@alice", "carol"])
      // The nick is free again.
      let d = try IRCTestClient(port: server.ircPort)
      try d.register("bob")
    }
  }
}
