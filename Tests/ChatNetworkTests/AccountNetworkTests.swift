// Accounts and registered channels across a chatd network (two real chatd processes, a
// real redis-server): an account registered on one node logs in on the other, the
// account travels with its user (WHOIS, account-tag), and a channel registered on one
// node is registered for the whole network — even once its room has moved to the other
// node — and `chatd account` finds the accounts in the network's Redis.
import Foundation
import IRCTestSupport
import OtterTestSupport
import XCTest

final class AccountNetworkTests: XCTestCase {
  func testAccountsAndRegisteredChannelsAreNetworkWide() throws {
    let net = try startNetwork(nodes: 2)
    let alice = try net[0].connect()
    try alice.registerAccount("alice", password: "alice-password")

    // The account logs in on the other node (SASL), and the first node sees it.
    let roamer = try net[1].connect()
    XCTAssertEqual(try roamer.saslPlain("alice", "alice-password").command, "903")
    try roamer.finishRegistration("roamer")
    let wrong = try net[1].connect()
    XCTAssertEqual(try wrong.saslPlain("alice", "not-the-password").command, "904")
    try poll("n1 to see roamer's account") {
      alice.send("WHOIS roamer")
      try alice.expect("318")
      let seen = alice.backlog.contains { $0.command == "330" && $0.params[2] == "alice" }
      alice.drain()
      return seen
    }

    // A channel registered on n1, +R: a guest on n2 is refused, the founder's account
    // on n2 gets op; messages carry the account tag across.
    try alice.join("#net")
    alice.send("PRIVMSG ChanServ :REGISTER #net")
    try alice.expectNotice(from: "ChanServ", containing: "registered to alice")
    alice.send("MODE #net +R")
    try alice.expect("MODE", containing: "+R")
    let guest = try IRCTestClient.registered("guest", on: net[1])
    guest.send("JOIN #net")
    try guest.expect("477")
    let tagged = try IRCTestClient.registered("tagged", on: net[0], caps: ["account-tag"])
    tagged.send("PRIVMSG NickServ :IDENTIFY alice alice-password")
    try tagged.expect("900")
    try tagged.join("#net")
    roamer.send("JOIN #net")
    let op = try alice.expect("MODE") { $0.command == "MODE" && $0.params.last == "roamer" }
    XCTAssertEqual(op.params, ["#net", "+o", "roamer"])
    roamer.send("PRIVMSG #net :from the other node")
    XCTAssertEqual(try tagged.expect("PRIVMSG", containing: "from the other node").tag("account"), .some("alice"))

    // Everyone leaves: the room ends on n1. A JOIN on n2 starts it there, from the
    // registration in Redis: still +R, still the founder's.
    for client in [alice, tagged, roamer] { client.send("PART #net") }
    try roamer.expect("PART")
    try poll("the channel to end") {
      guest.send("LIST #net")
      try guest.expect("323")
      let listed = guest.backlog.contains { $0.command == "322" }
      guest.drain()
      return !listed
    }
    guest.send("JOIN #net")
    try guest.expect("477")
    try roamer.join("#net")
    roamer.send("PRIVMSG ChanServ :INFO #net")
    try roamer.expectNotice(from: "ChanServ", containing: "#net is registered to alice")

    // `chatd account` reads the network's Redis.
    let info = Process()
    info.executableURL = URL(fileURLWithPath: try builtExecutable("chatd"))
    info.arguments = ["account", "info", "alice", "--cluster", net.redis.url]
    let out = Pipe()
    info.standardOutput = out
    info.standardError = out
    try withNoSignalsBlocked { try info.run() }
    let text = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    info.waitUntilExit()
    XCTAssertEqual(info.terminationStatus, 0, text)
    XCTAssertTrue(text.contains("channels: #net"), text)
  }
}
