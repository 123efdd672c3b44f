// A node's failures, made with signals on real chatd processes: `kill -9` (its users
// quit for everyone else within 3 s, netsplit style; their nicks are free again within
// 3 s; a channel whose room lived there keeps its topic, modes and surviving members and
// works again), and a partition (SIGSTOP past the node's lease, then SIGCONT: the node
// does not come back with stale nicks or members; its clients are told to reconnect,
// and can, to it or to another node). The times measured are printed.
import Foundation
import IRCTestSupport
import OtterTestSupport
import XCTest

final class NodeFailureTests: XCTestCase {
  func testAKilledNodesUsersQuitTheirNicksFreeAndItsChannelsLiveOn() throws {
    let net = try startNetwork(nodes: 2)
    // #keep is homed on n1 (its first member is there), with two members on n2, one an op.
    let doomed = try IRCTestClient.registered("doomed", on: net[0])
    try doomed.join("#keep")
    doomed.send("TOPIC #keep :kept through a crash")
    doomed.send("MODE #keep +k sesame")
    try doomed.expect("MODE", containing: "+k")
    let b1 = try IRCTestClient.registered("b1", on: net[1])
    let b2 = try IRCTestClient.registered("b2", on: net[1])
    for b in [b1, b2] {
      b.send("JOIN #keep sesame")
      try b.expect("366", containing: "#keep")
    }
    doomed.send("MODE #keep +o b1")
    try b2.expect("MODE", containing: "+o")
    // #there is homed on n2, with doomed in it: its room survives, doomed leaves it.
    try b2.join("#there")
    try doomed.join("#there")
    try b2.expect("JOIN") { $0.command == "JOIN" && $0.source?.hasPrefix("doomed!") == true }
    b1.drain()
    b2.drain()

    let killed = Date()
    net[0].kill()
    // Everyone on n2 sees doomed quit, once each, though b2 shared two channels with it.
    var quitTimes: [Double] = []
    for b in [b1, b2] {
      try b.expect("QUIT of doomed", within: 3) { $0.command == "QUIT" && $0.source?.hasPrefix("doomed!") == true }
      quitTimes.append(Date().timeIntervalSince(killed))
    }
    XCTAssertTrue(b2.never(within: 0.3) { $0.command == "QUIT" }, "b2 is told once")

    // Its nick is free again (for a user of n2, the node that stayed).
    let heir = try net[1].connect()
    heir.send("USER heir 0 * :Heir")
    var nickTaken: Double = 0
    try poll("doomed's nick to be free", timeout: 3, every: 0.05) {
      heir.send("NICK doomed")
      let answer = try heir.expect("001 or 433") { $0.command == "001" || $0.command == "433" }
      nickTaken = Date().timeIntervalSince(killed)
      return answer.command == "001"
    }

    // #keep works again: a message between the survivors gets through; its topic, key
    // and op are as they were, its members the survivors.
    b1.send("PRIVMSG #keep :still here")
    try b2.expect("PRIVMSG", containing: "still here", within: 10)
    let channelBack = Date().timeIntervalSince(killed)
    b2.send("TOPIC #keep")
    try b2.expect("332", containing: "kept through a crash")
    b2.send("MODE #keep")
    let modes = try b2.expect("324", containing: "#keep")
    XCTAssertTrue(modes.params.dropFirst(2).first?.contains("k") ?? false, "the key is kept: \(modes)")
    b2.send("NAMES #keep")
    let names = try b2.expect("353", containing: "#keep")
    XCTAssertEqual(names.names, ["@b1", "b2"], "\(names)")
    // The key still binds: a newcomer without it is refused.
    heir.send("JOIN #keep")
    try heir.expect("475", containing: "#keep")

    // doomed's client reconnects to n2 and takes its place again (with another nick: its
    // own went to heir).
    let back = try IRCTestClient.registered("doomed2", on: net[1])
    back.send("JOIN #keep sesame")
    try back.expect("366", containing: "#keep")
    b1.send("PRIVMSG #keep :welcome back")
    try back.expect("PRIVMSG", containing: "welcome back")

    print(
      String(
        format: "kill -9 of n1: QUIT seen on n2 after %.2f s and %.2f s; its nick free after %.2f s; its channel back after %.2f s",
        quitTimes[0], quitTimes[1], nickTaken, channelBack))
    XCTAssertLessThanOrEqual(nickTaken, 3)
  }

  /// With three nodes, both survivors hold a copy of a channel homed on the one killed,
  /// and both try to start it again: one does, and both keep following it.
  func testAChannelOfAKilledNodeComesBackOnceWhenTwoNodesHadCopies() throws {
    let net = try startNetwork(nodes: 3)
    let x = try IRCTestClient.registered("x", on: net[0])
    try x.join("#tri")
    x.send("TOPIC #tri :three nodes")
    let y = try IRCTestClient.registered("y", on: net[1])
    let z = try IRCTestClient.registered("z", on: net[2])
    try y.join("#tri")
    try z.join("#tri")
    try y.expect("JOIN") { $0.command == "JOIN" && $0.source?.hasPrefix("z!") == true }

    net[0].kill()
    for c in [y, z] { try c.expect("QUIT of x", within: 3) { $0.command == "QUIT" && $0.source?.hasPrefix("x!") == true } }
    y.send("PRIVMSG #tri :from n2")
    try z.expect("PRIVMSG", containing: "from n2", within: 10)
    z.send("PRIVMSG #tri :from n3")
    try y.expect("PRIVMSG", containing: "from n3")

    // Both survivors' own record of the channel (WHO reads it) is the survivors.
    for c in [y, z] {
      c.send("WHO #tri")
      var nicks: Set<String> = []
      while true {
        let m = try c.expect("352 or 315") { $0.command == "352" || $0.command == "315" }
        if m.command == "315" { break }
        nicks.insert(m.params[5])
      }
      XCTAssertEqual(nicks, ["y", "z"], "\(c.nick)'s node's record of #tri")
      c.send("TOPIC #tri")
      try c.expect("332", containing: "three nodes")
    }
    // Both leave: the channel ends, and no node keeps a record of it (LIST reads them).
    z.send("PART #tri")
    try y.expect("PART") { $0.command == "PART" && $0.source?.hasPrefix("z!") == true }
    y.send("PART #tri")
    try y.expect("PART") { $0.command == "PART" && $0.source?.hasPrefix("y!") == true }
    for c in [y, z] {
      try poll("\(c.nick)'s node to forget #tri", timeout: 3, every: 0.1) {
        c.send("LIST")
        var listed = false
        while true {
          let m = try c.expect("322 or 323") { $0.command == "322" || $0.command == "323" }
          if m.command == "323" { break }
          if m.params[1] == "#tri" { listed = true }
        }
        return !listed
      }
    }
  }

  func testAPartitionedNodeComesBackWithoutStaleNicksOrMembers() throws {
    // A frozen node's process is there (its address accepts): only its lease ends its
    // place, so the lease is short here (the default is 10 s).
    var options = ChatdNode.Options()
    options.extraArguments = ["--cluster-lease", "2"]
    let net = try startNetwork(nodes: 2, options: options)
    let a1 = try IRCTestClient.registered("a1", on: net[0])
    let b1 = try IRCTestClient.registered("b1", on: net[1])
    // #ahome is homed on n1, #bhome on n2; both have both users.
    try a1.join("#ahome")
    try b1.join("#ahome")
    try b1.join("#bhome")
    try a1.join("#bhome")
    try b1.expect("JOIN") { $0.command == "JOIN" && $0.source?.hasPrefix("a1!") == true && $0.params.first == "#bhome" }
    b1.drain()

    // Frozen past its lease: n2 sees a1 quit.
    let frozen = Date()
    net[0].pause()
    try b1.expect("QUIT of a1", within: 5) { $0.command == "QUIT" && $0.source?.hasPrefix("a1!") == true }
    let quitSeen = Date().timeIntervalSince(frozen)
    XCTAssertEqual(try b1.ison(["a1"]), [], "a1 is gone for n2")
    // Past the lease (2 s) and the time n2 takes to start #ahome from its copy.
    b1.send("PRIVMSG #ahome :alone on n2")
    usleep(500_000)
    net[0].resume()

    // n1 knows it was cut off: it tells its clients to reconnect.
    try a1.expect("ERROR") { $0.command == "ERROR" }
    try a1.expectClosed()
    let resynced = Date().timeIntervalSince(frozen)

    // n2 kept what it knew: #ahome (op a1 gone) and #bhome (op b1) with b1 alone.
    let b1Prefix = ["#ahome": "b1", "#bhome": "@b1"]
    for (channel, b1Name) in b1Prefix {
      b1.send("NAMES \(channel)")
      let names = try b1.expect("353", containing: channel)
      XCTAssertEqual(names.names, [b1Name], "\(names)")
    }

    // a1 reconnects to n1 (its nick is free), a2 of n1's users to n2; everything works.
    let a1Again = try IRCTestClient.registered("a1", on: net[0])
    let a2 = try IRCTestClient.registered("a2", on: net[1])
    for channel in ["#ahome", "#bhome"] {
      try a1Again.join(channel)
      try a2.join(channel)
      a1Again.send("NAMES \(channel)")
      let names = try a1Again.expect("353", containing: channel)
      XCTAssertEqual(names.names, [b1Prefix[channel]!, "a1", "a2"], "n1's view of \(channel): \(names)")
      b1.send("NAMES \(channel)")
      let fromN2 = try b1.expect("353", containing: channel)
      XCTAssertEqual(fromN2.names, [b1Prefix[channel]!, "a1", "a2"], "n2's view of \(channel): \(fromN2)")
      b1.send("PRIVMSG \(channel) :hello again \(channel)")
      try a1Again.expect("PRIVMSG", containing: "hello again \(channel)")
      try a2.expect("PRIVMSG", containing: "hello again \(channel)")
      a1Again.send("PRIVMSG \(channel) :back on n1 \(channel)")
      try b1.expect("PRIVMSG", containing: "back on n1 \(channel)")
      try a2.expect("PRIVMSG", containing: "back on n1 \(channel)")
    }
    XCTAssertEqual(try a1Again.ison(["a1", "a2", "b1"]), ["a1", "a2", "b1"])
    XCTAssertEqual(try b1.ison(["a1", "a2", "b1"]), ["a1", "a2", "b1"])
    a1Again.send("WHOIS b1")
    try a1Again.expect("311", containing: "b1")
    XCTAssertTrue(b1.never(within: 0.3) { $0.command == "QUIT" || $0.command == "PART" }, "nothing stale reached b1: \(b1.backlog)")
    print(
      String(
        format: "SIGSTOP of n1: a1's QUIT seen on n2 after %.2f s; n1 told its clients to reconnect %.2f s after the freeze", quitSeen,
        resynced))
  }
}
