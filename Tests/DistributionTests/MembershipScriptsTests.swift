// The Lua scripts run directly against a real redis-server: incarnations seeded from
// Redis time and always rising, a lost join reply recognized as ours, renewals refused
// to a replaced incarnation and restored after Redis lost its data, sweeps burying
// expired leases and members that did not come back.
import Actors
import OtterTestSupport
import Redis
import RedisTestSupport
import XCTest

@testable import Distribution

final class MembershipScriptsTests: XCTestCase {
  func testJoinRenewSweepLeave() async throws {
    let server = try startRedisServer()
    try await withNode(schedulers: 1) { node in
      let client = try await RedisClient.start(RedisConfiguration(url: server.url), poolSize: 1, on: node)
      let redis = client.on(node)
      let config = MembershipConfiguration(cluster: "t")
      let head = [config.channel, config.memberKeyPrefix]
      func run(_ script: RedisScript, _ args: [String]) async throws -> [String] {
        let reply = try await redis.eval(script, keys: config.scriptKeys, args: head + args)
        return (reply.array ?? [reply]).map { $0.string ?? "\($0)" }
      }
      let mine = MemberAnnouncement(name: "x", address: "h:1", metadata: [:], instance: "1").json
      let other = MemberAnnouncement(name: "x", address: "h:2", metadata: [:], instance: "2").json

      let first = try await run(MembershipScripts.join, ["x", mine, "2000", "0"])
      XCTAssertEqual(first.first, "ok")
      let inc1 = try XCTUnwrap(UInt64(first[1]))
      XCTAssertGreaterThan(inc1, 1_000_000_000_000_000, "seeded from Redis time in µs")
      // Our join whose reply we did not get: the same JSON is ours, replaced.
      let second = try await run(MembershipScripts.join, ["x", mine, "2000", "0"])
      XCTAssertEqual(second.first, "ok")
      let inc2 = try XCTUnwrap(UInt64(second[1]))
      XCTAssertGreaterThan(inc2, inc1)
      // Someone else under the name: refused.
      let taken = try await run(MembershipScripts.join, ["x", other, "2000", "0"])
      XCTAssertEqual(taken, ["taken", String(inc2), mine])
      // The replaced incarnation cannot renew; the live one can.
      let stale = try await run(MembershipScripts.renew, ["x", String(inc1), mine, "2000"])
      XCTAssertEqual(stale, ["lost", "the name is held by incarnation \(inc2)"])
      let renewed = try await run(MembershipScripts.renew, ["x", String(inc2), mine, "2000"])
      XCTAssertEqual(renewed, ["ok"])
      // Redis loses everything: the renewal registers it again, same incarnation.
      _ = try server.redisCLI(["FLUSHALL"])
      let restored = try await run(MembershipScripts.renew, ["x", String(inc2), mine, "2000"])
      XCTAssertEqual(restored, ["restored"])
      XCTAssertGreaterThanOrEqual(UInt64(try server.redisCLI(["GET", "otter:{t}:incarnation"])) ?? 0, inc2)
      // A sweep by y, which knows x and a z that Redis lost: x live, z missing, then declared.
      let sweep = try await redis.eval(
        MembershipScripts.sweep, keys: config.scriptKeys, args: head + ["x", String(inc2), "0", "z", "5", "0"])
      XCTAssertEqual(sweep.array?[0].array?.compactMap(\.string), ["x", String(inc2), mine])
      XCTAssertEqual(sweep.array?[1].array?.compactMap(\.string), ["z", "5", "missing", ""])
      let declared = try await redis.eval(MembershipScripts.sweep, keys: config.scriptKeys, args: head + ["z", "5", "1"])
      XCTAssertEqual(
        declared.array?[1].array?.compactMap(\.string), ["z", "5", "down", "did not come back after Redis lost its data"])
      // z can no longer register under 5.
      let zombie = try await run(MembershipScripts.renew, ["z", "5", "{}", "2000"])
      XCTAssertEqual(zombie.first, "lost")
      // An expired lease is buried by the next sweep; x cannot renew it.
      let short = try await run(MembershipScripts.renew, ["x", String(inc2), mine, "1"])
      XCTAssertEqual(short, ["ok"])
      try await Task.sleep(for: .milliseconds(20))
      let swept = try await redis.eval(MembershipScripts.sweep, keys: config.scriptKeys, args: head + ["x", String(inc2), "0"])
      XCTAssertEqual(swept.array?[0].array?.count, 0)
      XCTAssertEqual(swept.array?[1].array?.compactMap(\.string), ["x", String(inc2), "down", "lease expired"])
      let late = try await run(MembershipScripts.renew, ["x", String(inc2), mine, "2000"])
      XCTAssertEqual(late, ["lost", "declared down (lease expired)"])
      // Leave only removes our own incarnation.
      let third = try await run(MembershipScripts.join, ["x", mine, "2000", String(inc2)])
      let inc3 = try XCTUnwrap(UInt64(third[1]))
      XCTAssertGreaterThan(inc3, inc2)
      let notOurs = try await redis.eval(MembershipScripts.leave, keys: config.scriptKeys, args: head + ["x", String(inc2)])
      XCTAssertEqual(notOurs.int, 0)
      let ours = try await redis.eval(MembershipScripts.leave, keys: config.scriptKeys, args: head + ["x", String(inc3)])
      XCTAssertEqual(ours.int, 1)
      XCTAssertEqual(try server.redisCLI(["HGET", "otter:{t}:down", "x"]), "\(inc3) left")
      await client.stop(node)
    }
  }
}
