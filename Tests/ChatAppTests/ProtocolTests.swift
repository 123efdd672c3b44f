// The IRC conversation as a client sees it: registration, channels, messages, errors.
import IRCTestSupport
import OtterTestSupport
import XCTest

@testable import ChatApp

final class ProtocolTests: XCTestCase {
  func testRegistrationSendsWelcomeAndISupport() async throws {
    try await withChatServer { server in
      let a = try IRCTestClient(port: server.ircPort)
      a.send("NICK alice")
      a.send("USER alice 0 * :Alice A")
      let welcome = try a.expect("001")
      XCTAssertEqual(welcome.source, "test.server")
      XCTAssertEqual(welcome.params.first, "alice")
      let isupport = try a.expect("005")
      XCTAssertTrue(isupport.params.contains("CASEMAPPING=ascii"), "\(isupport.params)")
      try a.expect("376")
    }
  }

  func testTwoClientsChatInAChannelAndSeePartAndQuit() async throws {
    try await withChatServer { server in
      let (a, b) = try twoMembers(of: "#otter", server)
      let join = try a.expect("JOIN", containing: "#otter")
      XCTAssertTrue(join.source!.hasPrefix("bob!"), join.description)
      b.send("PRIVMSG #otter :hello, alice")
      let msg = try a.expect("PRIVMSG")
      XCTAssertEqual(msg.params, ["#otter", "hello, alice"])
      XCTAssertTrue(msg.source!.hasPrefix("bob!bob@127.0.0.1"))
      // Private message by nick, case-insensitively.
      a.send("PRIVMSG BOB :psst")
      XCTAssertEqual(try b.expect("PRIVMSG").params, ["bob", "psst"])
      b.send("PART #otter :bye")
      XCTAssertEqual(try a.expect("PART").params, ["#otter", "bye"])
      b.send("JOIN #otter")
      try a.expect("JOIN")
      b.send("QUIT :gone fishing")
      let quit = try a.expect("QUIT")
      XCTAssertTrue(quit.params[0].contains("gone fishing"))
      try b.expect("ERROR")
      try b.expectClosed()
    }
  }

  func testNumericErrorsForBadInput() async throws {
    try await withChatServer { server in
      let a = try IRCTestClient(port: server.ircPort)
      a.send("JOIN #x")
      try a.expect("451")  // not registered
      try a.register("alice")
      let b = try IRCTestClient(port: server.ircPort)
      b.send("NICK alice")
      try b.expect("433", containing: "alice")  // in use
      b.send("NICK 9lives")
      try b.expect("432")  // erroneous
      a.send("FROBNICATE now")
      try a.expect("421", containing: "FROBNICATE")
      a.send("JOIN")
      try a.expect("461", containing: "JOIN")
      a.send("PRIVMSG nobody :hi")
      try a.expect("401", containing: "nobody")
      a.send("PRIVMSG #nowhere :hi")
      try a.expect("403", containing: "#nowhere")
      a.send("PART #nowhere")
      try a.expect("403", containing: "#nowhere")
      a.send("PRIVMSG alice")
      try a.expect("412")
      a.send("TOPIC #nowhere")
      try a.expect("403")
      // Not an operator of a channel someone else made.
      try b.register("bob")
      try b.join("#b")
      try a.join("#b")
      a.send("MODE #b +m")
      try a.expect("482", containing: "#b")
      a.send("KICK #b bob")
      try a.expect("482")
      b.send("KICK #b carol")
      try b.expect("441")  // not on channel
      b.send("MODE #b +l abc")
      try b.expect("696")
      a.send("PING :still here")
      XCTAssertEqual(try a.expect("PONG").params.last, "still here")
    }
  }

  func testLongLinesAndGarbageGetErrorsNotDisconnects() async throws {
    try await withChatServer { server in
      let a = try IRCTestClient(port: server.ircPort)
      try a.register("alice")
      a.send("PRIVMSG alice :" + String(repeating: "x", count: 600))
      try a.expect("417")
      // Not UTF-8.
      a.sendRaw(Array("PRIVMSG alice :caf".utf8) + [0xE9, 0x0D, 0x0A])
      let fail = try a.expect("FAIL")
      XCTAssertEqual(Array(fail.params.prefix(2)), ["PRIVMSG", "INVALID_UTF8"])
      // Random bytes, NULs, lone CRs, a colon alone.
      var rng = SystemRandomNumberGenerator()
      for _ in 0..<50 {
        var junk = (0..<Int.random(in: 1...300, using: &rng)).map { _ in UInt8.random(in: 0...255, using: &rng) }
        junk.removeAll { $0 == 0x0A }
        a.sendRaw(junk + [0x0A])
      }
      a.send(":")
      a.send("   ")
      // A line of 100 KB: the framing limit, then an error — still connected.
      a.sendRaw([UInt8](repeating: UInt8(ascii: "a"), count: 100_000) + [0x0D, 0x0A])
      a.send("PING :alive")
      XCTAssertEqual(try a.expect("PONG", within: 10).params.last, "alive")
    }
  }

  func testChannelModesKeyLimitInviteAndBan() async throws {
    try await withChatServer { server in
      let op = try IRCTestClient(port: server.ircPort)
      let guest = try IRCTestClient(port: server.ircPort)
      try op.register("op")
      try guest.register("guest")
      try op.join("#club")
      op.send("MODE #club +k secret")
      try op.expect("MODE", containing: "+k")
      guest.send("JOIN #club")
      try guest.expect("475")  // bad key
      guest.send("JOIN #club secret")
      try guest.expect("366")
      guest.send("PART #club")
      try guest.expect("PART")
      op.send("MODE #club -k secret")
      op.send("MODE #club +i")
      try op.expect("MODE", containing: "+i")
      guest.send("JOIN #club")
      try guest.expect("473")  // invite only
      op.send("INVITE guest #club")
      try op.expect("341")
      try guest.expect("INVITE")
      try guest.join("#club")
      op.send("MODE #club +b guest!*@*")
      try op.expect("MODE", containing: "+b")
      guest.send("PRIVMSG #club :can I speak?")
      try guest.expect("404")
      op.send("MODE #club +o guest")
      try guest.expect("MODE", containing: "+o")
      op.send("KICK #club guest :out")
      XCTAssertEqual(try guest.expect("KICK").params, ["#club", "guest", "out"])
      op.send("MODE #club +l 1")
      op.send("MODE #club -i")
      try op.expect("MODE", containing: "-i")
      op.send("MODE #club -b guest!*@*")
      try op.expect("MODE", containing: "-b")
      guest.send("JOIN #club")
      try guest.expect("471")  // full
    }
  }

  func testNickChangeTopicAwayWhoisAndMonitor() async throws {
    try await withChatServer { server in
      let a = try IRCTestClient(port: server.ircPort)
      let b = try IRCTestClient(port: server.ircPort)
      try a.register("alice")
      try b.register("bob", caps: ["away-notify", "multi-prefix", "server-time", "message-tags"])
      b.send("MONITOR + carol,alice")
      try b.expect("730", containing: "alice")
      try b.expect("731", containing: "carol")
      try a.join("#t")
      try b.join("#t")
      a.send("TOPIC #t :otters hold hands")
      XCTAssertEqual(try b.expect("TOPIC").params, ["#t", "otters hold hands"])
      a.send("AWAY :lunch")
      try a.expect("306")
      let away = try b.expect("AWAY")
      XCTAssertEqual(away.params, ["lunch"])
      XCTAssertNotNil(away.tag("time") ?? nil, "server-time tag")
      b.send("WHOIS alice")
      try b.expect("311", containing: "alice")
      try b.expect("301", containing: "lunch")
      try b.expect("319", containing: "#t")
      try b.expect("318")
      a.send("NICK carol")
      let nick = try b.expect("NICK")
      XCTAssertEqual(nick.params, ["carol"])
      try b.expect("730", containing: "carol")
      try b.expect("731", containing: "alice")
      b.send("ISON carol alice")
      XCTAssertEqual(try b.expect("303").params.last?.trimmingCharacters(in: .whitespaces), "carol")
      b.send("WHOWAS alice")
      try b.expect("314", containing: "alice")
      try b.expect("369")
    }
  }

  func testPasswordIsRequiredWhenConfigured() async throws {
    var config = testConfig()
    config.password = "letmein"
    try await withChatServer(config) { server in
      let a = try IRCTestClient(port: server.ircPort)
      a.send("NICK alice")
      a.send("USER alice 0 * :A")
      try a.expect("464")
      try a.expectClosed()
      let b = try IRCTestClient(port: server.ircPort)
      b.send("PASS letmein")
      try b.register("bob")
    }
  }
}

/// Input that must never be passed on as it came.
final class RefusedInputTests: XCTestCase {
  func testALineWithANulIsRefusedAndNotPassedOnOrEchoed() async throws {
    try await withChatServer { server in
      let (a, b) = try twoMembers(of: "#c", server)
      a.sendRaw(Array("PRIVMSG #c :a".utf8) + [0] + Array("b\r\n".utf8))
      let refused = try a.expect("400")
      XCTAssertEqual(refused.params.dropFirst().first, "PRIVMSG")
      XCTAssertFalse(refused.description.utf8.contains(0))
      a.sendRaw(Array("NICK x".utf8) + [0] + Array("y\r\n".utf8))
      XCTAssertEqual(try a.expect("400").params.dropFirst().first, "NICK")
      // Nothing reached bob; the next clean line does.
      a.send("PRIVMSG #c :clean")
      let next = try b.expect("PRIVMSG")
      XCTAssertEqual(next.params, ["#c", "clean"])
    }
  }

  func testARepeatedTargetGetsOneCopy() async throws {
    try await withChatServer { server in
      let (a, b) = try twoMembers(of: "#c", server)
      a.send("PRIVMSG #c,#C,#c,#c :once")
      a.send("PRIVMSG bob,BOB :to you once")
      a.send("PRIVMSG #c :end")
      XCTAssertEqual(try b.expect("PRIVMSG").params, ["#c", "once"])
      XCTAssertEqual(try b.expect("PRIVMSG").params, ["bob", "to you once"])
      XCTAssertEqual(try b.expect("PRIVMSG").params, ["#c", "end"])
    }
  }
}

/// What a client that quits leaves behind, as soon as it sees its connection close.
final class QuitTests: XCTestCase {
  func testAQuitterSNickIsFreeAndInWhowasOnceItsConnectionCloses() async throws {
    try await withChatServer { server in
      let watcher = try IRCTestClient(port: server.ircPort)
      try watcher.register("watcher")
      for round in 0..<20 {
        let q = try IRCTestClient(port: server.ircPort)
        try q.register("again")
        q.send("QUIT :round \(round)")
        try q.expectClosed()
        watcher.send("WHOWAS again 1")
        XCTAssertEqual(try watcher.expect("314").params.dropFirst().first, "again", "round \(round)")
        try watcher.expect("369")
        // Reconnecting at once with the same nick works.
        let next = try IRCTestClient(port: server.ircPort)
        try next.register("again")
        next.send("QUIT")
        try next.expectClosed()
      }
    }
  }
}

/// LUSERS counts what the clients are now: registered, invisible, operators, unknown.
final class LusersTests: XCTestCase {
  func testLusersFollowsModesRegistrationsAndQuits() async throws {
    var config = testConfig()
    config.operators = ["root": "pw"]
    try await withChatServer(config) { server in
      func lusers(_ c: IRCTestClient) throws -> (users: String, opers: String, unknown: String, me: String) {
        c.drain()  // the registration's own LUSERS
        c.send("LUSERS")
        let users = try c.expect("251").params.last ?? ""
        let opers = try c.expect("252").params.dropFirst().first ?? ""
        let unknown = try c.expect("253").params.dropFirst().first ?? ""
        _ = try c.expect("254")
        let me = try c.expect("255").params.last ?? ""
        return (users, opers, unknown, me)
      }
      let a = try IRCTestClient(port: server.ircPort)
      let b = try IRCTestClient(port: server.ircPort)
      let pending = try IRCTestClient(port: server.ircPort)
      pending.send("NICK halfway")
      try a.register("alice")
      try b.register("bob")
      a.send("MODE alice +i")
      try a.expect("MODE")
      b.send("OPER root pw")
      try b.expect("381")
      var now = try lusers(a)
      XCTAssertEqual(now.users, "There are 1 users and 1 invisible on 1 servers")
      XCTAssertEqual(now.opers, "1")
      XCTAssertEqual(now.unknown, "1")
      XCTAssertEqual(now.me, "I have 2 clients and 0 servers")
      b.send("QUIT")
      try b.expectClosed()
      // Counted out before bob could see the close: at once, not eventually.
      XCTAssertEqual(try lusers(a).me, "I have 1 clients and 0 servers")
      a.send("MODE alice -i")
      try a.expect("MODE")
      now = try lusers(a)
      XCTAssertEqual(now.users, "There are 1 users and 0 invisible on 1 servers")
      XCTAssertEqual(now.opers, "0")
    }
  }
}
