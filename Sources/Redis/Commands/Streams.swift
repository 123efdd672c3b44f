// Streams: append with trimming, read (blocking on a dedicated connection), consumer
// groups, acknowledgement, pending entries and claiming them from dead consumers.

/// One stream entry.
public struct RedisStreamEntry: Sendable, Hashable {
  /// Its ID (`1700000000000-0`).
  public var id: String
  /// Its fields in order (a deleted entry still pending in a group has none).
  public var fields: [RESPPair]

  /// The value of the first field named `name`.
  public subscript(name: String) -> RESPValue? { fields.first { $0.key.string == name }?.value }

  init(_ value: RESPValue, command: String) throws {
    guard let parts = value.array, parts.count == 2, let id = parts[0].string else {
      throw RedisError.unexpectedReply(command: command, expected: "[id, fields]", got: value.description)
    }
    self.id = id
    fields = parts[1].isNull ? [] : (parts[1].pairs ?? [])
  }
}

/// The entries read from one stream.
public struct RedisStreamRead: Sendable, Hashable {
  public var stream: String
  public var entries: [RedisStreamEntry]
}

/// How XADD (or XTRIM) trims the stream.
public enum RedisStreamTrim: Sendable, Hashable {
  /// Keep about (`~`) or exactly (`=`) the last `count` entries.
  case maxLength(Int, approximate: Bool = true)
  /// Drop entries with IDs below `id`.
  case minID(String, approximate: Bool = true)

  var arguments: [String] {
    switch self {
    case .maxLength(let n, let approx): return ["MAXLEN", approx ? "~" : "=", String(n)]
    case .minID(let id, let approx): return ["MINID", approx ? "~" : "=", id]
    }
  }
}

/// A consumer group's pending summary (XPENDING key group).
public struct RedisPendingSummary: Sendable, Hashable {
  public var count: Int
  public var smallestID: String?
  public var largestID: String?
  /// Pending entries per consumer.
  public var consumers: [String: Int]
}

/// One pending entry (XPENDING key group start end count).
public struct RedisPendingEntry: Sendable, Hashable {
  public var id: String
  public var consumer: String
  /// Since it was last delivered.
  public var idle: Duration
  public var deliveries: Int
}

extension RedisCommands {
  /// XADD: appends an entry, trimming as asked; returns its ID.
  @discardableResult
  public func xadd(_ key: String, id: String = "*", _ fields: [(String, String)], trim: RedisStreamTrim? = nil) async throws -> String {
    guard !fields.isEmpty else { throw RedisError.invalidRequest("XADD needs at least one field") }
    let args = ["XADD", key] + (trim?.arguments ?? []) + [id] + fields.flatMap { [$0.0, $0.1] }
    let reply = try await send(RedisCommand(args))
    guard let added = reply.string else { throw RedisError.unexpectedReply(command: "XADD", expected: "an ID", got: reply.typeName) }
    return added
  }

  /// XREAD: entries after the given IDs (`$` for only new ones, with `block`). With
  /// `block`, run it on a dedicated connection (`client.dedicated`); returns [] when the
  /// block time passed with nothing new.
  public func xread(_ streams: [(key: String, after: String)], count: Int? = nil, block: Duration? = nil) async throws
    -> [RedisStreamRead]
  {
    var args = ["XREAD"]
    if let count { args += ["COUNT", String(count)] }
    if let block { args += ["BLOCK", String(Int(block / .milliseconds(1)))] }
    args += ["STREAMS"] + streams.map(\.key) + streams.map(\.after)
    return try streamReads(await send(RedisCommand(args), timeout: blockTimeout(block)), "XREAD")
  }

  /// XREADGROUP: entries for `consumer` of `group` (`>`: never delivered to anyone;
  /// `0`: this consumer's own pending ones). `noAck` skips the pending list.
  public func xreadgroup(
    group: String, consumer: String, _ streams: [(key: String, after: String)], count: Int? = nil, block: Duration? = nil,
    noAck: Bool = false
  ) async throws -> [RedisStreamRead] {
    var args = ["XREADGROUP", "GROUP", group, consumer]
    if let count { args += ["COUNT", String(count)] }
    if let block { args += ["BLOCK", String(Int(block / .milliseconds(1)))] }
    if noAck { args.append("NOACK") }
    args += ["STREAMS"] + streams.map(\.key) + streams.map(\.after)
    return try streamReads(await send(RedisCommand(args), timeout: blockTimeout(block)), "XREADGROUP")
  }

  /// XACK: how many of the IDs were pending.
  @discardableResult
  public func xack(_ key: String, group: String, _ ids: [String]) async throws -> Int {
    try await send(RedisCommand(arguments: ["XACK", key, group] + ids)).expectInt("XACK")
  }

  /// XGROUP CREATE (with MKSTREAM unless told not to). Returns false if the group
  /// already exists.
  @discardableResult
  public func xgroupCreate(_ key: String, group: String, startAt id: String = "$", makeStream: Bool = true) async throws -> Bool {
    var args = ["XGROUP", "CREATE", key, group, id]
    if makeStream { args.append("MKSTREAM") }
    let reply = try await execute(RedisCommand(args), timeout: nil)
    if case .error(let e) = reply {
      if e.code == "BUSYGROUP" { return false }
      throw RedisError.server(e)
    }
    return true
  }

  /// XPENDING's summary of a group.
  public func xpending(_ key: String, group: String) async throws -> RedisPendingSummary {
    let parts = try await send(RedisCommand("XPENDING", key, group)).expectArray("XPENDING")
    guard parts.count == 4 else { throw RedisError.unexpectedReply(command: "XPENDING", expected: "4 elements", got: "\(parts.count)") }
    var consumers: [String: Int] = [:]
    for c in parts[3].array ?? [] {
      if let pair = c.array, pair.count == 2, let name = pair[0].string, let n = pair[1].int { consumers[name] = n }
    }
    return RedisPendingSummary(count: parts[0].int ?? 0, smallestID: parts[1].string, largestID: parts[2].string, consumers: consumers)
  }

  /// XPENDING's entries between two IDs, for one consumer or all, idle at least `minIdle`.
  public func xpending(
    _ key: String, group: String, from start: String = "-", to end: String = "+", count: Int, consumer: String? = nil,
    minIdle: Duration? = nil
  ) async throws -> [RedisPendingEntry] {
    var args = ["XPENDING", key, group]
    if let minIdle { args += ["IDLE", String(Int(minIdle / .milliseconds(1)))] }
    args += [start, end, String(count)]
    if let consumer { args.append(consumer) }
    return try await send(RedisCommand(args)).expectArray("XPENDING").map { item in
      guard let p = item.array, p.count == 4, let id = p[0].string, let owner = p[1].string, let idle = p[2].int, let n = p[3].int else {
        throw RedisError.unexpectedReply(command: "XPENDING", expected: "[id, consumer, idle, deliveries]", got: item.description)
      }
      return RedisPendingEntry(id: id, consumer: owner, idle: .milliseconds(idle), deliveries: n)
    }
  }

  /// XAUTOCLAIM: takes entries idle for at least `minIdle` (their consumer likely died)
  /// for `consumer`. Returns where to continue (`0-0` when done), the entries, and the IDs
  /// of pending entries that no longer exist.
  public func xautoclaim(
    _ key: String, group: String, consumer: String, minIdle: Duration, start: String = "0-0", count: Int? = nil
  ) async throws -> (next: String, entries: [RedisStreamEntry], deleted: [String]) {
    var args = ["XAUTOCLAIM", key, group, consumer, String(Int(minIdle / .milliseconds(1))), start]
    if let count { args += ["COUNT", String(count)] }
    let parts = try await send(RedisCommand(args)).expectArray("XAUTOCLAIM")
    guard parts.count >= 2, let next = parts[0].string else {
      throw RedisError.unexpectedReply(command: "XAUTOCLAIM", expected: "[next, entries, deleted]", got: "\(parts.count) elements")
    }
    let entries = try (parts[1].array ?? []).filter { !$0.isNull }.map { try RedisStreamEntry($0, command: "XAUTOCLAIM") }
    let deleted = parts.count > 2 ? (parts[2].array ?? []).compactMap(\.string) : []
    return (next, entries, deleted)
  }

  /// XRANGE between two IDs (inclusive; `-` and `+` are the ends).
  public func xrange(_ key: String, from start: String = "-", to end: String = "+", count: Int? = nil) async throws -> [RedisStreamEntry] {
    var args = ["XRANGE", key, start, end]
    if let count { args += ["COUNT", String(count)] }
    return try await send(RedisCommand(args)).expectArray("XRANGE").map { try RedisStreamEntry($0, command: "XRANGE") }
  }

  /// XLEN
  public func xlen(_ key: String) async throws -> Int { try await send(RedisCommand("XLEN", key)).expectInt("XLEN") }

  /// XTRIM: how many entries were removed.
  @discardableResult
  public func xtrim(_ key: String, _ trim: RedisStreamTrim) async throws -> Int {
    try await send(RedisCommand(["XTRIM", key] + trim.arguments)).expectInt("XTRIM")
  }

  /// XDEL: how many entries were removed.
  @discardableResult
  public func xdel(_ key: String, _ ids: [String]) async throws -> Int {
    try await send(RedisCommand(arguments: ["XDEL", key] + ids)).expectInt("XDEL")
  }

  /// A blocking read waits up to `block` on the server: wait for the reply that long too.
  private func blockTimeout(_ block: Duration?) -> Duration? {
    guard let block else { return nil }
    return block == .zero ? .seconds(365 * 24 * 3600) : block + .seconds(5)
  }

  private func streamReads(_ reply: RESPValue, _ command: String) throws -> [RedisStreamRead] {
    if reply.isNull { return [] }
    // RESP3: a map of stream → entries; RESP2: an array of [stream, entries].
    let pairs: [RESPPair]
    if case .map(let p) = reply {
      pairs = p
    } else if let items = reply.array {
      pairs = try items.map { item in
        guard let kv = item.array, kv.count == 2 else {
          throw RedisError.unexpectedReply(command: command, expected: "[stream, entries]", got: item.description)
        }
        return RESPPair(key: kv[0], value: kv[1])
      }
    } else {
      throw RedisError.unexpectedReply(command: command, expected: "streams", got: reply.typeName)
    }
    return try pairs.map { p in
      RedisStreamRead(stream: p.key.string ?? "", entries: try (p.value.array ?? []).map { try RedisStreamEntry($0, command: command) })
    }
  }
}
