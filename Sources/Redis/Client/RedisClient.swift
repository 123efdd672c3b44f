// A client: a supervised pool of connection processes for commands, and one for
// subscriptions. The handle is a value anyone may copy; the processes live under the
// client's own supervisor (or the caller's, through `childSpec`).
//
// Owner: ClientCore's slots are written by the connection children's start functions;
// `supervisor` by start/stop. Everything else is immutable.
import Actors
import GenServer
import Supervision
import Synchronization

/// A Redis client: a pool of pipelined connections, each a supervised process that
/// reconnects by itself, and a connection for pub/sub.
///
/// ```swift
/// let client = try await RedisClient.start(RedisConfiguration(url: "redis://127.0.0.1:6379"), on: node)
/// try await node.run { ctx in
///   let redis = client.on(ctx)
///   try await redis.set("greeting", "hello")
///   print(try await redis.get("greeting")?.string ?? "-")
/// }
/// ```
public struct RedisClient: Sendable {
  let core: ClientCore

  /// The configuration every connection uses.
  public var configuration: RedisConfiguration { core.config }

  /// A client not started yet: start it with `start(on:)`, or put `childSpec()` in your
  /// own supervision tree.
  /// - Parameters:
  ///   - config: where Redis is and how to talk to it.
  ///   - poolSize: connections for commands (each pipelines many callers; 1-2 is usually
  ///     enough; more spreads the work over schedulers).
  public init(_ config: RedisConfiguration, poolSize: Int = 2) {
    core = ClientCore(config: config, poolSize: max(1, poolSize))
  }

  /// Starts a client under its own supervisor and waits for the first connection.
  /// Throws `RedisError.notConnected` (with the cause) if Redis cannot be reached.
  public static func start(_ config: RedisConfiguration, poolSize: Int = 2, on node: Node) async throws -> RedisClient {
    let client = RedisClient(config, poolSize: poolSize)
    try await client.start(on: node)
    return client
  }

  /// Starts this client's supervisor (not linked to anything) and waits until every
  /// connection has connected once.
  public func start(on node: Node) async throws {
    let supervisor: GenServerRef<Supervisor>?
    do {
      supervisor = try await node.start(core.supervisor())
    } catch {
      throw RedisError.notConnected("the client's supervisor did not start: \(error)")
    }
    guard let supervisor else { return }
    core.supervisorRef.withLock { $0 = supervisor }
    do {
      try await awaitReady(node)
    } catch {
      try? await node.stop(supervisor)
      throw error
    }
  }

  /// The client as a child of your supervisor: a supervisor of its connections. The
  /// child starts without waiting for Redis (commands fail with `.notConnected` until
  /// the connections are up); use `awaitReady` to wait.
  public func childSpec(id: String = "redis") -> ChildSpec {
    let core = self.core
    return ChildSpec(id: id, type: .supervisor) { ctx in
      try await ctx.startLink(core.supervisor())?.pid
    }
  }

  /// Waits until every connection has tried once; throws the reason if one could not
  /// connect.
  public func awaitReady(_ caller: some RedisCaller, timeout: Duration? = nil) async throws {
    let wait = timeout ?? core.config.connectTimeout + .seconds(1)
    for slot in core.slots + [core.subscriberSlot] {
      guard let address = slot.address else { throw RedisError.stopped }
      let result: Result<Void, RedisError> = try await call(caller, address, "connect", timeout: wait) { .awaitReady($0) }
      try result.get()
    }
  }

  /// Stops the client's supervisor (when started with `start(on:)`): connections close,
  /// commands in flight fail, later commands throw `.stopped`.
  public func stop(_ node: Node) async {
    let supervisor = core.supervisorRef.withLock { ref in
      defer { ref = nil }
      return ref
    }
    for slot in core.slots + [core.subscriberSlot] { slot.state.withLock { $0.stopped = true } }
    if let supervisor { try? await node.stop(supervisor) }
  }

  /// This client, used from `caller` (a process's context, or a node from outside).
  public func on<C: RedisCaller>(_ caller: C) -> RedisSession<C> { RedisSession(client: self, caller: caller) }

  /// The state of each connection, the pub/sub one last.
  public func status(_ caller: some RedisCaller) async throws -> [RedisConnectionStatus] {
    var result: [RedisConnectionStatus] = []
    for slot in core.slots + [core.subscriberSlot] {
      guard let address = slot.address else { throw RedisError.stopped }
      result.append(try await call(caller, address, "status", timeout: .seconds(5)) { .status($0) })
    }
    return result
  }
}

extension RedisClient {
  /// The connection processes now: the command pool's, then the pub/sub one (tests and
  /// the observer).
  public var connectionPids: [Pid] { (core.slots + [core.subscriberSlot]).compactMap { $0.address?.pid } }
}

/// Sends a request to a connection process, turning call failures into RedisErrors.
func call<R: Sendable>(
  _ caller: some RedisCaller, _ address: Address<ConnectionMessage>, _ what: @autoclosure () -> String, timeout: Duration,
  _ make: (ReplyTo<R>) -> ConnectionMessage
) async throws -> R {
  do {
    return try await caller.request(address, timeout: .after(timeout), make)
  } catch let e as CallError {
    switch e {
    case .timeout: throw RedisError.timeout("\(what()) after \(timeout)")
    case .noproc: throw RedisError.connectionLost("the connection process had ended")
    case .exited(let reason): throw RedisError.connectionLost("the connection process ended (\(reason))")
    default: throw RedisError.connectionLost("\(e)")
    }
  }
}

/// What every copy of a client handle shares.
final class ClientCore: Sendable {
  let config: RedisConfiguration
  let slots: [ConnectionSlot]
  let subscriberSlot: ConnectionSlot
  let next = Atomic<Int>(0)
  let supervisorRef = Locked<GenServerRef<Supervisor>?>(nil)

  init(config: RedisConfiguration, poolSize: Int) {
    self.config = config
    slots = (0..<poolSize).map { ConnectionSlot(index: $0) }
    subscriberSlot = ConnectionSlot(index: poolSize)
  }

  /// The next command connection, round robin, skipping those that are down (if all
  /// are, the next one, which answers why).
  func pick() throws -> Address<ConnectionMessage> {
    let n = next.wrappingAdd(1, ordering: .relaxed).oldValue
    var slot = slots[n % slots.count]
    if !slot.connected.load(ordering: .relaxed), let up = slots.first(where: { $0.connected.load(ordering: .relaxed) }) { slot = up }
    return try Self.address(of: slot)
  }

  func subscriber() throws -> Address<ConnectionMessage> { try Self.address(of: subscriberSlot) }

  /// The slot's process; reads two fields only (this is on every command's path: not a
  /// copy of the slot's subscription table).
  private static func address(of slot: ConnectionSlot) throws -> Address<ConnectionMessage> {
    let (address, stopped) = slot.state.withLock { ($0.address, $0.stopped) }
    if let address { return address }
    throw stopped ? RedisError.stopped : RedisError.notConnected("the client is not started")
  }

  /// The supervisor of this client's connections (one_for_one: a connection that crashes
  /// is restarted alone, and finds its subscriptions in its slot).
  func supervisor() -> Supervisor {
    let config = self.config
    var children = slots.map { slot in Self.connectionChild(slot, config: config, role: .commands, id: "connection-\(slot.index)") }
    children.append(Self.connectionChild(subscriberSlot, config: config, role: .subscriber, id: "pubsub"))
    return Supervisor(SupervisorFlags(strategy: .oneForOne, intensity: 10, period: .seconds(10)), children: children)
  }

  private static func connectionChild(_ slot: ConnectionSlot, config: RedisConfiguration, role: RedisConnection.Role, id: String)
    -> ChildSpec
  {
    ChildSpec(id: id, shutdown: .timeout(.seconds(1))) { ctx in
      let address = ctx.spawnLink(ConnectionMessage.self) { c in
        try await RedisConnection.run(c, config: config, slot: slot, role: role)
      }
      slot.state.withLock {
        $0.address = address
        $0.stopped = false
      }
      return address.pid
    }
  }
}
