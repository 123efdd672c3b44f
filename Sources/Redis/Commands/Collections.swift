// Hashes, sets, lists and sorted sets: the commands chatd and the distribution layer use.

extension RedisCommands {
  // MARK: Hashes

  /// HSET: how many fields were new.
  @discardableResult
  public func hset(_ key: String, _ fields: [(String, String)]) async throws -> Int {
    try await send(RedisCommand(arguments: ["HSET", key] + fields.flatMap { [$0.0, $0.1] })).expectInt("HSET")
  }

  /// HGET: the field's value, nil if absent.
  public func hget(_ key: String, _ field: String) async throws -> RESPValue? {
    let reply = try await send(RedisCommand("HGET", key, field))
    return reply.isNull ? nil : reply
  }

  /// HGETALL as a dictionary (field → value).
  public func hgetall(_ key: String) async throws -> [String: RESPValue] {
    let reply = try await send(RedisCommand("HGETALL", key))
    guard let d = reply.dictionary else { throw RedisError.unexpectedReply(command: "HGETALL", expected: "map", got: reply.typeName) }
    return d
  }

  /// HDEL: how many fields existed.
  @discardableResult
  public func hdel(_ key: String, _ fields: [String]) async throws -> Int {
    try await send(RedisCommand(arguments: ["HDEL", key] + fields)).expectInt("HDEL")
  }

  // MARK: Sets

  /// SADD: how many members were new.
  @discardableResult
  public func sadd(_ key: String, _ members: [String]) async throws -> Int {
    try await send(RedisCommand(arguments: ["SADD", key] + members)).expectInt("SADD")
  }

  /// SREM: how many members were there.
  @discardableResult
  public func srem(_ key: String, _ members: [String]) async throws -> Int {
    try await send(RedisCommand(arguments: ["SREM", key] + members)).expectInt("SREM")
  }

  /// SMEMBERS as strings.
  public func smembers(_ key: String) async throws -> Set<String> {
    Set(try await send(RedisCommand("SMEMBERS", key)).expectArray("SMEMBERS").compactMap(\.string))
  }

  // MARK: Lists

  /// RPUSH: the list's new length.
  @discardableResult
  public func rpush(_ key: String, _ values: [String]) async throws -> Int {
    try await send(RedisCommand(arguments: ["RPUSH", key] + values)).expectInt("RPUSH")
  }

  /// LRANGE (inclusive indexes; -1 is the last).
  public func lrange(_ key: String, _ start: Int, _ stop: Int) async throws -> [RESPValue] {
    try await send(RedisCommand("LRANGE", key, start, stop)).expectArray("LRANGE")
  }

  // MARK: Sorted sets

  /// ZADD: how many members were new.
  @discardableResult
  public func zadd(_ key: String, _ members: [(score: Double, member: String)]) async throws -> Int {
    var args: [String] = ["ZADD", key]
    for m in members { args += [m.score == .infinity ? "+inf" : m.score == -.infinity ? "-inf" : String(m.score), m.member] }
    return try await send(RedisCommand(args)).expectInt("ZADD")
  }

  /// ZRANGE by score (inclusive), lowest first.
  public func zrangeByScore(_ key: String, min: Double, max: Double, limit: Int? = nil) async throws -> [String] {
    var command = RedisCommand("ZRANGE", key, min, max, "BYSCORE")
    if let limit { command = command.appending(["LIMIT", "0", String(limit)]) }
    return try await send(command).expectArray("ZRANGE").compactMap(\.string)
  }

  /// ZREM: how many members were there.
  @discardableResult
  public func zrem(_ key: String, _ members: [String]) async throws -> Int {
    try await send(RedisCommand(arguments: ["ZREM", key] + members)).expectInt("ZREM")
  }
}
