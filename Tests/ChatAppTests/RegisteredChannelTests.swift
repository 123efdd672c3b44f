// Registered channels against a real chatd: ChanServ REGISTER and its refusals, op on
// joining for the founder's account and its access list only, +R and +M refusals, and
// the channel — topic, modes, bans, access list — outliving an empty channel and a real
// restart of chatd on the same data directory.
import IRCTestSupport
import OtterTestSupport
import XCTest

@testable import ChatApp

final class RegisteredChannelTests: XCTestCase {
  func testRegisterAccessAndRegisteredOnlyModes() async throws {
    try await withChatServer { server in
      let alice = try IRCTestClient(port: server.ircPort)
      try alice.registerAccount("alice", password: "alice-password")
      try alice.join("#club")
      let carol = try IRCTestClient(port: server.ircPort)
      try carol.registerAccount("carol", password: "carol-password")
      try carol.join("#club")
      let bob = try IRCTestClient(port: server.ircPort)
      try bob.register("bob")
      try bob.join("#club")

      // Refusals: not logged in, not an op, no such channel.
      try bob.join("#bobs")
      bob.send("PRIVMSG ChanServ :REGISTER #bobs")
      try bob.expectNotice(from: "ChanServ", containing: "Log in to an account first")
      carol.send("PRIVMSG ChanServ :REGISTER #club")
      try carol.expectNotice(from: "ChanServ", containing: "You must be an operator of #club")
      carol.send("PRIVMSG ChanServ :REGISTER #nowhere")
      try carol.expectNotice(from: "ChanServ", containing: "#nowhere does not exist")

      alice.send("PRIVMSG ChanServ :REGISTER #club")
      try alice.expectNotice(from: "ChanServ", containing: "#club is registered to alice")
      alice.send("CS REGISTER #club")
      try alice.expectNotice(from: "ChanServ", containing: "#club is already registered")
      carol.send("PRIVMSG ChanServ :INFO #club")
      try carol.expectNotice(from: "ChanServ", containing: "#club is registered to alice since")

      // The access list is the founder's to change; an account added gets op at once.
      carol.send("PRIVMSG ChanServ :ACCESS #club ADD carol")
      try carol.expectNotice(from: "ChanServ", containing: "Only the founder of #club (alice)")
      alice.send("PRIVMSG ChanServ :ACCESS #club ADD carol")
      let op = try bob.expect("MODE") { $0.command == "MODE" && $0.params.last == "carol" }
      XCTAssertEqual(op.params, ["#club", "+o", "carol"])
      XCTAssertTrue(op.source!.hasPrefix("ChanServ!"))
      alice.send("PRIVMSG ChanServ :ACCESS #club DEL nobody")
      try alice.expectNotice(from: "ChanServ", containing: "nobody is not on the access list of #club")
      alice.send("PRIVMSG ChanServ :ACCESS #club LIST")
      try alice.expectNotice(from: "ChanServ", containing: "alice (founder), carol")

      // +M: only accounts (and op/voice) speak; +R: only accounts join.
      alice.send("MODE #club +MR")
      try bob.expect("MODE", containing: "+MR")
      bob.send("PRIVMSG #club :can anyone hear me")
      let mute = try bob.expect("404")
      XCTAssertEqual(mute.params.last, "Cannot send to channel (+M): log in to an account to speak here")
      let dave = try IRCTestClient(port: server.ircPort)
      try dave.registerAccount("dave", password: "dave-password")
      try dave.join("#club")
      dave.send("PRIVMSG #club :an account speaks")
      try bob.expect("PRIVMSG", containing: "an account speaks")
      let eve = try IRCTestClient(port: server.ircPort)
      try eve.register("eve")
      eve.send("JOIN #club")
      let closed = try eve.expect("477")
      XCTAssertEqual(closed.params[1], "#club")
      XCTAssertTrue(closed.params.last!.hasPrefix("Cannot join channel (+R)"), closed.params.last!)

      // Rejoining: the founder gets op back from ChanServ; someone without an account,
      // first into the empty channel, gets nothing.
      for client in [alice, carol, bob, dave] { client.send("PART #club") }
      alice.send("PRIVMSG NickServ :LOGOUT")
      try alice.expect("901")
      alice.send("JOIN #club")
      try alice.expect("477")
      alice.send("PRIVMSG NickServ :IDENTIFY alice-password")
      try alice.expect("900")
      try alice.join("#club")
      alice.send("NAMES #club")
      XCTAssertEqual(try alice.expect("353").params.last, "@alice")

      carol.send("PRIVMSG ChanServ :DROP #club")
      try carol.expectNotice(from: "ChanServ", containing: "Only the founder of #club")
      alice.send("PRIVMSG ChanServ :DROP #club")
      try alice.expectNotice(from: "ChanServ", containing: "#club is no longer registered")
      alice.send("PRIVMSG ChanServ :INFO #club")
      try alice.expectNotice(from: "ChanServ", containing: "#club is not registered")
    }
  }

  func testARegisteredChannelOutlivesARestart() async throws {
    let dir = temporaryDirectory("registered")
    defer { removeDirectory(dir) }
    try await withChatServer(testConfig(dataDirectory: dir)) { server in
      let alice = try IRCTestClient(port: server.ircPort)
      try alice.registerAccount("alice", password: "alice-password")
      let dave = try IRCTestClient(port: server.ircPort)
      try dave.registerAccount("dave", password: "dave-password")
      dave.send("QUIT")
      try alice.join("#Keep")
      alice.send("TOPIC #Keep :registered, so kept")
      alice.send("MODE #Keep +Ml 10")
      alice.send("MODE #Keep +b *!*@banned.example")
      try alice.expect("MODE", containing: "*!*@banned.example")
      alice.send("PRIVMSG ChanServ :REGISTER #Keep")
      try alice.expectNotice(from: "ChanServ", containing: "registered to alice")
      alice.send("PRIVMSG ChanServ :ACCESS #Keep ADD dave")
      try alice.expectNotice(from: "ChanServ", containing: "dave added")
      // Everyone leaves: an ordinary channel would end here, a registered one does not.
      alice.send("PART #Keep")
      try alice.expect("PART")
    }

    try await withChatServer(testConfig(dataDirectory: dir)) { server in
      // First in, with the founder's nick but not its account: nothing.
      let impostor = try IRCTestClient(port: server.ircPort)
      try impostor.register("alice")
      impostor.send("JOIN #keep")
      XCTAssertEqual(try impostor.expect("JOIN").params.first, "#Keep")
      XCTAssertEqual(try impostor.expect("332").params.last, "registered, so kept")
      XCTAssertEqual(try impostor.expect("353").params.last, "alice")
      impostor.send("MODE #keep")
      XCTAssertEqual(try impostor.expect("324").params.dropFirst(2), ["+lntM", "10"])
      impostor.send("MODE #keep b")
      XCTAssertEqual(try impostor.expect("367").params[2], "*!*@banned.example")
      impostor.send("PRIVMSG #keep :hello?")
      try impostor.expect("404")

      // The founder's account, under another nick: op, from ChanServ.
      let founder = try IRCTestClient(port: server.ircPort)
      XCTAssertEqual(try founder.saslPlain("alice", "alice-password").command, "903")
      try founder.finishRegistration("alice_")
      founder.send("JOIN #keep")
      let op = try impostor.expect("MODE") { $0.command == "MODE" && $0.params.last == "alice_" }
      XCTAssertEqual(op.params, ["#Keep", "+o", "alice_"])
      // The access list came back too.
      let dave = try IRCTestClient(port: server.ircPort)
      XCTAssertEqual(try dave.saslPlain("dave", "dave-password").command, "903")
      try dave.finishRegistration("dave")
      dave.send("JOIN #keep")
      XCTAssertEqual(try impostor.expect("MODE") { $0.command == "MODE" && $0.params.last == "dave" }.params, ["#Keep", "+o", "dave"])
      founder.send("PRIVMSG ChanServ :INFO #keep")
      try founder.expectNotice(from: "ChanServ", containing: "#Keep is registered to alice since")
    }
  }
}
