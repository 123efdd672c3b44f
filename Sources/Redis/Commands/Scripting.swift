// Lua scripts: sent by SHA-1 (EVALSHA), and in full only when the server does not have
// them cached yet (NOSCRIPT), as every Redis client that scripts does.
import WebSocketAccept

/// A Lua script, with its SHA-1 computed once.
///
/// ```swift
/// let release = RedisScript("if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0")
/// try await redis.eval(release, keys: ["lock:room"], args: [token])
/// ```
public struct RedisScript: Sendable, Hashable {
  public let source: String
  /// The SHA-1 of the source, in hex: what EVALSHA takes.
  public let sha1: String

  public init(_ source: String) {
    self.source = source
    sha1 = SHA1.digest(Array(source.utf8)).map { b in
      let hex = String(b, radix: 16)
      return b < 16 ? "0" + hex : hex
    }.joined()
  }
}

extension RedisCommands {
  /// Runs `script` with EVALSHA, falling back to EVAL once if the server has not cached
  /// it (after a restart or SCRIPT FLUSH). Returns the script's reply; a script error
  /// is thrown as `RedisError.server`.
  @discardableResult
  public func eval(_ script: RedisScript, keys: [String] = [], args: [String] = [], timeout: Duration? = nil) async throws -> RESPValue {
    let tail = [String(keys.count)] + keys + args
    let reply = try await execute(RedisCommand(arguments: ["EVALSHA", script.sha1] + tail), timeout: timeout)
    if case .error(let e) = reply {
      guard e.kind == .noScript else { throw RedisError.server(e) }
      return try await send(RedisCommand(arguments: ["EVAL", script.source] + tail), timeout: timeout)
    }
    return reply
  }
}
