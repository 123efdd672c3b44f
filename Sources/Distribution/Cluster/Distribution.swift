// A node's distribution: start it to make the node reachable from other nodes of the
// cluster, then send to, link to, monitor and call processes of other nodes as if local.
// Handles are values; the state lives in DistributionCore and the net kernel process.
@_spi(Distribution) import Actors
import GenServer
import Redis

/// How a node takes part in a cluster.
public struct DistributionConfiguration: Sendable {
  /// The node's name, unique in the cluster (`chatd-a`).
  public var name: String
  /// Nodes connect only within one cluster.
  public var cluster: String = "otter"
  /// The cluster secret: a node proves it knows it (never sending it) before any traffic.
  public var secret: String
  /// Where links are accepted (port 0: any free port).
  public var listenHost = "127.0.0.1"
  public var listenPort = 0
  /// The host other nodes dial (published in the membership): needed when `listenHost`
  /// is a wildcard (`0.0.0.0`, `::`), which other machines cannot dial. Nil: `listenHost`.
  public var advertisedHost: String?

  public init(name: String, secret: String) {
    self.name = name
    self.secret = secret
  }
}

/// A node's membership of a cluster of nodes.
///
/// ```swift
/// let dist = try await Distribution.start(DistributionConfiguration(name: "a", secret: s), on: node)
/// try dist.register("echo", echoAddress)
/// dist.send(.ping, to: "echo", on: "b")
/// ```
public struct Distribution: Sendable {
  let core: DistributionCore
  let kernel: Address<NetKernelMessage>
  /// Where this node accepts links (`host:port`).
  public let address: String
  /// The node's membership of the cluster, when started with Redis.
  public let membership: Membership?
  /// The membership's own Redis connections.
  let membershipRedis: RedisClient?

  /// Starts the node's distribution and joins the cluster through Redis: a lease keeps
  /// the node a member, and every member connects to every other (the one whose name
  /// sorts first dials). Node up and down follow the leases (≤ 3 s with the defaults),
  /// and a link that breaks sooner (a crashed OS process) is seen at once. A node whose
  /// lease was lost (frozen, or cut off while the others reached Redis) rejoins under a
  /// new incarnation: its old pids are dead everywhere. An outage of Redis itself changes
  /// nothing but `health`: links, pids and incarnations stay. Throws
  /// `MembershipError.nameTaken` if a live member has the name.
  public static func start(
    _ config: DistributionConfiguration, redis: RedisClient, membership: MembershipConfiguration? = nil,
    metadata: [String: String] = [:], on node: Node
  ) async throws -> Distribution {
    var settings = membership ?? MembershipConfiguration()
    settings.cluster = config.cluster
    let dist = try await start(config, incarnation: 0, on: node)
    let core = dist.core
    let kernel = dist.kernel
    // The lease must never wait behind the application's commands: the membership gets
    // connections of its own (one for commands, one for its channel) to the same Redis.
    let own: RedisClient
    do {
      own = try await RedisClient.start(redis.configuration, poolSize: 1, on: node)
    } catch {
      dist.stop()
      throw error
    }
    // Events that come before the join returns (the first sweep's nodeUps) wait until
    // the incarnation is set, so no link is made as incarnation 0; all are applied in
    // order (the lock is held while applying).
    let gate = Locked<(open: Bool, waiting: [MembershipEvent])>((false, []))
    func join() async throws -> Membership {
      try await Membership.start(
        name: config.name, address: dist.address, metadata: metadata, redis: own, configuration: settings, on: node
      ) { event in
        gate.withLock { g in
          if g.open { core.apply(event, kernel: kernel) } else { g.waiting.append(event) }
        }
      }
    }
    let joined: Membership
    do {
      do {
        joined = try await join()
      } catch MembershipError.nameTaken(let name, let incarnation, let holder) {
        // Our name is held by a member whose process may be gone (restarted at once after
        // a crash, its lease not run out yet): if its address is ours now, or refuses
        // connections, nobody is there — declare it down and join again, once.
        var gone = holder == dist.address
        if !gone { gone = (try? await node.run(Bool.self) { ctx in await GoneProbe.refuses(holder, ctx) }) == true }
        guard gone else { throw MembershipError.nameTaken(name: name, incarnation: incarnation, address: holder) }
        _ = await Membership.declareDown(
          name, incarnation: incarnation, reason: "restarted: its old address \(holder) has no process behind it", redis: own,
          configuration: settings, node)
        joined = try await join()
      }
    } catch {
      dist.stop()
      await own.stop(node)
      throw error
    }
    core.state.withLock { $0.incarnation = joined.current.incarnation }
    gate.withLock { g in
      for event in g.waiting { core.apply(event, kernel: kernel) }
      g = (true, [])
    }
    _ = GoneProbe.watch(core, membership: joined)
    return Distribution(core: core, kernel: kernel, address: dist.address, membership: joined, membershipRedis: own)
  }

  /// The members of the cluster (this node included), as the membership sees them now.
  public var members: [MemberInfo] { membership?.members ?? [] }

  /// Leaves the cluster (peers see this node down at once) and stops the distribution.
  /// First every linked peer answers one request on its link, so it has read all this
  /// node sent it before (replies, messages): a peer closes its link as soon as it hears
  /// of the leave, and what it had not read yet would be lost — a caller would never
  /// learn that its request ran.
  public func leave() async {
    await flushLinks()
    if let membership { await membership.leave(core.node) }
    stop()
  }

  /// Waits until every linked peer has read what this node sent it so far: one name
  /// look-up answered on each link (`timeout` at most for each).
  func flushLinks(timeout: Duration = .seconds(1)) async {
    for peer in connectedNodes {
      guard let link = core.link(to: peer), !link.isDown else { continue }
      let (reply, request) = core.node.makeReply(UInt64?.self)
      link.lookup("") { id in reply.reply(id) }
      _ = try? await core.node.receiveResponse(request, timeout: .after(timeout))
    }
  }

  /// Starts the node's distribution: its listener and net kernel.
  public static func start(_ config: DistributionConfiguration, incarnation: UInt64 = 1, on node: Node) async throws -> Distribution {
    guard !config.name.isEmpty, !config.name.contains(where: { $0 == " " || $0 == ":" }) else {
      throw DistributionError.invalid("node name \"\(config.name)\" (no spaces or colons)")
    }
    guard !config.secret.isEmpty else { throw DistributionError.invalid("an empty cluster secret") }
    let wildcard = ["0.0.0.0", "::", "[::]", ""].contains(config.listenHost)
    if wildcard && config.advertisedHost == nil {
      throw DistributionError.invalid(
        "listening on \(config.listenHost.isEmpty ? "every address" : config.listenHost) needs an advertisedHost: the address other nodes dial"
      )
    }
    let advertised = config.advertisedHost ?? config.listenHost
    let core = DistributionCore(node: node, name: config.name, cluster: config.cluster, secret: config.secret, incarnation: incarnation)
    let (ready, request) = node.makeReply(Result<(Address<NetKernelMessage>, String), DistributionError>.self)
    node.spawn(NetKernelMessage.self) { ctx in
      let listener: Socket
      do {
        listener = try ctx.listen(tcp: config.listenHost, port: config.listenPort)
      } catch {
        ready.reply(.failure(.invalid("cannot listen on \(config.listenHost):\(config.listenPort): \(error)")))
        return
      }
      let address = ctx.address
      core.netKernel.withLock { $0 = address }
      ready.reply(
        .success(
          (ctx.address, "\(advertised):\(listener.localAddress.flatMap { $0.split(separator: ":").last.map(String.init) } ?? "0")")))
      try await NetKernel.run(ctx, core: core, listener: listener)
    }
    let (kernel, address) = try await node.receiveResponse(request, timeout: .seconds(5)).get()
    return Distribution(core: core, kernel: kernel, address: address, membership: nil, membershipRedis: nil)
  }

  /// This node's name.
  public var name: String { core.name }
  /// This node's incarnation (its pids carry it; a rejoin takes a new one).
  public var incarnation: UInt64 { core.incarnation }
  /// The nodes connected now.
  public var connectedNodes: [String] { core.connectedNodes }

  /// Connects to `peer` at `address` (`host:port`), as `net_kernel:connect_node`.
  /// Returns once the link is up; throws `.noconnection` if it could not be made.
  public func connect(to peer: String, at address: String, incarnation: UInt64 = 0, timeout: Duration = .seconds(5)) async throws {
    if let link = core.link(to: peer), link.isUp { return }
    let (settled, request) = core.node.makeReply(Result<Void, DistributionError>.self)
    let core = self.core
    core.node.spawn(LinkMessage.self) { ctx in
      await LinkProcess.run(ctx, core: core, side: .dialing(peer: peer, incarnation: incarnation, address: address)) { settled.reply($0) }
    }
    do {
      try await core.node.receiveResponse(request, timeout: .after(timeout)).get()
    } catch let e as CallError {
      throw DistributionError.noconnection("\(peer): \(e)")
    }
  }

  /// Drops the link to `peer` (its processes' links and monitors fire `noconnection`).
  public func disconnect(_ peer: String) { core.link(to: peer)?.goDown("disconnected by \(core.name)") }

  /// Registers `address` under `name` for other nodes (`send(_:to:on:)`, `lookup`).
  public func register<M: Transportable>(_ name: String, _ address: Address<M>) throws { try core.register(name, address) }

  /// Removes a registration.
  public func unregister(_ name: String) { core.unregister(name) }

  /// Sends to the process registered as `name` on `peer` (Erlang's `{Name, Node} ! Msg`).
  /// Never blocks, never fails: dropped if there is no such process or link.
  public func send<M: Transportable>(_ message: M, to name: String, on peer: String) {
    guard let link = core.link(to: peer) else { return }
    var e = WireEncoder.to(link)
    e.beginFrame(.sendName)
    name.encode(to: &e)
    message.encode(to: &e)
    link.sendFrame(e.finishFrame())
  }

  /// The address of the process registered as `name` on `peer`.
  public func lookup<M: Transportable>(_ name: String, on peer: String, as type: M.Type, timeout: Duration = .seconds(5)) async throws
    -> Address<M>
  {
    guard let link = core.link(to: peer), !link.isDown else { throw DistributionError.noconnection(peer) }
    let (reply, request) = core.node.makeReply(UInt64?.self)
    link.lookup(name) { id in reply.reply(id) }
    let found: UInt64?
    do {
      found = try await core.node.receiveResponse(request, timeout: .after(timeout))
    } catch {
      throw DistributionError.noconnection(peer)
    }
    guard let id = found else {
      throw link.isDown ? DistributionError.noconnection(peer) : DistributionError.notFound("'\(name)' on \(peer)")
    }
    return core.remoteAddress(WirePid(node: peer, incarnation: link.peerIncarnation, id: id), as: M.self)
  }

  /// A GenServer on another node, by name: call it with `ctx.call` as a local one.
  public func server<S: ServerTypes>(_ name: String, on peer: String, _ type: S.Type, timeout: Duration = .seconds(5)) async throws
    -> GenServerRef<S> where S.Request: Transportable, S.Reply: Transportable, S.Cast: Transportable, S.Info: Transportable
  {
    GenServerRef(try await lookup(name, on: peer, as: ServerMessage<S>.self, timeout: timeout))
  }

  /// Calls `f` on every node up and down (Erlang's `monitor_node`, for all nodes).
  /// Returns a token for `stopWatchingNodes`.
  @discardableResult
  public func watchNodes(_ f: @escaping @Sendable (NodeEvent) -> Void) -> UInt64 { core.watch(f) }

  public func stopWatchingNodes(_ token: UInt64) { core.unwatch(token) }

  /// Whether the membership reaches Redis now (nil without Redis): what to show as
  /// "cluster degraded". While Redis is unreachable, nodes, links and pids stay as they
  /// are; only joining, leaving and global names need it.
  public var health: MembershipHealth? { membership?.health }

  /// Calls `f` on every change of `health`, in order: "unreachable since ..." once, then
  /// "reachable" once Redis answers again (log "cluster degraded" and "healthy again").
  /// Returns a token for `stopWatchingNodes`.
  @discardableResult
  public func watchHealth(_ f: @escaping @Sendable (MembershipHealth) -> Void) -> UInt64 { core.watchHealth(f) }

  /// Erlang's `monitor_node(Node, true)`: the process at `address` gets `wrap(.nodeDown)`
  /// once when the link to `peer` goes (at once if there is none now). Returns a token
  /// for `stopWatchingNodes`.
  @discardableResult
  public func monitorNode<M: Sendable>(_ peer: String, deliverTo address: Address<M>, as wrap: @escaping @Sendable (NodeEvent) -> M)
    -> UInt64
  {
    let fired = Locked(false)
    let core = self.core
    let token = core.watch { event in
      guard case .nodeDown(let name, _) = event, name == peer else { return }
      let first = fired.withLock { f -> Bool in
        defer { f = true }
        return !f
      }
      if first { address.send(wrap(event)) }
    }
    if !(core.link(to: peer)?.isUp ?? false) {
      let first = fired.withLock { f -> Bool in
        defer { f = true }
        return !f
      }
      if first { address.send(wrap(.nodeDown(peer, reason: "no connection to \(peer)"))) }
      core.unwatch(token)
    }
    return token
  }

  /// Lets other nodes send to `address` (done by itself when the address is sent to
  /// another node in a message).
  public func export<M: Transportable>(_ address: Address<M>) { core.export(address) }

  /// Stops the listener and drops every link (and the membership, without leaving:
  /// peers see this node down when its lease runs out).
  public func stop() {
    membership?.stop()
    if let own = membershipRedis {
      let node = core.node
      node.spawn(Never.self) { _ in await own.stop(node) }
    }
    kernel.send(.stop)
    for peer in core.state.withLock({ Array($0.links.values) }) { peer.goDown("\(core.name) stopped its distribution") }
  }
}
