// A client used by one caller: commands go to the client's connections, round robin,
// and the caller waits for each reply in its own mailbox (or, outside a process, on the
// node). Made per use; holds no state of its own.
import Actors

/// A `RedisClient` bound to a caller: run commands with it.
///
/// ```swift
/// let redis = client.on(ctx)
/// try await redis.set("k", "v", expire: .seconds(60))
/// ```
public struct RedisSession<Caller: RedisCaller>: RedisCommands {
  public let client: RedisClient
  public let caller: Caller

  public init(client: RedisClient, caller: Caller) {
    self.client = client
    self.caller = caller
  }

  public func execute(_ command: RedisCommand, timeout: Duration? = nil) async throws -> RESPValue {
    try command.checkNotEmpty()
    if blocksConnection(command) {
      throw RedisError.invalidRequest(
        "\(command.name) would hold a shared connection: run it on `client.dedicated(...)`, or use the client's subscribe")
    }
    let address = try client.core.pick()
    let result: CommandResult = try await call(
      caller, address, command.name, timeout: timeout ?? client.core.config.commandTimeout
    ) { .command(command.bytes, $0) }
    return try result.get()
  }

  public func executeBatch(_ commands: [RedisCommand], timeout: Duration? = nil) async throws -> [RESPValue] {
    for c in commands { try c.checkNotEmpty() }
    // A transaction is sent whole, so MULTI and EXEC are fine around it.
    var inner = commands[...]
    if commands.count >= 2, commands.first?.name == "MULTI", commands.last?.name == "EXEC" { inner = commands.dropFirst().dropLast() }
    if let bad = inner.first(where: blocksConnection) {
      throw RedisError.invalidRequest("\(bad.name) would hold a shared connection: run it on `client.dedicated(...)`")
    }
    var bytes: [UInt8] = []
    for c in commands { bytes += c.bytes }
    let address = try client.core.pick()
    let result: BatchResult = try await call(
      caller, address, "a batch of \(commands.count) commands", timeout: timeout ?? client.core.config.commandTimeout
    ) { .batch(bytes, count: commands.count, $0) }
    return try result.get()
  }
}

/// Commands that would stop a shared, pipelined connection from serving other callers,
/// or change its state for them.
func blocksConnection(_ command: RedisCommand) -> Bool {
  guard let first = command.firstArgument, first.count <= 12 else { return false }
  switch String(decoding: first, as: UTF8.self).uppercased() {
  case "SUBSCRIBE", "PSUBSCRIBE", "SSUBSCRIBE", "UNSUBSCRIBE", "PUNSUBSCRIBE", "SUNSUBSCRIBE", "MONITOR", "WATCH", "UNWATCH",
    "MULTI", "EXEC", "DISCARD", "SELECT", "BLPOP", "BRPOP", "BLMOVE", "BRPOPLPUSH", "BZPOPMIN", "BZPOPMAX", "BLMPOP", "BZMPOP",
    "WAIT", "WAITAOF", "QUIT", "RESET", "HELLO", "AUTH":
    return true
  case "XREAD", "XREADGROUP":
    return command.arguments.contains { String(decoding: $0, as: UTF8.self).uppercased() == "BLOCK" }
  default: return false
  }
}
