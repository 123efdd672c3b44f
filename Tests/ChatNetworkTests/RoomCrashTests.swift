// A room killed on its home node (through the node's control endpoint, as an operator
// would): the room supervisor restarts it there, and it stays the channel's one room —
// the other node, which keeps a copy of the channel, does not start a second one.
import Control
import Foundation
import IRCTestSupport
import OtterTestSupport
import XCTest

final class RoomCrashTests: XCTestCase {
  func testARoomKilledOnItsHomeNodeStaysTheChannelsOneRoom() throws {
    let net = try startNetwork(nodes: 2, options: ChatdNode.Options(metrics: true))
    let a = try IRCTestClient.registered("a", on: net[0])
    try a.join("#crash")
    let b = try IRCTestClient.registered("b", on: net[1])
    try b.join("#crash")
    try a.expect("JOIN") { $0.command == "JOIN" && $0.source?.hasPrefix("b!") == true }

    let control = try ControlClient(path: net[0].directory + "/data/control.sock")
    let room = try control.snapshot(tree: nil, sockets: false).processes?.first { $0.row.name == "room:#crash" }
    let pid = try XCTUnwrap(room?.row.pid, "the room of #crash on n1")
    try control.kill(pid)

    // The member on the other node speaks first, then the one on the home node.
    b.send("PRIVMSG #crash :from n2 after the crash")
    try a.expect("PRIVMSG", containing: "from n2 after the crash", within: 10)
    a.send("PRIVMSG #crash :from n1 after the crash")
    try b.expect("PRIVMSG", containing: "from n1 after the crash")
    XCTAssertTrue(b.never(within: 0.3) { $0.command == "PRIVMSG" }, "b got one copy")

    // One room, on n1: n2 still keeps a copy, and follows a change made on n1.
    XCTAssertEqual(try net[0].settledFigures().channelCopies, 0, "n1 is the channel's home")
    XCTAssertEqual(try net[1].settledFigures().channelCopies, 1, "n2 keeps a copy")
    a.send("TOPIC #crash :after the crash")
    try b.expect("TOPIC", containing: "after the crash")
    let restarted = try control.snapshot(tree: nil, sockets: false).processes?.filter { $0.row.name == "room:#crash" } ?? []
    XCTAssertEqual(restarted.count, 1)
    XCTAssertNotEqual(restarted.first?.row.pid, pid, "the room was restarted")
  }
}
