// A node's relay: what the other chatd nodes send this node arrives here — lines for
// its users (once per node per broadcast, written to each listed user), records of the
// others' users (applied as they are read: RemoteUsers), and copies of the channels
// homed elsewhere that this node has members in. It is the one writer of those copies
// in the channel table (a channel homed here is written by its room).
//
// It also watches the other nodes: one that comes up is told of this node's users; one
// that goes takes its users with it — this node tells each of its own users that shared
// a channel with one of them its QUIT at once, netsplit style (once: QuitLedger), and
// for each channel whose room lived there, a node with a copy starts the room again
// (whichever node registers it first; the others keep their copies). A node that lost
// its place in the network (it was cut off past its lease and rejoined under a new
// incarnation) cannot trust anything it holds: it tells its clients to reconnect.
import Actors
import Distribution
import GenServer

struct Relay: SyncGenServer {
  let services: ChatServices
  let network: ChatNetwork

  typealias Cast = NetMessage

  enum Request: Sendable {
    /// LIST on another node: the channels homed here that anyone may see.
    case channels
  }

  enum Reply: Sendable {
    case channels([ChannelSummary])
  }

  enum Info: Sendable {
    /// A node came or went (or this node rejoined), with the replicas that went with it.
    case node(NodeEvent, removed: [ClientHandle])
    /// A connection of this node took over the session that was `from` (HandOff/): the
    /// network hears of it, then `done` is answered.
    case adopted(from: PidLocation, client: ClientHandle, done: ReplyTo<Bool>)
  }

  struct State {
    var watch: UInt64
    /// Write what comes for this node's users (RelayWorker.swift).
    var workers: RelayWorkers
    /// The chatd nodes seen up (emitters are not told of users, nor mourned).
    var chatPeers: Set<String> = []
  }

  func initialize(_ ctx: ServerContext<Self>) throws -> InitResult<Self> {
    try network.dist.register(ChatNetwork.relayName, ctx.address)
    let me = ctx.address
    let (dist, users, services) = (network.dist, network.users, services)
    let token = network.dist.watchNodes { event in
      // The replicas follow the links here, as each link reports its change — before
      // anything a new link reads is applied (user records are applied as they are
      // read, not in this relay's mailbox): a node's introductions after it is back must
      // find it revived, and its departure must not remove what a newer link brought.
      var removed: [ClientHandle] = []
      switch event {
      case .nodeUp(let peer):
        if let incarnation = dist.members.first(where: { $0.name == peer })?.incarnation {
          users.revive(peer, incarnation: incarnation)
        }
      case .nodeDown(let peer, _): removed = users.removeNode(peer, services: services)
      case .rejoined: removed = users.removeAll(services: services)
      }
      me.send(.info(.node(event, removed: removed)))
    }
    // Nodes already linked: introduce this node's users (after a restart of the relay,
    // again: records are applied by version, so nothing is applied twice).
    let peers = network.peers
    for peer in peers { introduce(to: peer) }
    return .ok(State(watch: token, workers: RelayWorkers(services: services, ctx), chatPeers: Set(peers)))
  }

  func terminate(_ reason: ExitReason, state: inout State, _ ctx: ServerContext<Self>) {
    network.dist.stopWatchingNodes(state.watch)
    network.dist.unregister(ChatNetwork.relayName)
  }

  func handleCall(_ request: Request, from: From<Reply>, state: inout State, _ ctx: ServerContext<Self>) throws -> CallResult<Self> {
    switch request {
    case .channels:
      let summaries = services.channels.all.compactMap { (_, r) -> ChannelSummary? in
        guard r.home == nil, !r.settings.secret else { return nil }
        return ChannelSummary(
          name: r.settings.name, members: r.members.count, topic: r.settings.topic ?? "", created: r.settings.created,
          topicTime: r.settings.topicTime)
      }
      return .reply(.channels(summaries))
    }
  }

  func handleCast(_ message: NetMessage, state: inout State, _ ctx: ServerContext<Self>) throws -> HandleResult<Self> {
    network.counters.received(message.kind)
    switch message {
    case .users:
      break  // applied while read (WireClient)
    case .userLeft(let user):
      if let location = user.client.remote?.location { network.users.remove(location, services: services) }
    case .deliver(let wire, let numbers, let except, let incarnation, let quitOf):
      guard incarnation == network.incarnation else { break }
      state.workers.hand(.deliver(wire, to: numbers, except: except, quitOf: quitOf?.client.id))
    case .lines(let bytes, let number, let incarnation):
      guard incarnation == network.incarnation else { break }
      state.workers.hand(.lines(bytes, to: number))
    case .mirror(let key, let home, let change):
      applyMirror(key, home: home, change)
    case .kill(let number, let reason):
      state.workers.hand(.kill(number, reason: reason))
    case .wallops(let source, let text):
      let line = IRCMessage(source: source, "WALLOPS", [text]).serialized()
      for c in services.clients.all where c.setting({ $0.wallops }) { c.send(line) }
    case .moved(let move):
      moved(move, state.workers)
    case .handOffMark(let number, let incarnation, let mark):
      guard incarnation == network.incarnation else { break }
      state.workers.hand(.handOff(number, .mark(mark)))
    }
    return .noreply()
  }

  func handleInfo(_ message: Message<Info>, state: inout State, _ ctx: ServerContext<Self>) throws -> HandleResult<Self> {
    if case .message(.adopted(let from, let client, let done)) = message {
      adopted(from: from, client)
      done.reply(true)
      return .noreply()
    }
    guard case .message(.node(let event, let removed)) = message else { return .noreply() }
    switch event {
    case .nodeUp(let peer):
      // An emitter needs no users. A node not listed yet is taken for a chatd node (its
      // link came first): left out, it would never hear of this node's users, nor they
      // of its going.
      guard !network.hasOtherRole(peer) else { break }
      state.chatPeers.insert(peer)
      services.logger.info("network: node \(peer) up", metadata: ["node": .string(peer)])
      introduce(to: peer)
    case .nodeDown(let peer, let reason):
      let hadUsers = !removed.isEmpty || services.channels.all.contains { $0.value.home == peer }
      guard state.chatPeers.remove(peer) != nil || hadUsers else { break }
      services.logger.warning("network: node \(peer) down (\(reason))", metadata: ["node": .string(peer)])
      netsplit(peer, removed, state.workers, ctx)
    case .rejoined(let old, let new):
      services.logger.error(
        "network: this node was cut off past its lease and rejoined (incarnation \(old) → \(new)); its clients are told to reconnect")
      rejoin()
    }
    return .noreply()
  }

  func formatStatus(_ state: State) -> String {
    let degraded = network.degradedSince.withLock { $0 }
    return "node \(network.nodeName) (incarnation \(network.incarnation)), peers \(network.dist.connectedNodes.sorted()), "
      + "\(network.users.count) remote users" + (degraded != nil ? ", DEGRADED: Redis unreachable" : "")
  }

  // MARK: -

  /// Tells `peer` of every registered client of this node, in batches.
  private func introduce(to peer: String) {
    var batch: [WireClient] = []
    for client in services.clients.all where client.isRegistered {
      batch.append(WireClient(client))
      if batch.count == 500 {
        network.send(.users(batch), to: peer)
        batch = []
      }
    }
    if !batch.isEmpty { network.send(.users(batch), to: peer) }
  }

  /// Applies a change to this node's copy of a channel homed on `home`.
  private func applyMirror(_ key: String, home: String, _ change: MirrorChange) {
    var record = services.channels.record(key)
    // The room is here now (it took the channel over): what another node says of it is
    // out of date.
    if let r = record, r.home == nil { return }
    if case .snapshot(let settings, let members) = change {
      var r = ChannelRecord(settings: settings)
      for m in members { r.members[m.client.client.id] = ChannelMember(client: m.client.client, op: m.op, voice: m.voice, monitor: nil) }
      r.home = home
      let joined = r.members.keys.filter { record?.members[$0] == nil }
      let left = record.map { old in old.members.keys.filter { r.members[$0] == nil } } ?? []
      services.channels.publish(key, r, joinedAll: joined, leftAll: left)
      return
    }
    if case .forget = change {
      if record?.home != nil { services.channels.unpublish(key) }
      return
    }
    // A change to a copy this node does not have (it has not had the snapshot, or the
    // room is here now): ignored; the home sends a snapshot when it matters.
    guard var r = record, r.home != nil else { return }
    r.home = home
    var joined: UInt64?
    var left: UInt64?
    switch change {
    case .settings(let settings): r.settings = settings
    case .joined(let m):
      r.members[m.client.client.id] = ChannelMember(client: m.client.client, op: m.op, voice: m.voice, monitor: nil)
      joined = m.client.client.id
    case .left(let c):
      if r.members.removeValue(forKey: c.client.id) != nil { left = c.client.id }
    case .status(let m):
      r.members[m.client.client.id]?.op = m.op
      r.members[m.client.client.id]?.voice = m.voice
    case .snapshot, .forget: break
    }
    record = r
    services.channels.publish(key, r, joined: joined, left: left)
  }

  /// `peer` has gone: its users (`gone`, removed from the replicas as its link went)
  /// quit (each of ours told once), and the rooms it held are started again from our copies.
  private func netsplit(_ peer: String, _ gone: [ClientHandle], _ workers: RelayWorkers, _ ctx: ServerContext<Self>) {
    // Through the workers, after what they hold from that node: its users' last lines
    // come before their QUITs.
    for user in gone {
      let message = "\(services.serverName) \(services.serverName(of: user))"
      let quit = IRCMessage(source: user.prefix, "QUIT", [user.setting { $0.quitMessage } ?? message])
      let local = services.channels.neighbours(of: user.id).filter { $0.remote == nil }.map(\.id)
      guard !local.isEmpty else { continue }
      let line = WireLine(TaggedLine(quit))
      workers.hand(.deliver(line, to: local, except: nil, quitOf: user.id))
    }
    network.forgetRoomsOn(peer)
    // One node takes each orphan over (the first by name with members in it: every node
    // with a copy picks the same); the others wait for its record.
    let network = self.network
    let services = self.services
    let orphans = services.channels.all.filter { $0.value.home == peer && network.takeoverNode($0.value) == network.nodeName }
    guard !orphans.isEmpty else { return }
    for (key, record) in orphans {
      let name = record.settings.name
      // The dead node's name for the room is free once it is declared down: at once when
      // its process is gone (its address refuses connections), else when its lease runs
      // out. Until then whereis still names it. Try until a while past the lease.
      let attempts = Int((network.config.clusterLease + .seconds(3)) / .milliseconds(100))
      ctx.node.spawn(Never.self, options: SpawnOptions(label: "rehome \(key)")) { ctx in
        for _ in 0..<attempts {
          if let room = await network.findRoom(name, create: false, services: services, ctx), room.pid.remoteNode != peer { return }
          network.forgetRoomsOn(peer)
          if !services.channels.exists(key) { return }
          try await ctx.sleep(for: .milliseconds(100))
        }
        services.logger.error("network: channel \(name) has no room after its node \(peer) went", metadata: ["channel": .string(name)])
      }
    }
  }

  /// This node was cut off and rejoined: its replicas (removed as the rejoin was
  /// reported), copies and its clients' places in channels elsewhere are all stale.
  /// Everyone reconnects.
  private func rejoin() {
    for (key, r) in services.channels.all where r.home != nil { services.channels.unpublish(key) }
    network.forgetAllRooms()
    for client in services.clients.all {
      client.pid.address(as: ServerMessage<Connection>.self)?.send(
        .info(.disconnect("Netsplit: this server was cut off from the network; please reconnect")))
    }
  }
}

/// A channel in another node's LIST.
struct ChannelSummary: Sendable {
  var name: String
  var members: Int
  var topic: String
  var created: Int
  var topicTime: Int
}

// MARK: - Wire forms

extension ChannelSummary: Transportable {
  func encode(to e: inout WireEncoder) {
    e.write(name)
    e.write(members)
    e.write(topic)
    e.write(created)
    e.write(topicTime)
  }
  init(from d: inout WireDecoder) throws {
    name = try d.read()
    members = try d.read()
    topic = try d.read()
    created = try d.read()
    topicTime = try d.read()
  }
}

extension Relay.Request: Transportable {
  func encode(to e: inout WireEncoder) { e.tag(0) }
  init(from d: inout WireDecoder) throws {
    switch try d.tag() {
    case 0: self = .channels
    case let t: throw WireError.unknownTag(t, in: "Relay.Request")
    }
  }
}

extension Relay.Reply: Transportable {
  func encode(to e: inout WireEncoder) {
    switch self {
    case .channels(let list):
      e.tag(0)
      e.write(list)
    }
  }
  init(from d: inout WireDecoder) throws {
    switch try d.tag() {
    case 0: self = .channels(try d.read())
    case let t: throw WireError.unknownTag(t, in: "Relay.Reply")
    }
  }
}

/// Node events are this node's own: never sent.
extension Relay.Info: Transportable {
  func encode(to e: inout WireEncoder) { e.tag(0) }
  init(from d: inout WireDecoder) throws { throw WireError.dropped("a relay's node event") }
}
