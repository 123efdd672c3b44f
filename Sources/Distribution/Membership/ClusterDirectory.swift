// Reading the members of a cluster from Redis without joining it: what the observer
// lists. Stateless; one read of the member zset (live: lease not expired, in Redis
// time), the incarnations and the announcements.
import Redis

/// The live members of a cluster, read from Redis.
public enum ClusterDirectory {
  /// The members whose lease has not expired, by name.
  public static func members(cluster: String = "otter", redis: some RedisCommands) async throws -> [MemberInfo] {
    let config = MembershipConfiguration(cluster: cluster)
    let keys = config.scriptKeys
    let replies = try await redis.pipeline([
      RedisCommand("TIME"), RedisCommand("ZRANGE", keys[1], "0", "-1", "WITHSCORES"), RedisCommand("HGETALL", keys[2]),
      RedisCommand("HGETALL", keys[3]),
    ])
    guard let time = replies[0].array, time.count == 2, let seconds = time[0].int, let micros = time[1].int else {
      throw RedisError.unexpectedReply(command: "TIME", expected: "[seconds, microseconds]", got: replies[0].description)
    }
    let now = seconds * 1000 + micros / 1000
    // RESP2: a flat list of member, score; RESP3: pairs.
    var expiries: [String: Int] = [:]
    let flat = replies[1].array ?? []
    if flat.allSatisfy({ $0.array != nil }) {
      for pair in flat { if let p = pair.array, p.count == 2, let n = p[0].string, let s = p[1].double { expiries[n] = Int(s) } }
    } else {
      for i in stride(from: 0, to: flat.count - 1, by: 2) { if let n = flat[i].string, let s = flat[i + 1].double { expiries[n] = Int(s) } }
    }
    let incarnations = replies[2].dictionary ?? [:]
    let infos = replies[3].dictionary ?? [:]
    return expiries.filter { $0.value >= now }.keys.sorted().compactMap { name in
      guard let inc = incarnations[name]?.int.map(UInt64.init), let json = infos[name]?.bytes, let a = MemberAnnouncement.decode(json)
      else {
        return nil
      }
      return a.info(incarnation: inc)
    }
  }
}
