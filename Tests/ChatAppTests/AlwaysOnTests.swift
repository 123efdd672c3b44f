// Always-on sessions against a real chatd over TCP: an always-on account's nick stays
// in its channels when its connection closes (away, no QUIT), and a new connection
// logging in with SASL attaches to it — the session's nick, its channels shown as after
// JOIN, the missed messages in CHATHISTORY — while nobody else sees a JOIN or a QUIT;
// the server's policy and NickServ SET ALWAYS-ON; and 200 detach/attach cycles leave
// no process, descriptor or table entry behind.
import IRCTestSupport
import OtterTestSupport
import XCTest

@testable import ChatApp

final class AlwaysOnTests: XCTestCase {
  private func config(_ policy: AlwaysOnPolicy) -> ChatConfig {
    var config = testConfig()
    config.alwaysOn = policy
    return config
  }

  /// A new connection logging in as `account` with SASL PLAIN, registering as `nick`.
  private func reconnect(_ server: ChatServer, _ account: String, nick: String, caps: [String]) throws -> IRCTestClient {
    let c = try IRCTestClient(port: server.ircPort)
    c.send("CAP LS 302")
    c.send("CAP REQ :" + (["sasl"] + caps).joined(separator: " "))
    try c.expect("CAP", containing: "ACK")
    XCTAssertEqual(try c.saslPlain(account, "\(account)-password", negotiate: false).command, "903")
    c.nick = nick
    c.send("NICK \(nick)")
    c.send("USER \(nick) 0 * :Test user \(nick)")
    c.send("CAP END")
    return c
  }

  /// alice (an account) and bob join `channel`; alice's connection then closes (her
  /// session stays, with the always-on policy). Returns bob's connection.
  private func aliceLeftWithBob(in channel: String, _ server: ChatServer) throws -> IRCTestClient {
    let alice = try IRCTestClient(port: server.ircPort)
    try alice.registerAccount("alice", password: "alice-password")
    try alice.join(channel)
    let bob = try IRCTestClient(port: server.ircPort)
    try bob.register("bob")
    try bob.join(channel)
    alice.send("QUIT")
    try alice.expectClosed()
    return bob
  }

  func testTheNickStaysAndANewConnectionAttaches() async throws {
    try await withChatServer(config(.optIn)) { server in
      let alice = try IRCTestClient(port: server.ircPort)
      try alice.registerAccount("alice", password: "alice-password")
      alice.send("PRIVMSG NickServ :SET ALWAYS-ON ON")
      try alice.expectNotice(from: "NickServ", containing: "Always-on is now ON")
      try alice.join("#a")
      try alice.join("#b")
      alice.send("TOPIC #a :the topic of a")
      try alice.expect("TOPIC")
      let bob = try IRCTestClient(port: server.ircPort)
      try bob.register("bob", caps: ["away-notify"])
      try bob.join("#a")

      // The connection closes: no QUIT, an AWAY; alice is still in #a.
      alice.send("QUIT :closing the tab")
      try alice.expectClosed()
      let away = try bob.expect("AWAY")
      XCTAssertEqual(away.source?.hasPrefix("alice!"), true)
      XCTAssertEqual(away.params, [Connection.detachedAway])
      bob.send("NAMES #a")
      XCTAssertTrue(try bob.expect("353").params.last!.split(separator: " ").contains { $0.hasSuffix("alice") })
      bob.send("PRIVMSG #a :said while alice was away")
      bob.send("PRIVMSG alice :a private word")
      try bob.expect("301")  // alice is away
      bob.send("WHOIS alice")
      try bob.expect("318")
      XCTAssertEqual(server.services.detached.count, 1)

      // Back, from another client, under another nick: attached to the session.
      let again = try reconnect(server, "alice", nick: "phone", caps: ["draft/chathistory", "batch", "server-time"])
      let welcome = try again.expect("001")
      XCTAssertEqual(welcome.params.first, "alice", "the session's nick")
      again.nick = "alice"
      try again.expect("end of MOTD") { $0.command == "376" || $0.command == "422" }
      for channel in ["#a", "#b"] {
        let join = try again.expect("JOIN", containing: channel)
        XCTAssertEqual(join.source?.hasPrefix("alice!"), true)
        if channel == "#a" { XCTAssertEqual(try again.expect("332").params.last, "the topic of a") }
        XCTAssertTrue(try again.expect("353").params.last!.split(separator: " ").contains { $0.hasSuffix("alice") })
        try again.expect("366", containing: channel)
      }
      XCTAssertEqual(try bob.expect("AWAY").params, [], "back")
      XCTAssertTrue(bob.never(within: 0.3) { ["QUIT", "JOIN", "PART", "NICK"].contains($0.command) })
      XCTAssertEqual(server.services.detached.count, 0)

      // What was missed is in the history; the channel talks to the new connection.
      again.send("CHATHISTORY LATEST #a * 10")
      try again.expect("PRIVMSG", containing: "said while alice was away")
      bob.send("PRIVMSG #a :welcome back")
      try again.expect("PRIVMSG", containing: "welcome back")
      again.send("PRIVMSG #a :thanks")
      try bob.expect("PRIVMSG", containing: "thanks")

      // Turned off: the next close is a QUIT.
      again.send("PRIVMSG NickServ :SET ALWAYS-ON OFF")
      try again.expectNotice(from: "NickServ", containing: "Always-on is now OFF")
      again.send("QUIT :bye")
      XCTAssertEqual(try bob.expect("QUIT").source?.hasPrefix("alice!"), true)
    }
  }

  func testNickServIdentifyAttachesAClientInNoChannel() async throws {
    try await withChatServer(config(.optOut)) { server in
      let bob = try aliceLeftWithBob(in: "#id", server)
      try await eventually { server.services.detached.count == 1 }

      let old = try IRCTestClient(port: server.ircPort)
      try old.register("oldclient")
      old.send("PRIVMSG NickServ :IDENTIFY alice alice-password")
      let nick = try old.expect("NICK")
      XCTAssertEqual(nick.source?.hasPrefix("oldclient!"), true)
      XCTAssertEqual(nick.params, ["alice"])
      try old.expect("JOIN", containing: "#id")
      try old.expect("366", containing: "#id")
      XCTAssertTrue(bob.never(within: 0.3) { ["QUIT", "JOIN", "NICK"].contains($0.command) })
      XCTAssertEqual(server.services.detached.count, 0)
    }
  }

  func testPolicies() async throws {
    try await withChatServer(config(.off)) { server in
      let alice = try IRCTestClient(port: server.ircPort)
      try alice.registerAccount("alice", password: "alice-password")
      alice.send("PRIVMSG NickServ :SET ALWAYS-ON ON")
      try alice.expectNotice(from: "NickServ", containing: "turned off on this server")
      alice.send("PRIVMSG NickServ :SET ALWAYS-ON MAYBE")
      try alice.expectNotice(from: "NickServ", containing: "Usage: SET ALWAYS-ON ON|OFF")
    }
    // Opt-out: every account is always-on without asking; a guest is not.
    try await withChatServer(config(.optOut)) { server in
      let alice = try IRCTestClient(port: server.ircPort)
      try alice.registerAccount("alice", password: "alice-password")
      try alice.join("#o")
      let guest = try IRCTestClient(port: server.ircPort)
      try guest.register("guest")
      try guest.join("#o")
      let bob = try IRCTestClient(port: server.ircPort)
      try bob.register("bob")
      try bob.join("#o")
      alice.send("QUIT")
      guest.send("QUIT")
      let quit = try bob.expect("QUIT")
      XCTAssertEqual(quit.source?.hasPrefix("guest!"), true, "only the guest quits")
      XCTAssertTrue(bob.never(within: 0.3) { $0.command == "QUIT" })
    }
    XCTAssertThrowsError(try ChatCommandLine.parse(["--always-on", "sometimes"])) { error in
      XCTAssertTrue("\(error)".contains("expected off, opt-in or opt-out"), "\(error)")
    }
    XCTAssertEqual(try ChatConfigFile.parse("always-on = opt-in\n", file: "chatd.conf").alwaysOn, .optIn)
  }

  func testSessionsComeBackAfterARestart() async throws {
    let config = config(.optIn)
    try await withChatServer(config) { server in
      // alice detached, carol still connected when chatd stops: both come back.
      var connected: [IRCTestClient] = []
      for name in ["alice", "carol"] {
        let c = try IRCTestClient(port: server.ircPort)
        try c.registerAccount(name, password: "\(name)-password")
        c.send("PRIVMSG NickServ :SET ALWAYS-ON ON")
        try c.expectNotice(from: "NickServ", containing: "Always-on is now ON")
        try c.join("#keep")
        if name == "alice" {
          c.send("QUIT")
          try c.expectClosed()
        } else {
          connected.append(c)  // open until chatd stops
        }
      }
      try await eventually { server.services.detached.count == 1 }
      XCTAssertEqual(connected.count, 1)
    }
    try await withChatServer(config) { server in
      let bob = try IRCTestClient(port: server.ircPort)
      try bob.register("bob")
      try await eventually("the sessions to be back in #keep") { server.services.channels.record("#keep")?.members.count == 2 }
      bob.send("JOIN #keep")
      let names = try bob.expect("353").params.last!.split(separator: " ").map { $0.trimmingCharacters(in: ["@", "+"]) }
      XCTAssertEqual(Set(names), ["alice", "carol", "bob"])
      bob.send("WHOIS alice")
      XCTAssertEqual(try bob.expect("301").params.last, Connection.detachedAway)
      XCTAssertEqual(try bob.expect("330").params[2], "alice", "logged in to its account")
      XCTAssertEqual(server.services.detached.count, 2)
      bob.drain()
      // Logged in first, it may ask for its session's nick: given, not 433.
      let again = try reconnect(server, "alice", nick: "alice", caps: [])
      XCTAssertEqual(try again.expect("001").params.first, "alice")
      XCTAssertFalse(again.backlog.contains { $0.command == "433" })
      try again.expect("JOIN", containing: "#keep")
      try again.expect("366", containing: "#keep")
      XCTAssertTrue(bob.never(within: 0.3) { ["QUIT", "JOIN"].contains($0.command) })
    }
  }

  func testTwoHundredDetachAttachCyclesLeaveNothingBehind() async throws {
    try await withChatServer(config(.optOut)) { server in
      let bob = try aliceLeftWithBob(in: "#cycle", server)
      func cycle() throws {
        let c = try IRCTestClient(port: server.ircPort)
        XCTAssertEqual(try c.saslScram(ScramClient(username: "alice", password: "alice-password")).command, "903")
        c.nick = "visitor"
        c.send("NICK visitor")
        c.send("USER visitor 0 * :visitor")
        c.send("CAP END")
        try c.expect("366", containing: "#cycle")
        c.send("QUIT")
        try c.expectClosed()
      }
      for _ in 0..<20 { try cycle() }  // warm-up
      try await eventually(timeout: .seconds(5)) { server.services.detached.count == 1 }
      let before = ResourceUse.now(server.node)
      for _ in 0..<200 { try cycle() }
      try await eventually(timeout: .seconds(5)) {
        let now = ResourceUse.now(server.node)
        return server.services.detached.count == 1 && now.processes == before.processes && now.descriptors <= before.descriptors
      }
      let after = ResourceUse.now(server.node)
      XCTAssertLessThanOrEqual(after.mallocBytes - before.mallocBytes, churnBoundBytes, "before \(before), after \(after)")
      XCTAssertEqual(server.services.clients.count, 2, "bob and the detached session")
      XCTAssertEqual(server.services.channels.record("#cycle")?.members.count, 2)
      bob.send("LUSERS")
      XCTAssertTrue(try bob.expect("251").params.last!.contains("2 users"), "the detached session counts as a user")
      XCTAssertTrue(bob.never(within: 0.2) { $0.command == "QUIT" || $0.command == "JOIN" })
    }
  }
}
