// Nothing grows: after 200 clients have connected to one node, joined channels homed on
// the other, talked and quit, each node's replicas of remote users, copies of channels
// and channel index are back where they started (read from /metrics:
// chatd_network_remote_users, chatd_network_channel_copies, chatd_channel_memberships).
import Foundation
import IRCTestSupport
import OtterTestSupport
import XCTest

final class ReplicaGrowthTests: XCTestCase {
  func testReplicasAndCopiesReturnToTheirBaselineAfter200Clients() throws {
    let net = try startNetwork(nodes: 2, options: ChatdNode.Options(metrics: true))
    // Four channels homed on n2, each with a member there that stays.
    let channels = (0..<4).map { "#g\($0)" }
    var hosts: [IRCTestClient] = []
    for (i, channel) in channels.enumerated() {
      let host = try IRCTestClient.registered("host\(i)", on: net[1])
      try host.join(channel)
      hosts.append(host)
    }
    let n1Before = try net[0].settledFigures()
    let n2Before = try net[1].settledFigures()

    // 200 clients of n1, 20 at a time: register, join a channel homed on n2, talk, quit.
    let batches = 10
    let perBatch = 20
    for batch in 0..<batches {
      var clients: [IRCTestClient] = []
      for i in 0..<perBatch {
        let c = try net[0].connect()
        c.nick = "u\(batch)x\(i)"
        c.send("NICK \(c.nick)")
        c.send("USER \(c.nick) 0 * :Passer-by")
        clients.append(c)
      }
      for (i, c) in clients.enumerated() {
        try c.expect("end of MOTD") { $0.command == "376" || $0.command == "422" }
        c.send("JOIN \(channels[i % channels.count])")
      }
      for (i, c) in clients.enumerated() {
        try c.expect("366", containing: channels[i % channels.count])
        c.send("PRIVMSG \(channels[i % channels.count]) :hello from \(c.nick)")
        c.send("QUIT :done")
      }
      for c in clients { try c.expectClosed() }
      for host in hosts { host.drain() }
    }

    // Everyone has gone: the counts come back (what is in flight settles first).
    var n1After = n1Before
    var n2After = n2Before
    _ = try? poll("both nodes' replicas, copies and index to return to their baselines", timeout: 10, every: 0.2) {
      n1After = try net[0].figures()
      n2After = try net[1].figures()
      return (n1After.remoteUsers, n1After.channelCopies, n1After.memberships)
        == (n1Before.remoteUsers, n1Before.channelCopies, n1Before.memberships)
        && (n2After.remoteUsers, n2After.channelCopies, n2After.memberships)
          == (n2Before.remoteUsers, n2Before.channelCopies, n2Before.memberships)
    }
    print("after \(batches * perBatch) clients: n1 \(n1After); n2 \(n2After)")
    for (name, before, after) in [("n1", n1Before, n1After), ("n2", n2Before, n2After)] {
      XCTAssertEqual(after.remoteUsers, before.remoteUsers, "\(name)'s replicas of remote users")
      XCTAssertEqual(after.channelCopies, before.channelCopies, "\(name)'s copies of channels")
      XCTAssertEqual(after.memberships, before.memberships, "\(name)'s channel index")
    }
    // The channels homed on n2 are as they were: their hosts alone.
    for (i, channel) in channels.enumerated() {
      hosts[i].send("NAMES \(channel)")
      XCTAssertEqual(try hosts[i].expect("353", containing: channel).names, ["@host\(i)"])
    }
  }
}
