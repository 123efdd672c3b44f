// draft/read-marker and soju.im/search in a chatd network (two real chatd processes, a
// real redis-server): a marker set through one node reaches the account's connection
// on the other and is shown on a JOIN there (the markers live in Redis); SEARCH on
// either node finds a channel's messages in the network's history (a bounded scan of
// the channel's stream).
import Foundation
import IRCTestSupport
import OtterTestSupport
import XCTest

final class ReadMarkerSearchNetworkTests: XCTestCase {
  func testMarkersAndSearchAcrossNodes() throws {
    let net = try startNetwork(nodes: 2)
    let desk = try net[0].connect()
    try desk.registerAccount("alice", password: "alice-password", caps: ["draft/read-marker", "soju.im/search", "batch", "server-time"])
    let phone = try net[1].connect()
    phone.send("CAP LS 302")
    phone.send("CAP REQ :sasl draft/read-marker soju.im/search batch server-time")
    try phone.expect("CAP", containing: "ACK")
    XCTAssertEqual(try phone.saslPlain("alice", "alice-password", negotiate: false).command, "903")
    try phone.finishRegistration("alicephone")
    try poll("n1 to know alicephone") { try desk.ison(["alicephone"]) == ["alicephone"] }

    // The marker set on n1 reaches the connection on n2.
    desk.send("MARKREAD #net timestamp=2026-01-02T03:04:05.678Z")
    XCTAssertEqual(try desk.expect("MARKREAD").params, ["#net", "timestamp=2026-01-02T03:04:05.678Z"])
    XCTAssertEqual(try phone.expect("MARKREAD").params, ["#net", "timestamp=2026-01-02T03:04:05.678Z"])
    // ... and is what n2 shows after a JOIN, before the 366.
    phone.send("JOIN #net")
    let shown = try phone.expect("MARKREAD or 366") { $0.command == "MARKREAD" || $0.command == "366" }
    XCTAssertEqual(shown.params, ["#net", "timestamp=2026-01-02T03:04:05.678Z"])
    // Moved on n2, seen on n1.
    phone.send("MARKREAD #net timestamp=2026-02-02T03:04:05.678Z")
    XCTAssertEqual(try desk.expect("MARKREAD").params, ["#net", "timestamp=2026-02-02T03:04:05.678Z"])

    // Messages on n1's side of the channel, searched from n2 (and from n1).
    let bob = try IRCTestClient.registered("bob", on: net[0])
    try bob.join("#net")
    for text in ["the network is fast", "nothing here", "faster still"] { bob.send("PRIVMSG #net :\(text)") }
    try phone.expect("PRIVMSG", containing: "faster still")
    // desk joins on n1 a channel whose room is on n2: the marker crosses with the join.
    desk.send("JOIN #net")
    let crossed = try desk.expect("MARKREAD or 366") { $0.command == "MARKREAD" || $0.command == "366" }
    XCTAssertEqual(crossed.params, ["#net", "timestamp=2026-02-02T03:04:05.678Z"])
    try desk.expect("366")
    for client in [phone, desk] {
      try poll("the messages to be searchable") {
        client.send("SEARCH in=#net;text=fast")
        let open = try client.expect("a search batch") { $0.command == "BATCH" && $0.params.last == "soju.im/search" }
        let id = String(open.params[0].dropFirst())
        var texts: [String] = []
        while true {
          let m = try client.expect("batch line") { $0.params.first == "-" + id || $0.tag("batch") == .some(id) }
          if m.command == "BATCH" { break }
          texts.append(m.params.last!)
        }
        return texts == ["the network is fast", "faster still"]
      }
    }
    // Not a member: refused, as on one node.
    bob.send("CAP REQ soju.im/search")
    try bob.expect("CAP", containing: "ACK")
    bob.send("PART #net")
    try bob.expect("PART")
    // (n1 checks membership on its copy of the channel, which hears of the PART from
    // the room on n2 a moment after bob does.)
    try poll("SEARCH to be refused once bob has left") {
      bob.send("SEARCH in=#net;text=fast")
      let answer = try bob.expect("FAIL or a match") { $0.command == "FAIL" || $0.command == "PRIVMSG" }
      bob.drain()
      if answer.command == "FAIL" { XCTAssertEqual(answer.params.prefix(2), ["SEARCH", "INVALID_PARAMS"]) }
      return answer.command == "FAIL"
    }
  }
}
