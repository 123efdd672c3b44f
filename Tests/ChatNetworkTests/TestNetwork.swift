// A chat network for a test: a real redis-server and N real chatd OS processes joined
// to it, formed (a user of each node is seen by every other) before the test begins.
// The network owns its processes: the test's teardown kills every node by its pid and
// stops Redis, whatever the test did (a failure included), and on a failure prints the
// tail of each node's output.
import ChatApp
import Foundation
import IRCTestSupport
import OtterTestSupport
import RedisTestSupport
import XCTest

/// Redis and the chatd nodes of one test.
final class TestNetwork {
  let redis: RedisServer
  /// Node i is named `n<i+1>`.
  private(set) var nodes: [ChatdNode] = []

  subscript(_ i: Int) -> ChatdNode { nodes[i] }

  fileprivate init(redis: RedisServer) { self.redis = redis }

  /// Starts one more node (named `n<count+1>`) and waits until the others see it.
  @discardableResult
  func addNode(_ options: ChatdNode.Options = .init()) throws -> ChatdNode {
    let node = try ChatdNode(name: "n\(nodes.count + 1)", redisURL: redis.url, options: options)
    nodes.append(node)
    return node
  }

  /// Waits until every running node sees a user of every other (ISON), within `timeout`
  /// seconds; the users it registered for that have quit when it returns.
  func waitFormed(timeout: Double = 15) throws {
    let running = nodes.filter(\.isRunning)
    var probes: [IRCTestClient] = []
    for (i, node) in running.enumerated() {
      let probe = try node.connect()
      try probe.register("probe\(i)")
      probes.append(probe)
    }
    for (i, probe) in probes.enumerated() {
      let others = probes.indices.filter { $0 != i }.map { "probe\($0)" }
      try poll("\(running[i].name) to see the other nodes' users \(others)", timeout: timeout) {
        try probe.ison(others) == Set(others)
      }
    }
    for probe in probes.dropFirst() { probe.send("QUIT") }
    if let first = probes.first {
      let others = probes.indices.dropFirst().map { "probe\($0)" }
      try poll("the probes to be gone", timeout: timeout) { try first.ison(others).isEmpty }
      first.send("QUIT")
      try first.expectClosed()
    }
  }

  /// Kills every node still running and stops Redis.
  func stopAll() {
    for node in nodes { node.kill() }
    redis.stop(grace: .seconds(2))
  }

  /// The output tail of each node, for a failure message.
  var outputTails: String {
    nodes.map { "--- chatd \($0.name) (os pid \($0.pid)):\n\($0.outputTail())" }.joined(separator: "\n")
  }
}

extension XCTestCase {
  /// A formed network of `nodes` chatd processes on a redis-server configured as
  /// `redis`, stopped by the test's teardown.
  func startNetwork(
    nodes count: Int = 2, redis configuration: RedisServer.Configuration = .init(), options: ChatdNode.Options = .init()
  ) throws -> TestNetwork {
    let redis = try RedisServer(configuration)
    let network = TestNetwork(redis: redis)
    addTeardownBlock { [weak self] in
      if let run = self?.testRun, run.totalFailureCount > 0 { print(network.outputTails) }
      network.stopAll()
    }
    try redis.start()
    for _ in 0..<count { try network.addNode(options) }
    try network.waitFormed()
    return network
  }
}

/// Polls `condition` every `interval` seconds until it holds, at most `timeout` seconds:
/// the seconds it took. Throws, naming `what`, if it never held.
@discardableResult
func poll(_ what: String, timeout: Double = 10, every interval: Double = 0.02, _ condition: () throws -> Bool) throws -> Double {
  let start = Date()
  while true {
    if try condition() { return Date().timeIntervalSince(start) }
    if Date().timeIntervalSince(start) > timeout { throw TestError("timed out after \(timeout) s waiting for \(what)") }
    usleep(useconds_t(interval * 1_000_000))
  }
}

extension IRCTestClient {
  /// ISON: which of `nicks` are online (as the server spells them).
  func ison(_ nicks: [String]) throws -> Set<String> {
    send("ISON " + nicks.joined(separator: " "))
    let reply = try expect("303")
    return Set((reply.params.last ?? "").split(separator: " ").map(String.init))
  }

  /// A client of `node` registered as `nick` (with `caps`).
  static func registered(_ nick: String, on node: ChatdNode, caps: [String] = []) throws -> IRCTestClient {
    let client = try node.connect()
    try client.register(nick, caps: caps)
    return client
  }

  /// The texts of the next `count` PRIVMSGs to `target`, in the order they arrived.
  func texts(_ count: Int, to target: String, within seconds: Double = 10) throws -> [String] {
    var out: [String] = []
    for _ in 0..<count {
      let m = try expect("PRIVMSG \(target) (\(out.count + 1) of \(count))", within: seconds) {
        $0.command == "PRIVMSG" && $0.params.first == target
      }
      out.append(m.params.last ?? "")
    }
    return out
  }
}

extension IRCMessage {
  /// The nicks of a names reply (353), with their prefixes.
  var names: Set<String> { Set((params.last ?? "").split(separator: " ").map(String.init)) }
}
