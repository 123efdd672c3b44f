// A cluster client bound to a caller: each command goes to the master of its keys' slot,
// following MOVED (the slot moved for good: update the map, refresh it) and ASK (the slot
// is migrating: ask the other node once, after ASKING), and waiting out TRYAGAIN and
// CLUSTERDOWN a little. Holds no state of its own.
import Actors

/// A `RedisClusterClient` bound to a caller.
public struct RedisClusterSession<Caller: RedisCaller>: RedisCommands {
  let core: ClusterCore
  public let caller: Caller

  public func execute(_ command: RedisCommand, timeout: Duration? = nil) async throws -> RESPValue {
    try command.checkNotEmpty()
    let keys = try await core.keys(of: command, caller)
    let slot = keys.first.map { HashSlot.of($0) }
    return try await run([command], slot: slot, timeout: timeout)[0]
  }

  /// A transaction (MULTI ... EXEC) goes whole to the master of its first key (its keys
  /// must share a slot: use a hash tag). Other batches are split by master, sent as one
  /// pipeline to each, and their replies put back in order.
  public func executeBatch(_ commands: [RedisCommand], timeout: Duration? = nil) async throws -> [RESPValue] {
    for c in commands { try c.checkNotEmpty() }
    if commands.count >= 2, commands.first?.name == "MULTI", commands.last?.name == "EXEC" {
      var slot: Int?
      for c in commands.dropFirst().dropLast() {
        if let k = try await core.keys(of: c, caller).first {
          slot = HashSlot.of(k)
          break
        }
      }
      return try await run(commands, slot: slot, timeout: timeout)
    }
    // Group by slot, then by master.
    var bySlot: [Int?: [Int]] = [:]
    for (i, c) in commands.enumerated() {
      let slot = try await core.keys(of: c, caller).first.map { HashSlot.of($0) }
      bySlot[slot, default: []].append(i)
    }
    var replies = [RESPValue](repeating: .null, count: commands.count)
    var byMaster: [RedisConfiguration.Endpoint: [Int]] = [:]
    for (slot, indexes) in bySlot {
      let master: RedisConfiguration.Endpoint
      if let slot { master = try await core.owner(of: slot, caller) } else { master = try await core.anyMaster(caller) }
      byMaster[master, default: []] += indexes
    }
    for (master, indexes) in byMaster {
      let sorted = indexes.sorted()
      let client = try await core.client(for: master, caller)
      let got = try await client.on(caller).executeBatch(sorted.map { commands[$0] }, timeout: timeout)
      for (i, reply) in zip(sorted, got) {
        // A command redirected (its slot moved meanwhile) is sent again on its own.
        if case .error(let e) = reply, isRedirect(e) {
          replies[i] = try await execute(commands[i], timeout: timeout)
        } else {
          replies[i] = reply
        }
      }
    }
    return replies
  }

  /// Sends `commands` (one command, or a whole transaction) for `slot`, following
  /// redirects.
  private func run(_ commands: [RedisCommand], slot: Int?, timeout: Duration?) async throws -> [RESPValue] {
    var asking: RedisConfiguration.Endpoint?
    var lastProblem = ""
    for attempt in 0..<ClusterCore.maxRedirects {
      let target: RedisConfiguration.Endpoint
      if let asking {
        target = asking
      } else if let slot {
        target = try await core.owner(of: slot, caller)
      } else {
        target = try await core.anyMaster(caller)
      }
      let redis = try await core.client(for: target, caller).on(caller)
      var replies: [RESPValue]
      do {
        if asking != nil {
          replies = Array(try await redis.executeBatch([RedisCommand("ASKING")] + commands, timeout: timeout).dropFirst())
        } else if commands.count == 1 {
          replies = [try await redis.execute(commands[0], timeout: timeout)]
        } else {
          replies = try await redis.executeBatch(commands, timeout: timeout)
        }
      } catch RedisError.notConnected(let why) {
        // Never sent: the master is down or moved. Read the map again and retry.
        lastProblem = "\(target): \(why)"
        try? await core.refresh(caller)
        try await pause(attempt)
        continue
      }
      asking = nil
      // The redirect, if any, is the command's reply (or, in a transaction, a queued
      // command's, which aborts the EXEC).
      guard
        let redirect = replies.lazy.compactMap({ r -> RedisServerError? in
          if case .error(let e) = r, isRedirect(e) { return e }
          return nil
        }).first
      else { return replies }
      lastProblem = redirect.message
      switch redirect.kind {
      case .moved(let movedSlot, let host, let port):
        core.moved(movedSlot, to: .tcp(host: host, port: port))
      case .ask(_, let host, let port):
        asking = .tcp(host: host, port: port)
      case .tryAgain, .clusterDown:
        try await pause(attempt)
      default:
        return replies
      }
    }
    throw RedisError.cluster(
      "gave up on \(commands.map(\.name).joined(separator: " ")) after \(ClusterCore.maxRedirects) attempts (last: \(lastProblem))")
  }

  /// 25 ms, 50 ms, ... between retries of a command the cluster could not take.
  private func pause(_ attempt: Int) async throws {
    try await Task.sleep(for: .milliseconds(25 * (attempt + 1)))
  }
}

private func isRedirect(_ e: RedisServerError) -> Bool {
  switch e.kind {
  case .moved, .ask, .tryAgain, .clusterDown: return true
  default: return false
  }
}
