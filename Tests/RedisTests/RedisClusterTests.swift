// Redis Cluster against three real masters: routing by slot and hash tag, pipelines split
// by master, MOVED after a slot migrates, ASK while it migrates, sharded pub/sub at the
// slot's master, and a master killed and restarted.
import Actors
import OtterTestSupport
import RedisTestSupport
import XCTest

@testable import Redis

final class RedisClusterTests: XCTestCase {
  func testRoutingRedirectsAndShardedPubSub() async throws {
    let cluster = try startRedisCluster()
    try await withNode { node in
      let client = try await RedisClusterClient.start(seeds: [cluster.nodes[0].url], on: node)
      let redis = client.on(node)
      XCTAssertEqual(client.masters.count, 3)
      XCTAssertEqual(client.masters.map(\.slots).reduce(0, +), HashSlot.count)

      // Keys land on the master of their slot (checked at that master, not through us).
      for i in 0..<60 { try await redis.set("key:\(i)", "v\(i)") }
      for i in [0, 17, 42, 59] {
        let owner = try cluster.owner(ofSlot: HashSlot.of("key:\(i)"))
        let got = try cluster.server(owner).redisCLI(["GET", "key:\(i)"]).trimmingCharacters(in: .whitespacesAndNewlines)
        XCTAssertEqual(got, "v\(i)")
        let v = try await redis.get("key:\(i)")?.string
        XCTAssertEqual(v, "v\(i)")
      }
      // Hash tags keep keys together: multi-key commands and transactions work on them.
      try await redis.mset([("{user:1}.name", "ada"), ("{user:1}.lang", "swift")])
      let both = try await redis.mget(["{user:1}.name", "{user:1}.lang"]).map { $0?.string }
      XCTAssertEqual(both, ["ada", "swift"])
      let exec = try await redis.transaction([RedisCommand("INCR", "{user:1}.visits"), RedisCommand("INCR", "{user:1}.visits")])
      XCTAssertEqual(exec.map(\.int), [1, 2])
      do {
        try await redis.mset([("a", "1"), ("b", "2")])
        XCTFail("keys of several slots in one command")
      } catch let e as RedisError {
        XCTAssertTrue("\(e)".contains("CROSSSLOT"), "\(e)")
      }
      // Movable keys (COMMAND GETKEYS) and scripts route by their keys too.
      try await redis.zadd("{z}a", [(1, "x")])
      try await redis.zadd("{z}b", [(2, "y")])
      let n = try await redis.send(["ZUNIONSTORE", "{z}dst", "2", "{z}a", "{z}b"]).int
      XCTAssertEqual(n, 2)
      let script = RedisScript("return redis.call('GET', KEYS[1])")
      let fromScript = try await redis.eval(script, keys: ["key:7"]).string
      XCTAssertEqual(fromScript, "v7")
      // A pipeline over all three masters comes back in order.
      let replies = try await redis.pipeline((0..<60).map { RedisCommand("GET", "key:\($0)") })
      XCTAssertEqual(replies.map(\.string), (0..<60).map { "v\($0)" })

      // MOVED: a slot migrates for good; the client follows and updates its map.
      let movedKey = "key:3"
      let slot = HashSlot.of(movedKey)
      let source = try cluster.owner(ofSlot: slot)
      let target = try XCTUnwrap(cluster.nodes.first { $0 != source })
      try cluster.migrateSlot(slot, to: target)
      let afterMove = try await redis.get(movedKey)?.string
      XCTAssertEqual(afterMove, "v3")
      try await eventually("the client's map to show the move") {
        client.core.state.withLock { $0.topology.owner(of: slot) } == .tcp(host: target.host, port: target.port)
      }

      // ASK: another slot half migrated; moved keys are asked for at the target.
      let askedKey = "key:5"
      let stayingKey = try XCTUnwrap((0..<100_000).lazy.map { "ask:\($0)" }.first { HashSlot.of($0) == HashSlot.of(askedKey) })
      try await redis.set(stayingKey, "stays")
      let askSlot = HashSlot.of(askedKey)
      let askSource = try cluster.owner(ofSlot: askSlot)
      let askTarget = try XCTUnwrap(cluster.nodes.first { $0 != askSource })
      try cluster.beginSlotMigration(askSlot, to: askTarget, moving: [askedKey])
      let asked = try await redis.get(askedKey)?.string
      XCTAssertEqual(asked, "v5", "found at the target after ASK")
      let stayed = try await redis.get(stayingKey)?.string
      XCTAssertEqual(stayed, "stays", "still served by the source")
      try cluster.finishSlotMigration(askSlot, to: askTarget)
      let finished = try await redis.get(askedKey)?.string
      XCTAssertEqual(finished, "v5")

      // Sharded pub/sub: channels of different slots, each at its master.
      let events = Locked<[String]>([])
      let (ready, readyRequest) = node.makeReply(String?.self)
      node.spawn(RedisPubSubEvent.self) { ctx in
        do {
          try await client.subscribe(["orders:{a}", "orders:{b}", "orders:{c}"], kind: .shard, ctx)
          ready.reply(nil)
        } catch {
          ready.reply("\(error)")
          return
        }
        while let e = try await ctx.next() { if case .message(let m) = e { events.withLock { $0.append("\(m.channel)=\(m.text)") } } }
      }
      if let failure = try await node.receiveResponse(readyRequest, timeout: .seconds(10)) { throw TestError(failure) }
      for c in ["a", "b", "c"] {
        let receivers = try await redis.spublish("orders:{\(c)}", c)
        XCTAssertEqual(receivers, 1)
      }
      try await eventually("three shard messages") { events.withLock { $0.count } == 3 }
      XCTAssertEqual(Set(events.withLock { $0 }), ["orders:{a}=a", "orders:{b}=b", "orders:{c}=c"])
      await client.stop(node)
    }
  }

  func testAMasterKilledAndRestarted() async throws {
    let cluster = try startRedisCluster(nodeTimeout: .seconds(2))
    try await withNode { node in
      let client = try await RedisClusterClient.start(seeds: cluster.nodes.map(\.url), on: node)
      let redis = client.on(node)
      let victim = cluster.nodes[1]
      let key = try XCTUnwrap((0..<100_000).lazy.map { "k\($0)" }.first { (try? cluster.owner(ofSlot: HashSlot.of($0))) == victim })
      try await redis.set(key, "before")
      cluster.kill(node: victim)
      do {
        _ = try await redis.get(key)
        XCTFail("its master is down")
      } catch let e as RedisError {
        switch e {
        case .cluster, .notConnected, .connectionLost: break
        default: XCTFail("\(e)")
        }
      }
      try cluster.restart(node: victim)
      try await eventually("the key's slot to be served again", timeout: .seconds(30)) {
        (try? await redis.set(key, "after")) == true
      }
      let value = try await redis.get(key)?.string
      XCTAssertEqual(value, "after")
      await client.stop(node)
    }
  }
}
