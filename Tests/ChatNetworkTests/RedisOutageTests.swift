// Redis away: restarted (killed, then started again from its append-only file, as a
// network's Redis should run) and unreachable for 10 s (SIGSTOP: connections open,
// nothing answered). Redis is never on a message's path: local delivery continues
// during, cross-node delivery works after, the links between nodes hold (nobody sees a
// netsplit), and no message acknowledged to its sender (its echo-message copy) is lost
// for any member.
import Foundation
import IRCTestSupport
import OtterTestSupport
import RedisTestSupport
import XCTest

final class RedisOutageTests: XCTestCase {
  /// Redis as a network should run it: every write in its append-only file before it
  /// is answered, so a restart loses no nick or name.
  static let durable = RedisServer.Configuration(extraArguments: ["--appendonly", "yes", "--appendfsync", "always"])

  func testRedisRestartedLosesNoAcknowledgedMessage() throws {
    let net = try startNetwork(nodes: 2, redis: Self.durable)
    let chat = try Conversation(net)

    net.redis.kill()
    try chat.say(0..<5, phase: "down")
    try chat.waitLocal("down", count: 5)
    try net.redis.start()
    try chat.say(0..<5, phase: "after")
    try chat.waitCrossNode("after", count: 5)

    // The nicks held before the restart are held still.
    let late = try net[1].connect()
    late.send("NICK a1")
    late.send("USER late 0 * :Late")
    try late.expect("433", containing: "a1")
    try chat.checkNothingLost()
  }

  /// Restarted empty (no append-only file): each node claims its nicks and channels
  /// again, so a nick stays one user's and a channel one room network-wide.
  func testRedisRestartedEmptyGetsTheNodesNamesBack() throws {
    let net = try startNetwork(nodes: 2)
    let alice = try IRCTestClient.registered("alice", on: net[0])
    try alice.join("#r")
    let bob = try IRCTestClient.registered("bob", on: net[1])

    net.redis.kill()
    try net.redis.start()
    // n1 has put alice's nick and #r's room back (the names' keys, as GlobalNames keeps them).
    let back = try poll("n1 to claim its names again", timeout: 5, every: 0.1) {
      try net.redis.redisCLI(["EXISTS", "otter:{chatd}:global:nick:alice", "otter:{chatd}:global:room:#r"]) == "2"
    }
    print(String(format: "Redis restarted empty: n1's nick and channel claimed again after %.2f s", back))

    let carol = try net[1].connect()
    carol.send("NICK alice")
    carol.send("USER carol 0 * :Carol")
    try carol.expect("433", containing: "alice")
    // bob, on the other node and in no channel there, joins the one #r.
    try bob.join("#r")
    try alice.expect("JOIN") { $0.command == "JOIN" && $0.source?.hasPrefix("bob!") == true }
    bob.send("PRIVMSG #r :one room")
    try alice.expect("PRIVMSG", containing: "one room")
  }

  func testRedisUnreachableForTenSecondsLosesNoAcknowledgedMessage() throws {
    let net = try startNetwork(nodes: 2, redis: Self.durable)
    let chat = try Conversation(net)

    net.redis.pause()
    let paused = Date()
    for i in 0..<10 {
      try chat.say(i..<(i + 1), phase: "paused")
      try chat.waitLocal("paused", count: i + 1)
      let next = paused.addingTimeInterval(Double(i + 1))
      if next > Date() { usleep(useconds_t(next.timeIntervalSinceNow * 1_000_000)) }
    }
    net.redis.resume()
    try chat.say(0..<5, phase: "after")
    try chat.waitCrossNode("after", count: 5, within: 15)
    try chat.checkNothingLost()
  }
}

/// Three members of `#c` (homed on n1): a1 and a2 on n1, b1 on n2, all with
/// echo-message; a1 and b1 speak. What each member saw, in order.
private final class Conversation {
  let a1: IRCTestClient
  let a2: IRCTestClient
  let b1: IRCTestClient
  var members: [IRCTestClient] { [a1, a2, b1] }
  /// Nick → the texts of #c it has read.
  private(set) var seen: [String: [String]] = [:]

  init(_ net: TestNetwork) throws {
    a1 = try IRCTestClient.registered("a1", on: net[0], caps: ["echo-message"])
    a2 = try IRCTestClient.registered("a2", on: net[0], caps: ["echo-message"])
    b1 = try IRCTestClient.registered("b1", on: net[1], caps: ["echo-message"])
    for m in members { try m.join("#c") }
    try a1.expect("JOIN") { $0.command == "JOIN" && $0.source?.hasPrefix("b1!") == true }
  }

  /// a1 and b1 each send one message per index: "<nick> <phase> <i>".
  func say(_ indices: Range<Int>, phase: String) throws {
    for i in indices {
      a1.send("PRIVMSG #c :a1 \(phase) \(i)")
      b1.send("PRIVMSG #c :b1 \(phase) \(i)")
    }
  }

  /// Reads what `client` has of #c (waiting at most `seconds` for something).
  private func read(_ client: IRCTestClient, within seconds: Double) {
    while let m = try? client.expect("PRIVMSG #c", within: seconds, { $0.command == "PRIVMSG" && $0.params.first == "#c" }) {
      seen[client.nick, default: []].append(m.params.last ?? "")
    }
  }

  /// Waits until `client` has read `text`.
  private func wait(_ client: IRCTestClient, for text: String, within seconds: Double) throws {
    let deadline = Date().addingTimeInterval(seconds)
    while !(seen[client.nick] ?? []).contains(text) {
      guard Date() < deadline, !client.closed else {
        throw TestError(
          "\(client.nick) did not get \"\(text)\" within \(seconds) s (closed: \(client.closed)); it has \(seen[client.nick] ?? [])")
      }
      read(client, within: 0.1)
    }
  }

  /// Local delivery: a2 gets a1's first `count` messages of `phase` (a1 and a2 share n1).
  func waitLocal(_ phase: String, count: Int, within seconds: Double = 3) throws {
    try wait(a2, for: "a1 \(phase) \(count - 1)", within: seconds)
    try wait(a1, for: "a1 \(phase) \(count - 1)", within: seconds)
  }

  /// Cross-node delivery: each side gets the other's first `count` messages of `phase`.
  func waitCrossNode(_ phase: String, count: Int, within seconds: Double = 10) throws {
    try wait(b1, for: "a1 \(phase) \(count - 1)", within: seconds)
    try wait(a1, for: "b1 \(phase) \(count - 1)", within: seconds)
    try wait(a2, for: "b1 \(phase) \(count - 1)", within: seconds)
  }

  /// Every message echoed to its sender reached every other member; nobody saw a QUIT
  /// (the links held) or was disconnected.
  func checkNothingLost() throws {
    for m in members { read(m, within: 0.5) }
    for sender in [a1, b1] {
      let acknowledged = (seen[sender.nick] ?? []).filter { $0.hasPrefix(sender.nick + " ") }
      XCTAssertFalse(acknowledged.isEmpty, "\(sender.nick) had messages acknowledged")
      for other in members where other !== sender {
        let missing = Set(acknowledged).subtracting(seen[other.nick] ?? [])
        XCTAssertTrue(missing.isEmpty, "\(other.nick) never got \(missing.sorted()), acknowledged to \(sender.nick)")
      }
    }
    for m in members {
      XCTAssertFalse(m.closed, "\(m.nick) is still connected")
      let quits = m.backlog.filter { $0.command == "QUIT" || $0.command == "ERROR" }
      XCTAssertTrue(quits.isEmpty, "\(m.nick) saw no netsplit: \(quits)")
    }
  }
}
