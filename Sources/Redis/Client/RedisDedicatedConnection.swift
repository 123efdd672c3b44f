// A connection of one's own: for blocking reads (XREAD BLOCK, BLPOP), WATCH, and
// anything else that would hold up the callers of a shared connection. Its process is
// linked to the process that asked for it, so it ends with it.
import Actors

/// A connection used by one caller only. Close it with `close()` (it also ends when the
/// process that opened it ends).
///
/// ```swift
/// let stream = try await client.dedicated(ctx)
/// let batch = try await stream.xreadgroup(group: "g", consumer: "c1", [("events", ">")], block: .seconds(5))
/// ```
public struct RedisDedicatedConnection<Caller: RedisCaller>: RedisCommands {
  let address: Address<ConnectionMessage>
  public let caller: Caller
  let config: RedisConfiguration

  public func execute(_ command: RedisCommand, timeout: Duration? = nil) async throws -> RESPValue {
    try command.checkNotEmpty()
    if isSubscribe(command) { throw RedisError.invalidRequest("subscribe through RedisClient.subscribe, not a dedicated connection") }
    let result: CommandResult = try await call(caller, address, command.name, timeout: timeout ?? config.commandTimeout) {
      .command(command.bytes, $0)
    }
    return try result.get()
  }

  public func executeBatch(_ commands: [RedisCommand], timeout: Duration? = nil) async throws -> [RESPValue] {
    for c in commands { try c.checkNotEmpty() }
    if commands.contains(where: isSubscribe) {
      throw RedisError.invalidRequest("subscribe through RedisClient.subscribe, not a dedicated connection")
    }
    var bytes: [UInt8] = []
    for c in commands { bytes += c.bytes }
    let result: BatchResult = try await call(caller, address, "a batch", timeout: timeout ?? config.commandTimeout) {
      .batch(bytes, count: commands.count, $0)
    }
    return try result.get()
  }

  /// Closes the connection; commands in flight fail with `.stopped`.
  public func close() { address.send(.close) }

  /// The connection's process.
  public var pid: Pid { address.pid }
}

private func isSubscribe(_ command: RedisCommand) -> Bool {
  switch command.name {
  case "SUBSCRIBE", "PSUBSCRIBE", "SSUBSCRIBE", "UNSUBSCRIBE", "PUNSUBSCRIBE", "SUNSUBSCRIBE", "MONITOR": return true
  default: return false
  }
}

extension RedisClient {
  /// Opens a connection for the calling process alone, linked to it, and waits until
  /// it is connected (throws `.notConnected` with the cause otherwise).
  public func dedicated<M: Sendable>(_ ctx: Context<M>) async throws -> RedisDedicatedConnection<Context<M>> {
    let config = core.config
    let slot = ConnectionSlot(index: -1)
    let owner = ctx.pid
    let address = ctx.spawnLink(ConnectionMessage.self) { c in
      try await RedisConnection.run(c, config: config, slot: slot, role: .commands, owner: owner)
    }
    return try await ready(RedisDedicatedConnection(address: address, caller: ctx, config: config))
  }

  /// Opens a dedicated connection from outside any process (close it when done).
  public func dedicated(_ node: Node) async throws -> RedisDedicatedConnection<Node> {
    let config = core.config
    let slot = ConnectionSlot(index: -1)
    let address = node.spawn(ConnectionMessage.self) { c in
      try await RedisConnection.run(c, config: config, slot: slot, role: .commands)
    }
    return try await ready(RedisDedicatedConnection(address: address, caller: node, config: config))
  }

  private func ready<C>(_ connection: RedisDedicatedConnection<C>) async throws -> RedisDedicatedConnection<C> {
    let result: Result<Void, RedisError> = try await call(
      connection.caller, connection.address, "connect", timeout: core.config.connectTimeout + .seconds(1)
    ) { .awaitReady($0) }
    do {
      try result.get()
    } catch {
      connection.close()
      throw error
    }
    return connection
  }
}
