// Strings and keys: GET, SET (with expiry and conditions), counters, expiry, deletion.

/// When SET writes.
public enum RedisSetCondition: Sendable {
  /// Always.
  case always
  /// Only if the key does not exist (NX): a lock or lease.
  case ifNotExists
  /// Only if it exists (XX).
  case ifExists
}

extension RedisCommands {
  /// GET: the value, or nil if the key does not exist.
  public func get(_ key: String) async throws -> RESPValue? {
    let reply = try await send(RedisCommand("GET", key))
    return reply.isNull ? nil : reply
  }

  /// SET with an optional expiry (millisecond precision) and condition. Returns false
  /// when the condition kept it from being written.
  @discardableResult
  public func set(_ key: String, _ value: some RESPArgument, expire: Duration? = nil, condition: RedisSetCondition = .always)
    async throws -> Bool
  {
    var extra: [String] = []
    if let expire { extra += ["PX", String(max(1, Int(expire / .milliseconds(1))))] }
    switch condition {
    case .always: break
    case .ifNotExists: extra.append("NX")
    case .ifExists: extra.append("XX")
    }
    let reply = try await send(RedisCommand("SET", key, value).appending(extra))
    return !reply.isNull
  }

  /// MGET: one value (or nil) per key.
  public func mget(_ keys: [String]) async throws -> [RESPValue?] {
    guard !keys.isEmpty else { return [] }
    return try await send(RedisCommand(arguments: ["MGET"] + keys)).expectArray("MGET").map { $0.isNull ? nil : $0 }
  }

  /// MSET: several keys at once.
  public func mset(_ pairs: [(String, String)]) async throws {
    guard !pairs.isEmpty else { return }
    try await send(RedisCommand(arguments: ["MSET"] + pairs.flatMap { [$0.0, $0.1] })).expectOK("MSET")
  }

  /// DEL: how many of the keys existed.
  @discardableResult
  public func del(_ keys: String...) async throws -> Int { try await del(keys) }

  /// DEL: how many of the keys existed.
  @discardableResult
  public func del(_ keys: [String]) async throws -> Int {
    try await send(RedisCommand(arguments: ["DEL"] + keys)).expectInt("DEL")
  }

  /// EXISTS: how many of the keys exist.
  public func exists(_ keys: String...) async throws -> Int {
    try await send(RedisCommand(arguments: ["EXISTS"] + keys)).expectInt("EXISTS")
  }

  /// INCRBY: the new value.
  @discardableResult
  public func incr(_ key: String, by amount: Int = 1) async throws -> Int {
    try await send(RedisCommand("INCRBY", key, amount)).expectInt("INCRBY")
  }

  /// PEXPIRE: false if the key does not exist.
  @discardableResult
  public func expire(_ key: String, after duration: Duration) async throws -> Bool {
    try await send(RedisCommand("PEXPIRE", key, max(1, Int(duration / .milliseconds(1))))).expectInt("PEXPIRE") == 1
  }

  /// PTTL: the time left, nil if the key has no expiry or does not exist.
  public func ttl(_ key: String) async throws -> Duration? {
    let ms = try await send(RedisCommand("PTTL", key)).expectInt("PTTL")
    return ms < 0 ? nil : .milliseconds(ms)
  }

  /// PING: the server's answer (`PONG`).
  @discardableResult
  public func ping() async throws -> String {
    try await send(RedisCommand("PING")).string ?? ""
  }

  /// INFO (one section, or the default ones) as text.
  public func info(_ section: String? = nil) async throws -> String {
    let reply = try await send(section.map { RedisCommand("INFO", $0) } ?? RedisCommand("INFO"))
    guard let text = reply.string else { throw RedisError.unexpectedReply(command: "INFO", expected: "text", got: reply.typeName) }
    return text
  }
}
