// Subscribing a process: its messages arrive in its mailbox, as events it chooses the
// shape of. The client's pub/sub connection keeps the subscriptions and restores them
// after a reconnect (telling the subscriber with `.disconnected` and `.resubscribed`).
import Actors

extension RedisClient {
  /// Subscribes the calling process to `names` (channels, patterns or shard channels);
  /// returns once Redis has confirmed every one. Messages arrive as `wrap(event)`.
  /// The subscription ends when the process ends, or with `unsubscribe`.
  ///
  /// ```swift
  /// enum Room: Sendable { case say(String), redis(RedisPubSubEvent) }
  /// try await client.subscribe(["room:lobby"], ctx) { .redis($0) }
  /// ```
  public func subscribe<M: Sendable>(
    _ names: [String], kind: RedisSubscriptionKind = .channel, _ ctx: Context<M>,
    as wrap: @escaping @Sendable (RedisPubSubEvent) -> M
  ) async throws {
    try await subscribe(names, kind: kind, deliverTo: ctx.address, caller: ctx, as: wrap)
  }

  /// Subscribes a process whose messages are the events themselves.
  public func subscribe(_ names: [String], kind: RedisSubscriptionKind = .channel, _ ctx: Context<RedisPubSubEvent>) async throws {
    try await subscribe(names, kind: kind, deliverTo: ctx.address, caller: ctx) { $0 }
  }

  /// Subscribes the process at `address` (not necessarily the caller).
  public func subscribe<M: Sendable>(
    _ names: [String], kind: RedisSubscriptionKind = .channel, deliverTo address: Address<M>, caller: some RedisCaller,
    as wrap: @escaping @Sendable (RedisPubSubEvent) -> M
  ) async throws {
    guard !names.isEmpty else { throw RedisError.invalidRequest("subscribe needs at least one \(kind.rawValue)") }
    let subscriber = Subscriber(pid: address.pid) { event in address.send(wrap(event)) }
    let result: Result<Void, RedisError> = try await call(
      caller, try core.subscriber(), kind.subscribeCommand, timeout: core.config.commandTimeout
    ) { .subscribe(kind, names, subscriber, $0) }
    try result.get()
  }

  /// Ends the calling process's subscriptions to `names` (all of this kind when nil).
  public func unsubscribe<M: Sendable>(_ names: [String]? = nil, kind: RedisSubscriptionKind = .channel, _ ctx: Context<M>) async throws {
    try await unsubscribe(names, kind: kind, pid: ctx.pid, caller: ctx)
  }

  /// Ends `pid`'s subscriptions to `names` (all of this kind when nil).
  public func unsubscribe(_ names: [String]? = nil, kind: RedisSubscriptionKind = .channel, pid: Pid, caller: some RedisCaller)
    async throws
  {
    let result: Result<Void, RedisError> = try await call(
      caller, try core.subscriber(), kind.unsubscribeCommand, timeout: core.config.commandTimeout
    ) { .unsubscribe(kind, names, pid, $0) }
    try result.get()
  }
}

extension RedisCommands {
  /// PUBLISH: returns how many subscribers received it (on this node, in a cluster).
  @discardableResult
  public func publish(_ channel: String, _ message: some RESPArgument) async throws -> Int {
    try await send(RedisCommand("PUBLISH", channel, message)).expectInt("PUBLISH")
  }

  /// SPUBLISH (Redis 7): publish to a shard channel.
  @discardableResult
  public func spublish(_ channel: String, _ message: some RESPArgument) async throws -> Int {
    try await send(RedisCommand("SPUBLISH", channel, message)).expectInt("SPUBLISH")
  }
}
