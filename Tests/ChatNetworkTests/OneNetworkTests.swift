// One network as a user sees it, across two chatd nodes (real OS processes, real Redis):
// nicks unique network-wide, messages to nicks and channels whatever node the other
// side is on, every channel message to every member once and in one order for all,
// queries (WHO, WHOIS, NAMES, LIST, ISON, MONITOR, LUSERS) that see both nodes, and
// channel modes, KICK and INVITE by members of either node.
import IRCTestSupport
import OtterTestSupport
import XCTest

final class OneNetworkTests: XCTestCase {
  func testNicksMessagesAndQueriesSpanBothNodes() throws {
    let net = try startNetwork(nodes: 2)
    let caps = ["message-tags", "away-notify", "multi-prefix"]
    let alice = try IRCTestClient.registered("alice", on: net[0], caps: caps)
    let bob = try IRCTestClient.registered("bob", on: net[1], caps: caps)

    // A nick held on one node is taken on the other; free again once its user quits.
    let carol = try net[1].connect()
    carol.send("NICK alice")
    carol.send("USER carol 0 * :Carol")
    try carol.expect("433", containing: "alice")
    try carol.register("carol")

    // Messages to a nick on the other node: PRIVMSG, NOTICE, TAGMSG with a client tag.
    alice.send("PRIVMSG bob :hello from n1")
    let hello = try bob.expect("PRIVMSG", containing: "hello from n1")
    XCTAssertEqual(hello.params.first, "bob")
    XCTAssertTrue(hello.source?.hasPrefix("alice!") ?? false, "\(hello)")
    bob.send("NOTICE alice :a notice from n2")
    try alice.expect("NOTICE", containing: "a notice from n2")
    bob.send("@+typing=active TAGMSG alice")
    let typing = try alice.expect("TAGMSG") { $0.command == "TAGMSG" }
    XCTAssertEqual(typing.tags.first { $0.key == "+typing" }?.value, "active", "\(typing)")

    // Queries: ISON, WHOIS, WHO see the user of the other node.
    XCTAssertEqual(try alice.ison(["bob", "carol", "nobody"]), ["bob", "carol"])
    alice.send("WHOIS bob")
    let whois = try alice.expect("311", containing: "bob")
    XCTAssertEqual(whois.params[2], "bob", "user: \(whois)")
    let whoisServer = try alice.expect("312", containing: "bob")
    XCTAssertEqual(whoisServer.params[2], "n2.chatd.local", "WHOIS names the node bob is on: \(whoisServer)")
    try alice.expect("318", containing: "bob")
    alice.send("WHO bob")
    let who = try alice.expect("352", containing: "bob")
    XCTAssertEqual(who.params[4], "n2.chatd.local", "WHO names the node bob is on: \(who)")
    try alice.expect("315")

    // A channel with a member on each node: NAMES and LIST see both.
    try alice.join("#lobby")
    try bob.join("#lobby")
    try alice.expect("JOIN", containing: "#lobby")
    for client in [alice, bob] {
      client.send("NAMES #lobby")
      let names = try client.expect("353", containing: "#lobby")
      XCTAssertEqual(names.names, ["@alice", "bob"], "\(names)")
      try client.expect("366")
      client.send("LIST")
      let row = try client.expect("322", containing: "#lobby")
      XCTAssertEqual(row.params[2], "2", "members, as LIST counts them: \(row)")
      try client.expect("323")
    }

    // AWAY, told to the other node's members with away-notify; seen by WHOIS and on a
    // message to the away user.
    bob.send("AWAY :out for lunch")
    try bob.expect("306")
    try alice.expect("AWAY", containing: "out for lunch")
    alice.send("PRIVMSG bob :are you there?")
    try alice.expect("301", containing: "out for lunch")

    // NICK on n2: seen on n1 by a neighbour, who can write to the new nick at once; the
    // old one is free network-wide.
    bob.send("NICK robert")
    try alice.expect("NICK") { $0.command == "NICK" && $0.params.first == "robert" }
    alice.send("PRIVMSG robert :new name?")
    try bob.expect("PRIVMSG", containing: "new name?")
    XCTAssertEqual(try alice.ison(["bob", "robert"]), ["robert"])
    bob.send("NICK bob")
    try alice.expect("NICK") { $0.command == "NICK" && $0.params.first == "bob" }

    // MONITOR across nodes: online and offline as users of the other node come and go.
    alice.send("MONITOR + dave")
    try alice.expect("731", containing: "dave")
    let dave = try IRCTestClient.registered("dave", on: net[1])
    try alice.expect("730", containing: "dave")
    dave.send("QUIT :bye")
    try alice.expect("731", containing: "dave")

    // LUSERS counts the users of both nodes.
    alice.drain()
    alice.send("LUSERS")
    let lusers = try alice.expect("251")
    XCTAssertTrue(lusers.params.last?.contains("There are 3 users and 0 invisible on 2 servers") ?? false, "\(lusers)")
    let global = try alice.expect("266")
    XCTAssertEqual(global.params[1], "3", "global users: \(global)")

    // alice quits: her nick is free on the other node (at once: her node said so).
    alice.send("QUIT :done")
    try bob.expect("QUIT") { $0.command == "QUIT" && $0.source?.hasPrefix("alice!") == true }
    carol.send("NICK alice")
    try carol.expect("NICK") { $0.command == "NICK" && $0.params.first == "alice" }
  }

  /// Two senders on different nodes send interleaved bursts; all four members (two on
  /// each node, the senders included through echo-message) see every message once and
  /// the same sequence.
  func testChannelMessagesReachEveryMemberOnceInOneOrder() throws {
    let net = try startNetwork(nodes: 2)
    let caps = ["echo-message"]
    let a1 = try IRCTestClient.registered("a1", on: net[0], caps: caps)
    let a2 = try IRCTestClient.registered("a2", on: net[0], caps: caps)
    let b1 = try IRCTestClient.registered("b1", on: net[1], caps: caps)
    let b2 = try IRCTestClient.registered("b2", on: net[1], caps: caps)
    let members = [a1, a2, b1, b2]
    for m in members { try m.join("#order") }
    for m in members { m.drain() }

    let rounds = 5
    let burst = 10
    for round in 0..<rounds {
      for i in 0..<burst {
        a1.send("PRIVMSG #order :a1 \(round).\(i)")
        b1.send("PRIVMSG #order :b1 \(round).\(i)")
      }
    }
    let total = 2 * rounds * burst
    var sequences: [[String]] = []
    for m in members { sequences.append(try m.texts(total, to: "#order")) }
    let expected = Set((0..<rounds).flatMap { r in (0..<burst).flatMap { i in ["a1 \(r).\(i)", "b1 \(r).\(i)"] } })
    for (m, seen) in zip(members, sequences) {
      XCTAssertEqual(Set(seen), expected, "\(m.nick) saw every message")
      XCTAssertEqual(seen.count, total, "\(m.nick) saw each once")
      XCTAssertTrue(m.never(within: 0.2) { $0.command == "PRIVMSG" }, "\(m.nick) saw no extra copy")
    }
    for (m, seen) in zip(members, sequences).dropFirst() {
      XCTAssertEqual(seen, sequences[0], "\(m.nick) saw the order a1 saw")
    }
    // Both senders' messages interleave somewhere (else the order was never in question).
    let firstB = sequences[0].firstIndex { $0.hasPrefix("b1") } ?? total
    let lastA = sequences[0].lastIndex { $0.hasPrefix("a1") } ?? 0
    XCTAssertLessThan(firstB, lastA, "the bursts interleaved: \(sequences[0])")
  }

  /// Modes set by an op on either node bind members of both; KICK and INVITE cross.
  func testModesKickAndInviteAcrossNodes() throws {
    let net = try startNetwork(nodes: 2)
    let caps = ["multi-prefix"]
    let op = try IRCTestClient.registered("op", on: net[0], caps: caps)
    try op.join("#mod")
    let remote = try IRCTestClient.registered("remote", on: net[1], caps: caps)
    try remote.join("#mod")
    try op.expect("JOIN") { $0.command == "JOIN" && $0.source?.hasPrefix("remote!") == true }

    // TOPIC from n1, read on n2.
    op.send("TOPIC #mod :the one topic")
    try remote.expect("TOPIC", containing: "the one topic")
    remote.send("TOPIC #mod")
    try remote.expect("332", containing: "the one topic")

    // +o for the member on n2, who then sets +m: both nodes see it.
    op.send("MODE #mod +o remote")
    try remote.expect("MODE", containing: "+o")
    remote.send("MODE #mod +m")
    try op.expect("MODE", containing: "+m")
    try remote.expect("MODE", containing: "+m")

    // +m: a member of n1 without voice cannot speak; voiced by the op on n2, it can.
    let quiet = try IRCTestClient.registered("quiet", on: net[0])
    try quiet.join("#mod")
    quiet.send("PRIVMSG #mod :may I?")
    try quiet.expect("404", containing: "#mod")
    remote.send("MODE #mod +v quiet")
    try quiet.expect("MODE", containing: "+v")
    quiet.send("PRIVMSG #mod :now I may")
    try remote.expect("PRIVMSG", containing: "now I may")

    // +b by the op on n2 keeps a user of n2 out; +k and +l set on n1 bind joins on n2.
    remote.send("MODE #mod +b banned!*@*")
    try op.expect("MODE", containing: "+b")
    let banned = try IRCTestClient.registered("banned", on: net[1])
    banned.send("JOIN #mod")
    try banned.expect("474", containing: "#mod")
    op.send("MODE #mod +k sesame")
    try remote.expect("MODE", containing: "+k")
    let keyed = try IRCTestClient.registered("keyed", on: net[1])
    keyed.send("JOIN #mod")
    try keyed.expect("475", containing: "#mod")
    keyed.send("JOIN #mod sesame")
    try keyed.expect("366", containing: "#mod")
    op.send("MODE #mod +l 4")
    try remote.expect("MODE", containing: "+l")
    let late = try IRCTestClient.registered("late", on: net[1])
    late.send("JOIN #mod sesame")
    try late.expect("471", containing: "#mod")

    // KICK by the op on n2 of a member on n1: everyone sees it, the channel loses it.
    remote.send("KICK #mod quiet :out")
    for c in [op, quiet, keyed] { try c.expect("KICK", containing: "quiet") }
    op.send("NAMES #mod")
    let names = try op.expect("353", containing: "#mod")
    XCTAssertEqual(names.names, ["@op", "@remote", "keyed"], "\(names)")

    // +i: a user of n2 is kept out until invited by the op on n1.
    op.send("MODE #mod -l")
    op.send("MODE #mod +i")
    try remote.expect("MODE", containing: "+i")
    late.send("JOIN #mod sesame")
    try late.expect("473", containing: "#mod")
    op.send("INVITE late #mod")
    try op.expect("341", containing: "late")
    try late.expect("INVITE", containing: "#mod")
    late.send("JOIN #mod sesame")
    try late.expect("366", containing: "#mod")
    try remote.expect("JOIN") { $0.command == "JOIN" && $0.source?.hasPrefix("late!") == true }
  }
}
