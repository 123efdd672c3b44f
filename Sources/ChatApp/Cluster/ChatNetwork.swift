// A chatd node's place in a network of chatd nodes (`chatd --cluster redis://...`).
//
// How the network works (docs/SCALING.md has the costs):
// - Redis is the arbiter of who is a node (Distribution's membership: leases), of nicks
//   (a global name per nick, owned by the connection process, free when it ends or its
//   node dies) and of where each channel's room lives (a global name per channel). It is
//   never on the path of a message.
// - Every node knows every user (an IRC network's way): its own clients, and a replica
//   of each user of the others (RemoteUsers.swift), kept current by the users' nodes.
// - A channel has one room, on the node that created it (its home): the one sequencer,
//   so every member sees one order. Members on other nodes reach it over the links; it
//   sends each line once per node with members (Fanout.swift) and keeps those nodes'
//   copies of its record current (MirrorSync.swift). If its node dies, a node with a
//   copy starts the room again from it (Relay.swift).
// - Each node's relay (Relay.swift) takes what the others send: lines for its users,
//   user records, copies of channels.
//
// Owner: the handle is immutable; the room directory (where each channel's room is) is
// a cache written by the processes that look rooms up, corrected when a call fails.
import Actors
import Distribution
import Foundation
import GenServer
import Redis
import Synchronization

/// A node's network: its distribution, Redis, global names and remote users.
final class ChatNetwork: Sendable {
  let dist: Distribution
  let redis: RedisClient
  let names: GlobalNames
  let config: ChatConfig
  /// Users of the other nodes (set once, right after init: it needs `self`).
  private let usersBox = Locked<RemoteUsers?>(nil)
  /// Channel key → its room, wherever it lives.
  private let rooms = Locked<[String: Address<ServerMessage<Room>>]>([:])
  /// Since when Redis has been unreachable, if it is (the node is degraded: no new nicks
  /// or channels; what exists keeps working).
  let degradedSince = Locked<ContinuousClock.Instant?>(nil)
  /// Whether this node has left the membership (`withdraw`).
  private let withdrawn = Atomic<Bool>(false)
  /// Messages to and from the other nodes' relays, by kind (the metrics endpoint).
  let counters = NetworkCounters()

  /// The name other nodes' relays are registered under.
  static let relayName = "chatd.relay"
  /// What a chatd node says of itself in the membership (the emitter's nodes say
  /// otherwise, and get no user traffic).
  static let role = "chatd"

  let logger: Logger

  private init(dist: Distribution, redis: RedisClient, names: GlobalNames, config: ChatConfig, logger: Logger) {
    self.logger = logger
    self.dist = dist
    self.redis = redis
    self.names = names
    self.config = config
  }

  var users: RemoteUsers { usersBox.withLock { $0! } }
  var nodeName: String { dist.name }
  var incarnation: UInt64 { dist.incarnation }

  /// Joins the network named by `config.cluster`. Throws with a message that says what
  /// failed (Redis unreachable, the node name taken, ...).
  /// `role`: what the node is to the others (`chatd`; an emitter is not given users).
  static func start(_ config: ChatConfig, role: String = ChatNetwork.role, on node: Node) async throws -> ChatNetwork {
    guard let url = config.cluster else { throw NetworkStartError("no --cluster URL") }
    let redisConfig: RedisConfiguration
    do {
      redisConfig = try RedisConfiguration(url: url)
    } catch {
      throw NetworkStartError("--cluster \(url): \(error)")
    }
    let redis: RedisClient
    do {
      redis = try await RedisClient.start(redisConfig, on: node)
      _ = try await redis.on(node).ping()
    } catch {
      throw NetworkStartError("cannot reach Redis at \(url) (--cluster): \(error)")
    }
    let name = config.nodeName ?? config.serverName
    let secret: String
    do {
      if let given = config.clusterSecret {
        secret = given
      } else {
        secret = try await sharedSecret(redis, node: node, cluster: config.clusterName)
      }
    } catch {
      throw NetworkStartError("cannot read the network's secret from Redis at \(url): \(error)")
    }
    var dc = DistributionConfiguration(name: name, secret: secret)
    dc.cluster = config.clusterName
    dc.listenHost = config.clusterListenHost
    dc.listenPort = config.clusterListenPort
    dc.advertisedHost = config.clusterAdvertisedHost
    // A node restarted at once (kill -9, then its supervisor) finds its old lease still
    // there: Distribution.start drops it if its old address has no process behind it;
    // otherwise (another process holds the name, or cannot be told from a dead one) the
    // name is asked again until the lease is over.
    var dist: Distribution?
    let membership = membershipConfiguration(config)
    let deadline = ContinuousClock.now + membership.leaseTime + .milliseconds(1500)
    while dist == nil {
      do {
        dist = try await Distribution.start(
          dc, redis: redis, membership: membership,
          metadata: [
            "role": role, "irc": config.port.map { "\(config.host):\($0)" } ?? "off", "pid": String(getpid()), "server": config.serverName,
          ], on: node)
      } catch MembershipError.nameTaken(let n, let incarnation, let address) where ContinuousClock.now < deadline {
        _ = (n, incarnation, address)
        try? await Task.sleep(for: .milliseconds(250))
      } catch {
        await redis.stop(node)
        throw NetworkStartError("cannot join the network as \(name) (--node): \(error)")
      }
    }
    guard let dist else { throw NetworkStartError("cannot join the network as \(name)") }
    let names: GlobalNames
    do {
      names = try await GlobalNames.start(dist, redis: redis)
    } catch {
      throw NetworkStartError("cannot start global names: \(error)")
    }
    let network = ChatNetwork(dist: dist, redis: redis, names: names, config: config, logger: node.logger)
    network.usersBox.withLock { $0 = RemoteUsers(network: network) }
    // The membership hears first when Redis goes and comes back (its heartbeat).
    dist.watchHealth { health in health.isReachable ? network.healthy() : network.unhealthy(health.description) }
    return network
  }

  /// The membership's timings for `config.clusterLease`: renewed and swept every second
  /// (a fifth of the lease when it is shorter), so a lease outlives four missed renewals.
  static func membershipConfiguration(_ config: ChatConfig) -> MembershipConfiguration {
    var m = MembershipConfiguration(cluster: config.clusterName)
    m.leaseTime = config.clusterLease
    m.heartbeat = min(.seconds(1), config.clusterLease / 5)
    m.sweep = m.heartbeat
    return m
  }

  /// The network's secret, made once by the first node and kept in Redis.
  private static func sharedSecret(_ redis: RedisClient, node: Node, cluster: String) async throws -> String {
    let key = "chatd:{\(cluster)}:secret"
    var bytes = [UInt8](repeating: 0, count: 24)
    for i in bytes.indices { bytes[i] = UInt8.random(in: 0...255) }
    let fresh = bytes.map { String(format: "%02x", $0) }.joined()
    _ = try await redis.on(node).set(key, fresh, condition: .ifNotExists)
    guard let stored = try await redis.on(node).get(key)?.string else { throw NetworkStartError("the secret vanished from \(key)") }
    return stored
  }

  /// Waits, `timeout` at most, until this node is linked to every other chatd node the
  /// membership lists.
  func awaitLinks(timeout: Duration) async {
    let deadline = ContinuousClock.now + timeout
    while ContinuousClock.now < deadline {
      let linked = Set(dist.connectedNodes)
      if peers.allSatisfy(linked.contains) { return }
      try? await Task.sleep(for: .milliseconds(10))
    }
  }

  /// Leaves the network (peers see this node go at once).
  func leave(_ node: Node) async {
    await withdraw()
    await redis.stop(node)
  }

  /// Leaves the network's membership but keeps the Redis client (the history may still
  /// write): what a node whose sessions were all handed over does before it stops, so
  /// that the channels whose rooms lived here are taken over at once, not after this
  /// node's tree has stopped. Once; `leave` does not leave again.
  func withdraw() async {
    guard !withdrawn.exchange(true, ordering: .relaxed) else { return }
    await dist.leave()
  }

  // MARK: - Sending to other nodes

  /// Sends to the relay of `node`. Never blocks; dropped if there is no link.
  func send(_ message: NetMessage, to node: String) {
    counters.sent(message.kind)
    dist.send(ServerMessage<Relay>.cast(message), to: Self.relayName, on: node)
  }

  /// The other chatd nodes, as the membership sees them.
  var peers: [String] {
    dist.members.filter { $0.name != nodeName && $0.metadata["role"] == Self.role }.map(\.name)
  }

  /// The IRC server name of `node` (WHOIS), as it joined.
  func serverName(of node: String) -> String? { dist.members.first { $0.name == node }?.metadata["server"] }

  /// Whether `node` is a chatd node (not an emitter).
  func isChatNode(_ node: String) -> Bool { dist.members.contains { $0.name == node && $0.metadata["role"] == Self.role } }

  /// Whether the membership lists `node` with another role than chatd's (an emitter). A
  /// node it does not list yet — its link can come up before this node's membership has
  /// swept it in — is not known to be one.
  func hasOtherRole(_ node: String) -> Bool { dist.members.contains { $0.name == node && $0.metadata["role"] != Self.role } }

  /// Sends to every other chatd node.
  func broadcast(_ message: NetMessage) {
    for peer in peers { send(message, to: peer) }
  }

  /// What LUSERS says of the rest of the network.
  struct Census {
    var users = 0
    var invisible = 0
    var opers = 0
    var peers = 0
    var linked = 0
    /// Channels this node has no record of (LUSERS counts them once, here 0: a node
    /// knows only the channels its users are in; see docs/SCALING.md).
    var channelsElsewhere = 0
    /// Seconds since Redis became unreachable, if it is.
    var degradedSince: Int?
  }

  var census: Census {
    var c = Census()
    (c.users, c.invisible, c.opers) = users.counts
    c.peers = peers.count
    c.linked = dist.connectedNodes.count
    if let since = degradedSince.withLock({ $0 }) {
      c.degradedSince = Int((ContinuousClock.now - since).components.seconds)
    }
    return c
  }

  // MARK: - Users

  /// Tells the other nodes what changed of a registered client of this node since it
  /// was last told (its version).
  func publish(_ client: ClientHandle) {
    // Called after every line a client sends: most change nothing, and cost one lock.
    let version = client.version
    guard client.sentVersion.load(ordering: .relaxed) != version, client.isRegistered,
      client.sentVersion.exchange(version, ordering: .relaxed) != version
    else { return }
    broadcast(.users([WireClient(client)]))
  }

  /// A client of this node has gone: the others drop its replica.
  func left(_ client: ClientHandle) {
    guard client.isRegistered else { return }
    broadcast(.userLeft(WireClient(client)))
  }

  /// Takes `nick` for `client` network-wide. False if a live user holds it; throws if
  /// Redis cannot be asked.
  func claimNick(_ nick: String, for client: ClientHandle, _ ctx: some RedisCaller) async throws -> Bool {
    do {
      let ok = try await names.claim("nick:" + Names.fold(nick), owner: client.pid, ctx)
      healthy()
      return ok
    } catch {
      unhealthy()
      throw error
    }
  }

  /// Gives a nick back (a nick change; a quitting client's nicks go with its process).
  func releaseNick(_ nick: String, _ ctx: some RedisCaller) async {
    try? await names.unregister("nick:" + Names.fold(nick), ctx)
  }

  /// A quitting client of this node gives its nick back in Redis before its QUIT goes
  /// out (the rooms tell it when the process has ended), so that whoever sees the QUIT
  /// can take the nick at once — not only once the registrar has seen the process end.
  /// Waits half a second at most (Redis may be slow or away: the registrar releases it
  /// then, as after a kill).
  func releaseNickBeforeQuit<M>(_ nick: String, _ ctx: Context<M>) async {
    guard degradedSince.withLock({ $0 == nil }) else { return }
    let (done, request) = ctx.makeReply(Bool.self)
    ctx.node.spawn(Never.self, options: SpawnOptions(label: "release nick \(nick)")) { helper in
      await self.releaseNick(nick, helper)
      done.reply(true)
    }
    _ = try? await ctx.receiveResponse(request, timeout: .after(.milliseconds(500)))
  }

  /// Redis answered: if the node was degraded, it is not any more (said once).
  func healthy() {
    guard
      let since = degradedSince.withLock({ d -> ContinuousClock.Instant? in
        defer { d = nil }
        return d
      })
    else { return }
    logger.notice("network: Redis reachable again after \(ContinuousClock.now - since); new nicks and channels work again")
  }

  /// Redis did not answer: the node is degraded — chat in existing channels and between
  /// existing users goes on over the links; new nicks and channels wait (said once).
  func unhealthy(_ why: String = "Redis unreachable") {
    let first = degradedSince.withLock { d -> Bool in
      guard d == nil else { return false }
      d = .now
      return true
    }
    if first {
      logger.warning("network: DEGRADED (\(why)): chat goes on between nodes; new nicks and new channels wait until Redis is back")
    }
  }

  /// Which node starts a channel's room again from its copy when its home has gone: the
  /// first by name among the live nodes with members in it — every node with a copy
  /// computes the same, so one node tries and the others wait for its record.
  func takeoverNode(_ record: ChannelRecord) -> String {
    let live = Set(dist.connectedNodes)
    var candidates = MirrorSync.nodes(of: record).filter { live.contains($0) && $0 != record.home }
    if record.members.values.contains(where: { $0.client.remote == nil }) { candidates.insert(nodeName) }
    return candidates.min() ?? nodeName
  }

  /// Every other node's channels (LIST), each node asked at once; a node that does not
  /// answer within a second is left out.
  func remoteChannels<M>(_ ctx: Context<M>) async -> [ChannelSummary] {
    var out: [ChannelSummary] = []
    for peer in peers {
      guard let relay = try? await dist.server(Self.relayName, on: peer, Relay.self, timeout: .seconds(1)),
        case .channels(let rows)? = try? await ctx.call(relay, .channels, timeout: .seconds(1))
      else { continue }
      out += rows
    }
    return out
  }

  // MARK: - Rooms

  static func roomName(_ key: String) -> String { "room:" + key }

  /// The room of `key` if this node knows where it is.
  func cachedRoom(_ key: String) -> Address<ServerMessage<Room>>? { rooms.withLock { $0[key] } }
  func forgetRoom(_ key: String, _ address: Address<ServerMessage<Room>>) {
    rooms.withLock { if $0[key]?.pid == address.pid { $0.removeValue(forKey: key) } }
  }
  func remember(_ key: String, _ address: Address<ServerMessage<Room>>) { rooms.withLock { $0[key] = address } }
  /// Forgets every room known to live on `node` (it went).
  func forgetRoomsOn(_ node: String) { rooms.withLock { $0 = $0.filter { $0.value.pid.remoteNode != node } } }
  func forgetAllRooms() { rooms.withLock { $0 = [:] } }

  /// Finds the room of channel `name` anywhere in the network; if it has none, starts it
  /// here when `create` (a JOIN) or when this node has a copy of the channel (its home
  /// died), and registers it network-wide — losing that race to another node, stops its
  /// own and uses the winner's. Nil: no such channel, or Redis cannot be asked.
  func findRoom<M>(_ name: String, create: Bool, services: ChatServices, _ ctx: Context<M>) async -> Address<ServerMessage<Room>>? {
    let key = Names.fold(name)
    if let cached = cachedRoom(key) { return cached }
    let found: Address<ServerMessage<Room>>?
    do {
      found = try await names.whereis(Self.roomName(key), as: ServerMessage<Room>.self, ctx)
      healthy()
    } catch {
      unhealthy()
      // Redis is away: a room of this node is still found by its local name.
      return ctx.node.whereis(ChatServices.roomName(key), as: ServerMessage<Room>.self)
    }
    if let found, found.pid.isAlive || found.pid.location != nil {
      remember(key, found)
      return found
    }
    let copy = services.channels.record(key)
    guard create || copy != nil else { return nil }
    // This node's copy names a home that is alive: the room is coming back there (its
    // process was restarted, and takes its name back: `reclaim`). A second room here
    // would split the channel.
    if let home = copy?.home, peers.contains(home) { return nil }
    // A copy of a channel whose home is gone: one node takes it over (the others wait).
    if let copy, copy.home != nil, takeoverNode(copy) != nodeName { return nil }
    await RoomSupervision.start(name, create: create, ctx)
    guard let local = ctx.node.whereis(ChatServices.roomName(key), as: ServerMessage<Room>.self) else { return nil }
    let won: Bool
    do {
      won = try await names.register(Self.roomName(key), local, ctx)
    } catch {
      unhealthy()
      return nil
    }
    if won {
      remember(key, local)
      // A room started from a copy starts the channel only now (a new one ignores this).
      local.send(.info(.takeOver))
      return local
    }
    // Another node's room won: ours goes, without a word (nobody has used it).
    local.send(.info(.abandon))
    return nil
  }
}

extension ChatNetwork {
  /// A room restarted on its home node (its process was killed and the room supervisor
  /// started it again from its record) takes the channel's name in the network back: the
  /// name goes with the old process (this node's registrar releases it when it sees that
  /// process end), and the other nodes look the room up by it. Tried for a while (the
  /// release, or Redis, may take a moment).
  func reclaim(_ key: String, room: Address<ServerMessage<Room>>, on node: Node) {
    node.spawn(Never.self, options: SpawnOptions(label: "reclaim room \(key)")) { ctx in
      for _ in 0..<100 {
        guard room.pid.isAlive else { return }
        if (try? await self.names.register(Self.roomName(key), room, ctx)) == true {
          self.remember(key, room)
          return
        }
        try await ctx.sleep(for: .milliseconds(100))
      }
      ctx.node.logger.error(
        "network: the room of \(key) was restarted here but cannot take the channel's name back", metadata: ["channel": .string(key)])
    }
  }

  /// Calls the room of channel `name` wherever it lives, as `Connection.callRoom` does
  /// on a node alone: a room that moved or went (its node died, it stopped) is looked up
  /// again; a room whose home died is waited for while a node takes it over (≈ 2 s, the
  /// lease). Nil: no such channel (and not `create`), or no answer.
  func callRoom<M>(
    _ name: String, _ request: Room.Request, create: Bool, services: ChatServices, _ ctx: Context<M>
  ) async throws -> Room.Reply? {
    let key = Names.fold(name)
    for _ in 0..<150 {
      if let room = await findRoom(name, create: create, services: services, ctx) {
        do {
          return try await ctx.call(GenServerRef(room), request, timeout: .seconds(10))
        } catch let e as CallError where e == .timeout {
          return nil
        } catch let e as CallError {
          // Stopped, killed, or its node went: look again. After `exited` the room may
          // have run the request (its reply was lost): said, since it may then run twice.
          if case .exited = e {
            logger.notice("network: the call to \(name)'s room failed (\(e)); sent again", metadata: ["channel": .string(name)])
          }
          forgetRoom(key, room)
        }
      } else if !create && !services.channels.exists(key) && degradedSince.withLock({ $0 == nil }) {
        return nil
      }
      try await ctx.sleep(for: .milliseconds(30))
    }
    return nil
  }
}

/// Why a node could not join its network.
struct NetworkStartError: Error, CustomStringConvertible {
  let description: String
  init(_ description: String) { self.description = description }
}
