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
    if commands.count >= 2, commands[0].isNamed(multiName), commands[commands.count - 1].isNamed(execName) {
      inner = commands.dropFirst().dropLast()
    }
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
  // Checked on every command: compare bytes (most names, GET and SET among them, are
  // ruled out by their length alone) rather than make an upper-cased String.
  guard let first = command.firstArgument, first.count < 64, BlockingNames.lengths & (1 << UInt64(first.count)) != 0,
    let name = BlockingNames.all.first(where: { asciiEqualsUppercase(first, $0) })
  else { return false }
  if name == BlockingNames.xread || name == BlockingNames.xreadgroup {
    return command.arguments.contains { asciiEqualsUppercase($0, BlockingNames.block) }
  }
  return true
}

/// The names `blocksConnection` refuses, in upper case.
private enum BlockingNames {
  static let all: [[UInt8]] = [
    "SUBSCRIBE", "PSUBSCRIBE", "SSUBSCRIBE", "UNSUBSCRIBE", "PUNSUBSCRIBE", "SUNSUBSCRIBE", "MONITOR", "WATCH", "UNWATCH",
    "MULTI", "EXEC", "DISCARD", "SELECT", "BLPOP", "BRPOP", "BLMOVE", "BRPOPLPUSH", "BZPOPMIN", "BZPOPMAX", "BLMPOP", "BZMPOP",
    "WAIT", "WAITAOF", "QUIT", "RESET", "HELLO", "AUTH", "XREAD", "XREADGROUP",
  ].map { Array($0.utf8) }
  /// Bit n set: some name has n bytes.
  static let lengths: UInt64 = all.reduce(0) { $0 | 1 << UInt64($1.count) }
  static let xread = Array("XREAD".utf8)
  static let xreadgroup = Array("XREADGROUP".utf8)
  static let block = Array("BLOCK".utf8)
}

extension RedisCommand {
  /// Whether the command's name is `upper` (given in upper case), in any case.
  func isNamed(_ upper: [UInt8]) -> Bool {
    guard let first = firstArgument else { return false }
    return asciiEqualsUppercase(first, upper)
  }
}

/// Whether `bytes` equals `upper` (ASCII, upper case) ignoring the case of letters.
func asciiEqualsUppercase(_ bytes: ArraySlice<UInt8>, _ upper: [UInt8]) -> Bool {
  guard bytes.count == upper.count else { return false }
  var i = bytes.startIndex
  for u in upper {
    let b = bytes[i]
    guard b == u || (b >= UInt8(ascii: "a") && b <= UInt8(ascii: "z") && b - 32 == u) else { return false }
    i += 1
  }
  return true
}

private let multiName = Array("MULTI".utf8)
private let execName = Array("EXEC".utf8)
