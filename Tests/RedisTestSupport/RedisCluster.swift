// A real Redis Cluster for a test: three masters, no replicas, each a RedisServer in
// cluster mode on 127.0.0.1 (port p, bus port p + 10000, both free), formed with
// `redis-cli --cluster create`. The RedisCluster owns its three servers (and through them
// their processes) and the node ids it learnt when the cluster formed (behind a mutex);
// it changes the cluster's state only when a test asks (slot migrations, a node killed
// or restarted). Checks go through the fixtures' own RESP2 probe, not the Redis target.
import Foundation
import Glibc
import OtterTestSupport
import Synchronization
import XCTest

/// Three Redis Cluster masters that share the 16,384 slots.
///
/// ```swift
/// let cluster = try startRedisCluster()  // XCTestCase: stopped at teardown
/// let slot = 866
/// let source = try cluster.owner(ofSlot: slot)
/// let target = cluster.nodes.first { $0 != source }!
/// try cluster.migrateSlot(slot, to: target)  // source now answers MOVED for it
/// ```
///
/// Every method blocks the calling thread, with bounded waits.
public final class RedisCluster: Sendable {
  /// The three servers, in the order of `nodes`.
  public let servers: [RedisServer]
  private let ids = Mutex<[String]>([])

  /// Three cluster-mode servers with `nodeTimeout` (`cluster-node-timeout`) and
  /// `extraArguments`, started and formed into a cluster unless `start` is false (then
  /// call `start()`). Skips the test if redis-server or redis-cli is not installed.
  public init(nodeTimeout: Duration = .seconds(5), extraArguments: [String] = [], start: Bool = true) throws {
    _ = try RedisTools.cli()
    let configuration = RedisServer.Configuration(
      clusterEnabled: true, clusterNodeTimeout: nodeTimeout, extraArguments: extraArguments)
    servers = try (0..<3).map { _ in try RedisServer(configuration) }
    if start { try self.start() }
  }

  /// Starts the servers, creates the cluster (each master gets a third of the slots) and
  /// waits until every node reports `cluster_state:ok` with all slots assigned and all
  /// nodes agree on who owns which. Does nothing if the cluster has formed already.
  public func start(timeout: Duration = .seconds(60)) throws {
    guard ids.withLock({ $0.isEmpty }) else { return }
    for server in servers { try server.start() }
    let create = try runProgram(
      try RedisTools.cli(),
      ["--cluster", "create"] + servers.map { "\($0.host):\($0.port)" } + ["--cluster-replicas", "0", "--cluster-yes"],
      timeout: timeout)
    guard create.status == 0 else {
      throw TestError("redis-cli --cluster create failed: \(create)\n\(servers.map { $0.logTail() }.joined())")
    }
    var found: [String] = []
    for server in servers {
      guard let id = try server.probe().call(["CLUSTER", "MYID"]).string, id.count == 40 else {
        throw TestError("CLUSTER MYID of \(server.url) did not answer a node id")
      }
      found.append(id)
    }
    ids.withLock { $0 = found }
    try waitUntilHealthy(timeout: timeout)
  }

  /// The three masters (empty before the cluster has formed).
  public var nodes: [ClusterNode] {
    let ids = ids.withLock { $0 }
    return zip(servers, ids).enumerated().map { i, pair in
      ClusterNode(index: i, host: pair.0.host, port: pair.0.port, id: pair.1)
    }
  }

  /// The server behind `node`.
  public func server(_ node: ClusterNode) -> RedisServer { servers[node.index] }

  /// The node listening on `port`, if any.
  public func node(port: Int) -> ClusterNode? { nodes.first { $0.port == port } }

  /// The node with node id `id`, if any.
  public func node(id: String) -> ClusterNode? { nodes.first { $0.id == id } }

  /// The node that serves `slot`, as the first running node sees it (CLUSTER SLOTS).
  /// During a migration that is still the source.
  public func owner(ofSlot slot: Int) throws -> ClusterNode {
    precondition((0..<16384).contains(slot), "slot \(slot) out of range")
    guard let asked = runningNodes().first else { throw TestError("no node of the cluster is running") }
    let (node, map) = try slotMap(asSeenBy: asked)
    guard let id = map[slot], let owner = self.node(id: id) else {
      throw TestError("\(node) says slot \(slot) has no known owner")
    }
    return owner
  }

  /// Moves `slot` and every key in it to `target` the way `redis-cli --cluster reshard`
  /// does: CLUSTER SETSLOT IMPORTING on the target and MIGRATING on the source, MIGRATE
  /// of all the slot's keys, then CLUSTER SETSLOT NODE on every master. Afterwards the
  /// source answers MOVED for the slot's keys. Nothing happens if `target` owns it.
  public func migrateSlot(_ slot: Int, to target: ClusterNode) throws {
    guard try owner(ofSlot: slot) != target else { return }
    try beginSlotMigration(slot, to: target, moving: [])
    try finishSlotMigration(slot, to: target)
  }

  /// The first half of `migrateSlot`, stopped there: `slot` is MIGRATING on its owner and
  /// IMPORTING on `target`, and only `keys` (which must hash to `slot`) have moved. The
  /// source then answers ASK for those keys and serves the others; the target serves the
  /// moved keys only to a client that sent ASKING. Finish with `finishSlotMigration`.
  public func beginSlotMigration(_ slot: Int, to target: ClusterNode, moving keys: [String]) throws {
    let source = try owner(ofSlot: slot)
    guard source != target else { throw TestError("\(target) owns slot \(slot) already") }
    let sourceProbe = try server(source).probe()
    try expectOK(server(target).probe().call(["CLUSTER", "SETSLOT", "\(slot)", "IMPORTING", source.id]), "IMPORTING on \(target)")
    try expectOK(sourceProbe.call(["CLUSTER", "SETSLOT", "\(slot)", "MIGRATING", target.id]), "MIGRATING on \(source)")
    if !keys.isEmpty { try migrate(keys.map { Array($0.utf8) }, from: sourceProbe, to: target) }
  }

  /// Completes a migration of `slot` to `target` begun by `beginSlotMigration`: moves
  /// the keys still on the source, then CLUSTER SETSLOT NODE on the target, the source and
  /// the other master, and waits until every running node says `target` owns the slot.
  public func finishSlotMigration(_ slot: Int, to target: ClusterNode, timeout: Duration = .seconds(10)) throws {
    let source = try owner(ofSlot: slot)
    guard source != target else { return }
    let sourceProbe = try server(source).probe()
    while true {
      let reply = try sourceProbe.call(["CLUSTER", "GETKEYSINSLOT", "\(slot)", "100"])
      guard let keys = reply.elements else { throw TestError("GETKEYSINSLOT on \(source): \(reply)") }
      if keys.isEmpty { break }
      try migrate(keys.map { if case .bulk(let b) = $0 { b } else { Array($0.description.utf8) } }, from: sourceProbe, to: target)
    }
    let others = nodes.filter { $0 != source && $0 != target && server($0).isRunning }
    for node in [target, source] + others {
      try expectOK(server(node).probe().call(["CLUSTER", "SETSLOT", "\(slot)", "NODE", target.id]), "SETSLOT NODE on \(node)")
    }
    try wait("every node to say \(target) owns slot \(slot)", timeout: timeout) {
      try runningNodes().allSatisfy { try slotMap(asSeenBy: $0).map[slot] == target.id }
    }
  }

  /// Kills `node`'s server (SIGKILL). The others notice after the node timeout; with no
  /// replicas its slots are then uncovered and the cluster reports `cluster_state:fail`.
  public func kill(node: ClusterNode) { server(node).kill() }

  /// Starts `node`'s server again (killing it first if it runs) on the same ports with
  /// its nodes.conf (same id, same slots, no keys), and waits until the cluster is healthy
  /// again. A master the others had marked as failed is cleared only some time after that
  /// (Redis waits twice the node timeout), so `timeout` should allow for it.
  public func restart(node: ClusterNode, timeout: Duration = .seconds(60)) throws {
    try server(node).restart()
    try waitUntilHealthy(timeout: timeout)
  }

  /// Stops the three servers (SIGTERM, then SIGKILL after `grace`); always reaped.
  public func stop(grace: Duration = .seconds(2)) {
    for server in servers { server.stop(grace: grace) }
  }

  /// Waits until every node runs and reports `cluster_state:ok`, all 16,384 slots
  /// assigned and none failing, knows all three nodes, and all agree on the owner of every
  /// slot. Throws, with each node's CLUSTER INFO and log, after `timeout`.
  public func waitUntilHealthy(timeout: Duration = .seconds(30)) throws {
    try wait("the cluster to report cluster_state:ok on every node", timeout: timeout) {
      var maps: [[String?]] = []
      for node in nodes {
        let info = try server(node).probe().call(["CLUSTER", "INFO"]).string ?? ""
        let fields = Self.fields(info)
        guard fields["cluster_state"] == "ok", fields["cluster_slots_assigned"] == "16384", fields["cluster_slots_pfail"] == "0",
          fields["cluster_slots_fail"] == "0", fields["cluster_known_nodes"] == "3"
        else { return false }
        let map = try slotMap(asSeenBy: node).map
        guard !map.contains(nil) else { return false }
        maps.append(map)
      }
      return maps.dropFirst().allSatisfy { $0 == maps[0] }
    }
  }

  /// CLUSTER INFO of every running node, for failure messages.
  public func describe() -> String {
    nodes.map { node in
      let info = (try? server(node).probe(timeout: .seconds(1)).call(["CLUSTER", "INFO"]).string) ?? "(no answer)"
      return "\(node):\n\(info.prefix(400))"
    }.joined(separator: "\n")
  }

  // MARK: - Private

  /// The nodes whose server runs.
  private func runningNodes() -> [ClusterNode] { nodes.filter { server($0).isRunning } }

  /// Slot → owner's node id, per `node`'s CLUSTER SLOTS.
  private func slotMap(asSeenBy node: ClusterNode) throws -> (node: ClusterNode, map: [String?]) {
    let reply = try server(node).probe().call(["CLUSTER", "SLOTS"])
    guard let ranges = reply.elements else { throw TestError("CLUSTER SLOTS on \(node): \(reply)") }
    var map = [String?](repeating: nil, count: 16384)
    for range in ranges {
      guard let parts = range.elements, parts.count >= 3, let first = parts[0].integer, let last = parts[1].integer,
        let master = parts[2].elements, master.count >= 3, let id = master[2].string, first >= 0, last < 16384, first <= last
      else { throw TestError("CLUSTER SLOTS on \(node): unexpected entry \(range)") }
      for slot in first...last { map[slot] = id }
    }
    return (node, map)
  }

  /// MIGRATE `keys` from the source (`probe`) to `target`.
  private func migrate(_ keys: [[UInt8]], from probe: RedisProbe, to target: ClusterNode) throws {
    let command: [[UInt8]] = ["MIGRATE", target.host, "\(target.port)", "", "0", "5000", "KEYS"].map { Array($0.utf8) } + keys
    let reply = try probe.call(bytes: command)
    guard reply == .simple("OK") || reply == .simple("NOKEY") else { throw TestError("MIGRATE to \(target): \(reply)") }
  }

  private func expectOK(_ reply: ProbeReply, _ what: String) throws {
    guard reply == .simple("OK") else { throw TestError("\(what): \(reply)") }
  }

  /// Polls `condition` every 20 ms (an error counts as not yet) until it holds, at most
  /// `timeout`.
  private func wait(_ what: String, timeout: Duration, _ condition: () throws -> Bool) throws {
    let deadline = ContinuousClock.now + timeout
    var lastError: (any Error)?
    while true {
      do {
        if try condition() { return }
      } catch {
        lastError = error
      }
      if ContinuousClock.now >= deadline {
        throw TestError(
          "timed out after \(timeout) waiting for \(what)\(lastError.map { " (last error: \($0))" } ?? "")\n\(describe())\n"
            + servers.map { $0.logTail(lines: 10) }.joined())
      }
      usleep(20_000)
    }
  }

  /// `name:value` lines of an INFO-style reply.
  private static func fields(_ info: String) -> [String: String] {
    var out: [String: String] = [:]
    for line in info.split(whereSeparator: \.isNewline) {
      guard let colon = line.firstIndex(of: ":") else { continue }
      out[String(line[..<colon])] = String(line[line.index(after: colon)...])
    }
    return out
  }
}
