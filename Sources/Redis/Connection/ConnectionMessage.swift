// What callers send a connection process. Made by RedisClient / Redis sessions; read
// only by the connection process.
import Actors

/// The reply to one command: the value Redis sent (an error reply is `.error`), or why
/// there was none.
typealias CommandResult = Result<RESPValue, RedisError>

/// The replies to a batch of commands sent back to back (a pipeline, MULTI...EXEC).
typealias BatchResult = Result<[RESPValue], RedisError>

enum ConnectionMessage: Sendable {
  /// One command (its wire bytes).
  case command([UInt8], ReplyTo<CommandResult>)
  /// `count` commands written together, with no other caller's in between.
  case batch([UInt8], count: Int, ReplyTo<BatchResult>)
  /// Subscribes `subscriber` (delivering through `deliver`) to channels, patterns or
  /// shard channels; replies once Redis confirmed every one.
  case subscribe(RedisSubscriptionKind, [String], Subscriber, ReplyTo<Result<Void, RedisError>>)
  /// Ends `pid`'s subscriptions of this kind (all of them when the list is nil).
  case unsubscribe(RedisSubscriptionKind, [String]?, Pid, ReplyTo<Result<Void, RedisError>>)
  /// Replies after the first connection attempt: connected, or why not.
  case awaitReady(ReplyTo<Result<Void, RedisError>>)
  /// What the connection is doing (tests, observer).
  case status(ReplyTo<RedisConnectionStatus>)
  /// The reconnect timer.
  case reconnect
  /// Ends the connection process (a dedicated connection's `close`).
  case close
}

/// A process subscribed through a connection, and how to reach it.
struct Subscriber: Sendable {
  let pid: Pid
  let deliver: @Sendable (RedisPubSubEvent) -> Void
}

/// A connection's state, as `RedisClient.status` shows it.
public struct RedisConnectionStatus: Sendable, Equatable {
  /// Connected and handshaken.
  public var connected: Bool
  /// 2 or 3 (0 before the first connection).
  public var protocolVersion: Int
  /// Commands written and not yet answered.
  public var inFlight: Int
  /// Channels, patterns and shard channels subscribed.
  public var subscriptions: Int
  /// Successful connections so far (1 + reconnects).
  public var connections: Int
  /// Why the last connection ended or failed, if one did.
  public var lastError: String?
}
