// The command API, written once for everything that can run a command: a pooled session,
// a dedicated connection, a cluster session. Each conformer supplies `execute` and
// `executeBatch`; the typed commands in this folder are built on them.

/// Something that runs Redis commands. Errors thrown are `RedisError`s (or the calling
/// process's exit, which is never swallowed).
public protocol RedisCommands {
  /// Runs one command and returns its reply as sent, error replies included (as `.error`).
  func execute(_ command: RedisCommand, timeout: Duration?) async throws -> RESPValue
  /// Runs commands written back to back (no other caller's in between), and returns
  /// their replies in order, error replies included.
  func executeBatch(_ commands: [RedisCommand], timeout: Duration?) async throws -> [RESPValue]
}

extension RedisCommands {
  /// Runs one command; an error reply is thrown as `RedisError.server`.
  ///
  /// ```swift
  /// let n = try await redis.send(["INCRBY", "hits", "5"]).int
  /// ```
  @discardableResult
  public func send(_ command: RedisCommand, timeout: Duration? = nil) async throws -> RESPValue {
    let reply = try await execute(command, timeout: timeout)
    if case .error(let e) = reply { throw RedisError.server(e) }
    return reply
  }

  /// `send(RedisCommand(parts))`: the raw form, as redis-cli takes it.
  @discardableResult
  public func send(_ parts: [String], timeout: Duration? = nil) async throws -> RESPValue {
    try await send(RedisCommand(parts), timeout: timeout)
  }

  /// Sends the commands in one write and returns every reply in order; an error reply
  /// is a `.error` value in its place (the others still ran).
  public func pipeline(_ commands: [RedisCommand], timeout: Duration? = nil) async throws -> [RESPValue] {
    try await executeBatch(commands, timeout: timeout)
  }

  /// MULTI, the commands, EXEC, in one write: they run together, with nothing else in
  /// between. Returns EXEC's replies (an error reply is a `.error` value in its place).
  /// Throws `RedisError.server` with EXECABORT if Redis refused one while queueing them
  /// (none ran then).
  public func transaction(_ commands: [RedisCommand], timeout: Duration? = nil) async throws -> [RESPValue] {
    guard !commands.isEmpty else { return [] }
    let replies = try await executeBatch([RedisCommand("MULTI")] + commands + [RedisCommand("EXEC")], timeout: timeout)
    guard let exec = replies.last else { throw RedisError.protocolError("no reply to EXEC") }
    switch exec {
    case .error(let e):
      // EXECABORT: say which command was refused.
      let refused = zip(commands, replies.dropFirst().dropLast()).first { if case .error = $0.1 { return true } else { return false } }
      if let (command, reply) = refused, case .error(let why) = reply {
        throw RedisError.server(RedisServerError(message: "\(e.message) (\(command.name): \(why.message))"))
      }
      throw RedisError.server(e)
    case .null: throw RedisError.server(RedisServerError(message: "EXECABORT the transaction was aborted (a WATCHed key changed)"))
    default:
      guard let results = exec.array else { throw RedisError.unexpectedReply(command: "EXEC", expected: "array", got: exec.typeName) }
      return results
    }
  }
}

/// Reply checks shared by the typed commands.
extension RESPValue {
  func expectOK(_ command: String) throws {
    switch self {
    case .simpleString: return
    default: throw RedisError.unexpectedReply(command: command, expected: "OK", got: typeName)
    }
  }

  func expectInt(_ command: String) throws -> Int {
    guard let i = int else { throw RedisError.unexpectedReply(command: command, expected: "integer", got: typeName) }
    return i
  }

  func expectArray(_ command: String) throws -> [RESPValue] {
    if isNull { return [] }
    guard let a = array else { throw RedisError.unexpectedReply(command: command, expected: "array", got: typeName) }
    return a
  }
}
