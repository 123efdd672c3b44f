// Fan-out once per node, seen in the nodes' own counters (/metrics): a channel line
// crosses to a node once however many members sit there, and a node with no member of
// a channel receives none of its traffic.
import IRCTestSupport
import OtterTestSupport
import XCTest

final class FanoutTests: XCTestCase {
  func testAChannelLineCrossesToEachNodeOnce() throws {
    let net = try startNetwork(nodes: 2, options: ChatdNode.Options(metrics: true))
    // #wide: its home and one member on n1, five members on n2. #local: members on n1 only.
    let solo = try IRCTestClient.registered("solo", on: net[0])
    try solo.join("#wide")
    try solo.join("#local")
    let neighbour = try IRCTestClient.registered("neighbour", on: net[0])
    try neighbour.join("#local")
    var many: [IRCTestClient] = []
    for i in 0..<5 {
      let c = try IRCTestClient.registered("many\(i)", on: net[1])
      try c.join("#wide")
      many.append(c)
    }
    try solo.expect("JOIN") { $0.command == "JOIN" && $0.source?.hasPrefix("many4!") == true }
    let n1Before = try net[0].settledFigures()
    let n2Before = try net[1].settledFigures()

    // From n1 to #wide: each line crosses to n2 once, for its five members.
    let count = 10
    for i in 0..<count { solo.send("PRIVMSG #wide :wide \(i)") }
    for c in many { XCTAssertEqual(try c.texts(count, to: "#wide"), (0..<count).map { "wide \($0)" }) }
    let n1After = try net[0].settledFigures()
    let n2After = try net[1].settledFigures()
    XCTAssertEqual(n1After.sent["lines"]! - n1Before.sent["lines"]!, count, "n1 sent each line to n2 once: \(n1Before) → \(n1After)")
    XCTAssertEqual(
      n2After.received["lines"]! - n2Before.received["lines"]!, count, "n2 received each line once: \(n2Before) → \(n2After)")

    // From a member on n2: the room (on n1) sends its line back to n2 once, for the
    // four other members there.
    many[0].send("PRIVMSG #wide :from n2")
    for c in many.dropFirst() { try c.expect("PRIVMSG", containing: "from n2") }
    try solo.expect("PRIVMSG", containing: "from n2")
    let n2Back = try net[1].settledFigures()
    let n1Back = try net[0].settledFigures()
    XCTAssertEqual(n2Back.received["lines"]! - n2After.received["lines"]!, 1, "\(n2After) → \(n2Back)")

    // #local has no member on n2: none of its traffic reaches n2.
    for i in 0..<count { solo.send("PRIVMSG #local :local \(i)") }
    XCTAssertEqual(try neighbour.texts(count, to: "#local"), (0..<count).map { "local \($0)" })
    XCTAssertEqual(try net[1].settledFigures(), n2Back, "n2 received nothing of #local")
    XCTAssertEqual(try net[0].settledFigures().sent, n1Back.sent, "n1 sent nothing of #local")
  }

  /// The relay's workers keep, per list of recipients, what they looked up (the clients,
  /// their sockets by the variant of line they take): what they keep follows the
  /// members' capabilities and departures, and a sender without echo-message is left
  /// out of its own line.
  func testTheRelaysKeptListsFollowCapabilitiesDeparturesAndEcho() throws {
    let net = try startNetwork(nodes: 2)
    let home = try IRCTestClient.registered("home", on: net[0])
    try home.join("#kept")
    var members: [IRCTestClient] = []
    for i in 0..<6 {
      let c = try IRCTestClient.registered("kept\(i)", on: net[1])
      try c.join("#kept")
      members.append(c)
    }
    try home.expect("JOIN") { $0.command == "JOIN" && $0.source?.hasPrefix("kept5!") == true }
    home.send("PRIVMSG #kept :first")
    for c in members { try c.expect("PRIVMSG", containing: "first") }

    // A member asks for server-time after its list was made: its next line carries it.
    members[1].send("CAP REQ :server-time")
    try members[1].expect("CAP", containing: "ACK")
    home.send("PRIVMSG #kept :timed")
    let timed = try members[1].expect("PRIVMSG", containing: "timed")
    XCTAssertNotNil(timed.tags.first { $0.key == "time" }, "a member that took server-time gets it: \(timed)")
    for c in members where c !== members[1] {
      XCTAssertNil(try c.expect("PRIVMSG", containing: "timed").tags.first { $0.key == "time" })
    }

    // A member on n2 without echo-message: the other five get its line, it does not.
    members[0].send("PRIVMSG #kept :no echo")
    for c in members.dropFirst() { try c.expect("PRIVMSG", containing: "no echo") }
    try home.expect("PRIVMSG", containing: "no echo")
    XCTAssertTrue(members[0].never(within: 0.5) { $0.command == "PRIVMSG" && $0.params.last == "no echo" })

    // Members leave (one quits, one parts) and a newcomer joins on n2: every line reaches
    // exactly those in the channel now.
    members[2].send("QUIT :bye")
    try home.expect("QUIT") { $0.command == "QUIT" && $0.source?.hasPrefix("kept2!") == true }
    members[3].send("PART #kept")
    try home.expect("PART") { $0.command == "PART" && $0.source?.hasPrefix("kept3!") == true }
    let late = try IRCTestClient.registered("late", on: net[1])
    try late.join("#kept")
    try home.expect("JOIN") { $0.command == "JOIN" && $0.source?.hasPrefix("late!") == true }
    for i in 0..<5 { home.send("PRIVMSG #kept :after \(i)") }
    for c in [members[0], members[1], members[4], members[5], late] {
      var texts: [String] = []
      while texts.count < 5 {
        // (The newcomer was also sent the channel's recent history as it joined.)
        let m = try c.expect("PRIVMSG") { $0.command == "PRIVMSG" && $0.params.last?.contains("after") == true }
        texts.append(m.params.last ?? "")
      }
      XCTAssertEqual(texts, (0..<5).map { "after \($0)" })
      XCTAssertTrue(c.never(within: 0.2) { $0.command == "PRIVMSG" && $0.params.last?.hasPrefix("after") == true }, "once each")
    }
    XCTAssertTrue(members[3].never(within: 0.5) { $0.command == "PRIVMSG" && $0.params.last?.hasPrefix("after") == true })
  }
}
