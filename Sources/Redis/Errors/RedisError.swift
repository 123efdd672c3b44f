// Why a Redis command failed: what callers catch.

/// Why a command got no (successful) reply. Every case carries enough to act on.
public enum RedisError: Error, Sendable, Equatable, CustomStringConvertible {
  /// Redis answered with an error (see `RedisServerError.kind`).
  case server(RedisServerError)
  /// There is no connection right now: `reason` says why (refused, lost, handshake
  /// failed) and when the next attempt is.
  case notConnected(String)
  /// The connection was lost with this command sent and not answered: it may or may not
  /// have run.
  case connectionLost(String)
  /// No reply within the timeout. The command may still run; its reply is dropped.
  case timeout(String)
  /// Redis sent bytes that are not RESP (the connection is closed and reopened).
  case protocolError(String)
  /// A reply of an unexpected type for this command (`expected`, what came instead).
  case unexpectedReply(command: String, expected: String, got: String)
  /// A request that cannot be sent as it is (empty command, keys in different cluster
  /// slots, a SUBSCRIBE through `send`).
  case invalidRequest(String)
  /// The client (or its connection process) is stopped.
  case stopped
  /// Redis Cluster: no node serves this slot, or redirects went on too long.
  case cluster(String)

  public var description: String {
    switch self {
    case .server(let e): return e.message
    case .notConnected(let why): return "not connected to Redis: \(why)"
    case .connectionLost(let why): return "connection to Redis lost before the reply: \(why)"
    case .timeout(let what): return "no reply from Redis in time: \(what)"
    case .protocolError(let why): return "Redis protocol error: \(why)"
    case .unexpectedReply(let command, let expected, let got): return "\(command): expected \(expected) from Redis, got \(got)"
    case .invalidRequest(let why): return "invalid Redis request: \(why)"
    case .stopped: return "the Redis client is stopped"
    case .cluster(let why): return "Redis Cluster: \(why)"
    }
  }

  /// The server error's kind, if this is one.
  public var serverKind: RedisServerError.Kind? {
    if case .server(let e) = self { return e.kind }
    return nil
  }
}
