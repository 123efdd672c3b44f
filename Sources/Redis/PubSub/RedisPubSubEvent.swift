// What a subscribing process receives: messages, and word of lost and restored
// subscriptions (so a gap is never silent).
import Actors

/// The three kinds of subscription.
public enum RedisSubscriptionKind: String, Sendable, Hashable, CaseIterable {
  /// `SUBSCRIBE channel`
  case channel
  /// `PSUBSCRIBE pattern` (glob-style)
  case pattern
  /// `SSUBSCRIBE shardchannel` (Redis 7 sharded pub/sub)
  case shard

  var subscribeCommand: String {
    switch self {
    case .channel: return "SUBSCRIBE"
    case .pattern: return "PSUBSCRIBE"
    case .shard: return "SSUBSCRIBE"
    }
  }
  var unsubscribeCommand: String {
    switch self {
    case .channel: return "UNSUBSCRIBE"
    case .pattern: return "PUNSUBSCRIBE"
    case .shard: return "SUNSUBSCRIBE"
    }
  }
}

/// A published message.
public struct RedisPubSubMessage: Sendable, Hashable {
  /// How it matched: the channel, a pattern, or a shard channel.
  public var kind: RedisSubscriptionKind
  /// The channel it was published to.
  public var channel: String
  /// The pattern that matched (`kind == .pattern`).
  public var pattern: String?
  /// The message (binary-safe; `text` reads it as UTF-8).
  public var payload: ArraySlice<UInt8>

  public var text: String { String(decoding: payload, as: UTF8.self) }

  public init(kind: RedisSubscriptionKind, channel: String, pattern: String? = nil, payload: ArraySlice<UInt8>) {
    self.kind = kind
    self.channel = channel
    self.pattern = pattern
    self.payload = payload
  }
}

/// What a subscriber is told.
public enum RedisPubSubEvent: Sendable, Hashable {
  /// A message on one of its subscriptions.
  case message(RedisPubSubMessage)
  /// The connection was lost: messages published from now until `.resubscribed` are
  /// not delivered (Redis pub/sub keeps nothing for absent subscribers).
  case disconnected(reason: String)
  /// Every subscription is active again after a reconnect.
  case resubscribed
}
