// The Lua scripts run directly against a real redis-server: incarnations seeded from
// Redis time and always rising, a lost join reply recognized as ours, renewals refused
// to a replaced incarnation and restored after Redis lost its data, sweeps burying
// expired leases and members that did not come back — but not after a silence of
// Redis, which refreshes every lease first.
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
      let head = config.scriptArguments
      // A lease of 1 ms, and a quiet gap long enough that no silence is seen.
      let short = [config.channel, config.memberKeyPrefix, "1", "60000"]
      func run(_ script: RedisScript, _ args: [String], head: [String] = head) async throws -> [String] {
        let reply = try await redis.eval(script, keys: config.scriptKeys, args: head + args)
        return (reply.array ?? [reply]).map { $0.string ?? "\($0)" }
      }
      let mine = MemberAnnouncement(name: "x", address: "h:1", metadata: [:], instance: "1").json
      let other = MemberAnnouncement(name: "x", address: "h:2", metadata: [:], instance: "2").json

      let first = try await run(MembershipScripts.join, ["x", mine, "0"])
      XCTAssertEqual(first.first, "ok")
      let inc1 = try XCTUnwrap(UInt64(first[1]))
      XCTAssertGreaterThan(inc1, 1_000_000_000_000_000, "seeded from Redis time in µs")
      // Our join whose reply we did not get: the same JSON is ours, replaced.
      let second = try await run(MembershipScripts.join, ["x", mine, "0"])
      XCTAssertEqual(second.first, "ok")
      let inc2 = try XCTUnwrap(UInt64(second[1]))
      XCTAssertGreaterThan(inc2, inc1)
      // Someone else under the name: refused.
      let taken = try await run(MembershipScripts.join, ["x", other, "0"])
      XCTAssertEqual(taken, ["taken", String(inc2), mine])
      // The replaced incarnation cannot renew; the live one can.
      let stale = try await run(MembershipScripts.renew, ["x", String(inc1), mine])
      XCTAssertEqual(stale, ["lost", "the name is held by incarnation \(inc2)"])
      let renewed = try await run(MembershipScripts.renew, ["x", String(inc2), mine])
      XCTAssertEqual(renewed, ["ok"])
      // Redis loses everything: the renewal registers it again, same incarnation.
      _ = try server.redisCLI(["FLUSHALL"])
      let restored = try await run(MembershipScripts.renew, ["x", String(inc2), mine])
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
      let zombie = try await run(MembershipScripts.renew, ["z", "5", "{}"])
      XCTAssertEqual(zombie.first, "lost")
      // An expired lease is buried by the next sweep; x cannot renew it.
      let briefly = try await run(MembershipScripts.renew, ["x", String(inc2), mine], head: short)
      XCTAssertEqual(briefly, ["ok"])
      try await Task.sleep(for: .milliseconds(20))
      let swept = try await redis.eval(MembershipScripts.sweep, keys: config.scriptKeys, args: head + ["x", String(inc2), "0"])
      XCTAssertEqual(swept.array?[0].array?.count, 0)
      XCTAssertEqual(swept.array?[1].array?.compactMap(\.string), ["x", String(inc2), "down", "lease expired"])
      let late = try await run(MembershipScripts.renew, ["x", String(inc2), mine])
      XCTAssertEqual(late, ["lost", "declared down (lease expired)"])
      // Leave only removes our own incarnation.
      let third = try await run(MembershipScripts.join, ["x", mine, String(inc2)])
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

  /// Redis was silent longer than the quiet gap (paused, restarted from its files,
  /// unreachable to all): the next script, whichever, gives every lease a fresh lease
  /// before it looks at any, so an expired lease is not buried; without a silence it is.
  func testASilenceOfRedisRefreshesEveryLeaseFirst() async throws {
    let server = try startRedisServer()
    try await withNode(schedulers: 1) { node in
      let client = try await RedisClient.start(RedisConfiguration(url: server.url), poolSize: 1, on: node)
      let redis = client.on(node)
      let config = MembershipConfiguration(cluster: "t")
      XCTAssertEqual(config.scriptArguments.suffix(2), ["2000", "1000"], "lease, and quiet gap halfway between 500 and 1500 ms")
      // Leases of 1 ms, with a quiet gap of a minute (no silence is seen).
      let short = [config.channel, config.memberKeyPrefix, "1", "60000"]
      let mine = MemberAnnouncement(name: "x", address: "h:1", metadata: [:], instance: "1").json
      let joined = try await redis.eval(MembershipScripts.join, keys: config.scriptKeys, args: config.scriptArguments + ["x", mine, "0"])
      let inc = try XCTUnwrap(joined.array?[1].string)
      let y = MemberAnnouncement(name: "y", address: "h:2", metadata: [:], instance: "2").json
      _ = try await redis.eval(MembershipScripts.join, keys: config.scriptKeys, args: short + ["y", y, "0"])
      _ = try await redis.eval(MembershipScripts.renew, keys: config.scriptKeys, args: short + ["x", inc, mine])
      try await Task.sleep(for: .milliseconds(20))
      // Both leases expired; Redis heard nothing for two seconds (as after a pause).
      let now = try XCTUnwrap(Int(try server.redisCLI(["TIME"]).split(separator: "\n")[0])) * 1000
      _ = try server.redisCLI(["SET", "otter:{t}:heard", String(now - 2000)])
      let swept = try await redis.eval(MembershipScripts.sweep, keys: config.scriptKeys, args: config.scriptArguments + ["x", inc, "0"])
      XCTAssertEqual(swept.array?[0].array?.compactMap(\.string).filter { $0 == "x" || $0 == "y" }, ["x", "y"])
      XCTAssertEqual(swept.array?[1].array?.count, 0)
      let pttl = Int(try server.redisCLI(["PTTL", "otter:{t}:member:x"])) ?? -1
      XCTAssertTrue((1500...2000).contains(pttl), "the lease key is refreshed too: \(pttl)")
      let renewed = try await redis.eval(MembershipScripts.renew, keys: config.scriptKeys, args: config.scriptArguments + ["x", inc, mine])
      XCTAssertEqual(renewed.array?.first?.string, "ok")
      // The same without a silence: buried.
      _ = try await redis.eval(MembershipScripts.renew, keys: config.scriptKeys, args: short + ["x", inc, mine])
      try await Task.sleep(for: .milliseconds(20))
      let buried = try await redis.eval(MembershipScripts.sweep, keys: config.scriptKeys, args: config.scriptArguments + ["x", inc, "0"])
      XCTAssertEqual(buried.array?[1].array?.compactMap(\.string), ["x", inc, "down", "lease expired"])
      await client.stop(node)
    }
  }
}
