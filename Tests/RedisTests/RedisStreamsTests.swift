// Streams against a real server: trimming, consumer groups, pending entries, claiming
// from a consumer that went away, and blocking reads on a dedicated connection.
import Actors
import OtterTestSupport
import RedisTestSupport
import XCTest

@testable import Redis

final class RedisStreamsTests: XCTestCase {
  func testConsumerGroupLifecycle() async throws {
    let server = try startRedisServer()
    try await withEachProtocol(server) { node, client, version in
      let redis = client.on(node)
      let key = "events-\(version)"
      let v1 = try await redis.xgroupCreate(key, group: "workers", startAt: "0")
      XCTAssertTrue(v1)
      let v2 = try await redis.xgroupCreate(key, group: "workers")
      XCTAssertFalse(v2, "BUSYGROUP is not an error")
      var ids: [String] = []
      for i in 0..<5 { ids.append(try await redis.xadd(key, [("n", "\(i)"), ("kind", "test")])) }
      let v3 = try await redis.xlen(key)
      XCTAssertEqual(v3, 5)
      let read = try await redis.xreadgroup(group: "workers", consumer: "alice", [(key, ">")], count: 3)
      XCTAssertEqual(read.map(\.stream), [key])
      XCTAssertEqual(read[0].entries.map(\.id), Array(ids.prefix(3)))
      XCTAssertEqual(read[0].entries[1]["n"]?.string, "1")
      let summary = try await redis.xpending(key, group: "workers")
      XCTAssertEqual(summary.count, 3)
      XCTAssertEqual(summary.consumers, ["alice": 3])
      let v4 = try await redis.xack(key, group: "workers", [ids[0]])
      XCTAssertEqual(v4, 1)
      // alice "dies" with two unacknowledged: bob claims them once idle long enough.
      try await Task.sleep(for: .milliseconds(30))
      let pending = try await redis.xpending(key, group: "workers", count: 10, minIdle: .milliseconds(20))
      XCTAssertEqual(pending.map(\.id), [ids[1], ids[2]])
      XCTAssertEqual(pending.map(\.consumer), ["alice", "alice"])
      let claimed = try await redis.xautoclaim(key, group: "workers", consumer: "bob", minIdle: .milliseconds(20))
      XCTAssertEqual(claimed.entries.map(\.id), [ids[1], ids[2]])
      XCTAssertEqual(claimed.next, "0-0")
      let v5 = try await redis.xpending(key, group: "workers").consumers
      XCTAssertEqual(v5, ["bob": 2])
      // Trimming.
      try await redis.xadd(key, [("n", "5")], trim: .maxLength(3, approximate: false))
      let v6 = try await redis.xlen(key)
      XCTAssertEqual(v6, 3)
      let v7 = try await redis.xrange(key).map { $0["n"]?.string }
      XCTAssertEqual(v7, ["3", "4", "5"])
      let last = try await redis.xrange(key).last!.id
      let v8 = try await redis.xtrim(key, .minID(last, approximate: false))
      XCTAssertEqual(v8, 2)
      let v9 = try await redis.xdel(key, [last])
      XCTAssertEqual(v9, 1)
    }
  }

  func testBlockingReadOnADedicatedConnection() async throws {
    let server = try startRedisServer()
    try await withNode { node in
      let client = try await RedisClient.start(RedisConfiguration(url: server.url), on: node)
      let redis = client.on(node)
      do {
        _ = try await redis.xread([("s", "$")], block: .seconds(1))
        XCTFail("a blocking read must not hold a shared connection")
      } catch let e as RedisError {
        guard case .invalidRequest(let why) = e else { return XCTFail("\(e)") }
        XCTAssertTrue(why.contains("dedicated"), why)
      }
      let got = Locked<[String]>([])
      let reader = node.spawn(Never.self) { ctx in
        let stream = try await client.dedicated(ctx)
        // Nothing comes: the block time passes and the reply is empty.
        let none = try await stream.xread([("s", "$")], block: .milliseconds(100))
        got.withLock { $0.append("empty:\(none.isEmpty)") }
        let batch = try await stream.xread([("s", "$")], block: .seconds(10))
        got.withLock { $0.append(contentsOf: batch.flatMap { $0.entries.compactMap { $0["v"]?.string } }) }
      }
      try await eventually("the reader to block") { got.withLock { $0.count } == 1 }
      // Shared connections keep serving while the dedicated one blocks.
      try await eventually("the read to be blocked at the server") {
        try server.redisCLI(["CLIENT", "LIST"]).contains("cmd=xread")
      }
      let v10 = try await redis.ping()
      XCTAssertEqual(v10, "PONG")
      try await redis.xadd("s", [("v", "hello")])
      try await eventually("the blocked read to return") { got.withLock { $0 } == ["empty:true", "hello"] }
      // The dedicated connection ended with its process.
      try await eventually("the dedicated connection to close") { !reader.pid.isAlive }
      try await eventually("only the client's connections left") {
        try server.redisCLI(["CLIENT", "LIST"]).split(separator: "\n").count == 3 + 1  // pool of 2, pub/sub, redis-cli
      }
      await client.stop(node)
    }
  }
}
