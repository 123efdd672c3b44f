// A Redis Cluster client: one RedisClient (pool + pub/sub connection) per master, the
// slot map, and a refresher process that reads the topology and starts clients for new
// masters, one request at a time.
//
// Owner: ClusterCore.state (topology, per-master clients, the COMMAND table) is written
// by the refresher process, except single slots moved by a MOVED reply (any caller, under
// the lock); callers read it.
import Actors
import Synchronization

/// A client for Redis Cluster: commands go to the master that serves their keys' slot
/// (hash tags `{...}` keep keys together), following MOVED and ASK redirects and
/// refreshing the slot map when it changes.
///
/// ```swift
/// let cluster = try await RedisClusterClient.start(seeds: ["redis://127.0.0.1:7000"], on: node)
/// try await cluster.on(node).set("{user:42}.name", "ada")
/// ```
public struct RedisClusterClient: Sendable {
  let core: ClusterCore

  /// Connects to the cluster through the first seed that answers, reads its slot map and
  /// starts a client for each master (`poolSize` connections each). Every seed URL may
  /// carry the password and user; the first one's are used for every node.
  public static func start(seeds: [String], poolSize: Int = 1, on node: Node) async throws -> RedisClusterClient {
    let configs = try seeds.map { try RedisConfiguration(url: $0) }
    guard let template = configs.first else { throw RedisError.invalidRequest("a cluster client needs at least one seed") }
    return try await start(template: template, seeds: configs.map(\.endpoint), poolSize: poolSize, on: node)
  }

  /// `start(seeds:)` with a configuration for every node (its endpoint is replaced by
  /// each master's).
  public static func start(
    template: RedisConfiguration, seeds: [RedisConfiguration.Endpoint], poolSize: Int = 1, on node: Node
  ) async throws -> RedisClusterClient {
    if template.database != 0 {
      throw RedisError.invalidRequest("Redis Cluster has only database 0 (the seed URL asks for \(template.database))")
    }
    let core = ClusterCore(template: template, seeds: seeds, poolSize: max(1, poolSize), node: node)
    core.startRefresher()
    let client = RedisClusterClient(core: core)
    do {
      try await core.refresh(node)
    } catch {
      await client.stop(node)
      throw error
    }
    return client
  }

  /// This client used from `caller`.
  public func on<C: RedisCaller>(_ caller: C) -> RedisClusterSession<C> { RedisClusterSession(core: core, caller: caller) }

  /// Reads the slot map again now (it is also read after every MOVED).
  public func refreshTopology(_ caller: some RedisCaller) async throws { try await core.refresh(caller) }

  /// The masters and how many slots each serves, as this client sees them.
  public var masters: [(endpoint: RedisConfiguration.Endpoint, slots: Int)] {
    let topology = core.state.withLock { $0.topology }
    var counts: [RedisConfiguration.Endpoint: Int] = [:]
    for slot in 0..<HashSlot.count { if let e = topology.owner(of: slot) { counts[e, default: 0] += 1 } }
    return topology.nodes.compactMap { e in counts[e].map { (e, $0) } }
  }

  /// Stops every master's client and the refresher.
  public func stop(_ node: Node) async {
    let (clients, refresher) = core.state.withLock { s in
      s.stopped = true
      return (Array(s.clients.values), s.refresher)
    }
    refresher?.send(.stop)
    for c in clients { await c.stop(node) }
  }

  /// Subscribes the calling process. Channels and patterns go through the master of
  /// their name's slot (PUBLISH reaches every node of a cluster); shard channels through
  /// the master that serves them, one SSUBSCRIBE per slot.
  public func subscribe<M: Sendable>(
    _ names: [String], kind: RedisSubscriptionKind = .channel, _ ctx: Context<M>, as wrap: @escaping @Sendable (RedisPubSubEvent) -> M
  ) async throws {
    for (endpoint, group) in try await core.groupByOwner(names, ctx) {
      try await core.client(for: endpoint, ctx).subscribe(group, kind: kind, deliverTo: ctx.address, caller: ctx, as: wrap)
    }
  }

  /// Subscribes a process whose messages are the events themselves.
  public func subscribe(_ names: [String], kind: RedisSubscriptionKind = .channel, _ ctx: Context<RedisPubSubEvent>) async throws {
    try await subscribe(names, kind: kind, ctx) { $0 }
  }

  /// Ends the calling process's subscriptions to `names`.
  public func unsubscribe<M: Sendable>(_ names: [String], kind: RedisSubscriptionKind = .channel, _ ctx: Context<M>) async throws {
    for (endpoint, group) in try await core.groupByOwner(names, ctx) {
      try await core.client(for: endpoint, ctx).unsubscribe(group, kind: kind, ctx)
    }
  }
}

/// What the refresher process is asked.
enum RefresherMessage: Sendable {
  /// Read the slot map again (reply when done; nil: nobody waits).
  case refresh(ReplyTo<Result<Void, RedisError>>?)
  /// The client for a master, started if new.
  case client(RedisConfiguration.Endpoint, ReplyTo<Result<RedisClient, RedisError>>)
  case stop
}

final class ClusterCore: Sendable {
  struct State: Sendable {
    var topology = ClusterTopology()
    var clients: [RedisConfiguration.Endpoint: RedisClient] = [:]
    var commandKeys: CommandKeys?
    var refresher: Address<RefresherMessage>?
    var stopped = false
  }

  let template: RedisConfiguration
  let seeds: [RedisConfiguration.Endpoint]
  let poolSize: Int
  let node: Node
  let state = Locked(State())
  /// Redirects followed for one command before giving up.
  static let maxRedirects = 8

  init(template: RedisConfiguration, seeds: [RedisConfiguration.Endpoint], poolSize: Int, node: Node) {
    self.template = template
    self.seeds = seeds
    self.poolSize = poolSize
    self.node = node
  }

  func startRefresher() {
    let core = self
    let address = node.spawn(RefresherMessage.self) { ctx in
      ctx.label = "redis cluster refresher"
      try await ClusterCore.refresherLoop(core, ctx)
    }
    state.withLock { $0.refresher = address }
  }

  private var refresher: Address<RefresherMessage> {
    get throws {
      let s = state.withLock { ($0.refresher, $0.stopped) }
      guard let r = s.0, !s.1 else { throw RedisError.stopped }
      return r
    }
  }

  /// Reads the slot map now (one refresh at a time; requests that arrive meanwhile are
  /// answered by the next one).
  func refresh(_ caller: some RedisCaller) async throws {
    let result: Result<Void, RedisError> = try await caller.request(try refresher, timeout: .after(template.connectTimeout * 3)) {
      .refresh($0)
    }
    try result.get()
  }

  /// Asks for a refresh without waiting.
  func refreshSoon() { try? refresher.send(.refresh(nil)) }

  /// The client of the master at `endpoint`, started if need be.
  func client(for endpoint: RedisConfiguration.Endpoint, _ caller: some RedisCaller) async throws -> RedisClient {
    if let c = state.withLock({ $0.clients[endpoint] }) { return c }
    let result: Result<RedisClient, RedisError> = try await caller.request(try refresher, timeout: .after(template.connectTimeout * 2)) {
      .client(endpoint, $0)
    }
    return try result.get()
  }

  /// Names grouped by the master of their slot (for subscriptions), one group per slot.
  func groupByOwner(_ names: [String], _ caller: some RedisCaller) async throws -> [(RedisConfiguration.Endpoint, [String])] {
    var groups: [Int: [String]] = [:]
    for name in names { groups[HashSlot.of(name), default: []].append(name) }
    var result: [(RedisConfiguration.Endpoint, [String])] = []
    for (slot, group) in groups.sorted(by: { $0.key < $1.key }) {
      result.append((try await owner(of: slot, caller), group))
    }
    return result
  }

  /// The master of `slot`, refreshing the map once if nobody serves it.
  func owner(of slot: Int, _ caller: some RedisCaller) async throws -> RedisConfiguration.Endpoint {
    if let e = state.withLock({ $0.topology.owner(of: slot) }) { return e }
    try await refresh(caller)
    guard let e = state.withLock({ $0.topology.owner(of: slot) }) else {
      throw RedisError.cluster("no master serves slot \(slot) (the cluster has unassigned slots)")
    }
    return e
  }

  /// Any master (for commands without keys).
  func anyMaster(_ caller: some RedisCaller) async throws -> RedisConfiguration.Endpoint {
    if let e = state.withLock({ $0.topology.nodes.first }) { return e }
    try await refresh(caller)
    guard let e = state.withLock({ $0.topology.nodes.first }) else { throw RedisError.cluster("no master known") }
    return e
  }

  func moved(_ slot: Int, to endpoint: RedisConfiguration.Endpoint) {
    state.withLock { $0.topology.move(slot, to: endpoint) }
    refreshSoon()
  }

  // MARK: - The refresher process

  private static func refresherLoop(_ core: ClusterCore, _ ctx: Context<RefresherMessage>) async throws {
    while let message = try await ctx.next() {
      switch message {
      case .stop: return
      case .client(let endpoint, let reply):
        do {
          reply.reply(.success(try await core.startClient(endpoint)))
        } catch {
          reply.reply(.failure(error as? RedisError ?? .notConnected("\(error)")))
        }
      case .refresh(let first):
        // Answer every refresh request already queued with this one refresh.
        var waiting = first.map { [$0] } ?? []
        while let more = try await ctx.receive(
          timeout: .zero,
          { m -> ReplyTo<Result<Void, RedisError>>?? in
            if case .message(.refresh(let r)) = m { return .some(r) }
            return nil
          })
        {
          if let r = more { waiting.append(r) }
        }
        let outcome: Result<Void, RedisError>
        do {
          try await core.readTopology(ctx)
          outcome = .success(())
        } catch {
          outcome = .failure(error as? RedisError ?? .cluster("\(error)"))
        }
        for w in waiting { w.reply(outcome) }
      }
    }
  }

  private func startClient(_ endpoint: RedisConfiguration.Endpoint) async throws -> RedisClient {
    if let c = state.withLock({ $0.clients[endpoint] }) { return c }
    if state.withLock({ $0.stopped }) { throw RedisError.stopped }
    var config = template
    config.endpoint = endpoint
    let client = try await RedisClient.start(config, poolSize: poolSize, on: node)
    state.withLock { $0.clients[endpoint] = client }
    return client
  }

  /// CLUSTER SLOTS from the first master (known ones first, then the seeds) that answers;
  /// then a client for every master, and the COMMAND table once.
  private func readTopology(_ ctx: Context<RefresherMessage>) async throws {
    let known = state.withLock { $0.topology.nodes }
    var candidates = known
    for s in seeds where !candidates.contains(s) { candidates.append(s) }
    var failures: [String] = []
    for endpoint in candidates {
      do {
        let client = try await startClient(endpoint)
        let redis = client.on(ctx)
        let reply = try await redis.send(["CLUSTER", "SLOTS"])
        let host: String
        if case .tcp(let h, _) = endpoint { host = h } else { host = "127.0.0.1" }
        let topology = try ClusterTopology(slotsReply: reply, askedHost: host)
        guard topology.coveredSlots > 0 else {
          failures.append("\(endpoint): no slots assigned")
          continue
        }
        for master in topology.nodes { _ = try? await startClient(master) }
        var keys: CommandKeys? = state.withLock { $0.commandKeys }
        if keys == nil { keys = CommandKeys(try await redis.send(["COMMAND"])) }
        state.withLock {
          $0.topology = topology
          $0.commandKeys = keys
        }
        return
      } catch {
        failures.append("\(endpoint): \(error)")
      }
    }
    throw RedisError.cluster("no node answered CLUSTER SLOTS (\(failures.joined(separator: "; ")))")
  }

  /// Where `command`'s keys are (COMMAND GETKEYS for the few with movable keys).
  func keys(of command: RedisCommand, _ caller: some RedisCaller) async throws -> [ArraySlice<UInt8>] {
    let arguments = command.arguments
    guard let table = state.withLock({ $0.commandKeys }) else { return [] }
    switch table.keys(arguments) {
    case .known(let k): return k
    case .askServer:
      let client = try await client(for: try await anyMaster(caller), caller)
      let reply = try await client.on(caller).execute(
        RedisCommand(arguments: [ArraySlice("COMMAND".utf8), ArraySlice("GETKEYS".utf8)] + arguments), timeout: nil)
      return (reply.array ?? []).compactMap(\.bytes)
    }
  }
}
