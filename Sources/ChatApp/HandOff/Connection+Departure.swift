// A connection leaving its node: its session moves to another node of the network
// (docs/HANDOFF.md), its client noticing nothing. In order:
//
//  1. Freeze: the socket stops reading and writing; whatever is sent to the client from
//     now on is kept, in order. The session (who the client is, its channels, what was
//     read and not run) goes to the new node over the drain's link, with a duplicate of
//     the socket's descriptor.
//  2. The network: the new node takes the nick (one step in Redis) and tells every node
//     (`moved`); each switches its view of the user and marks the end of what it sent
//     here (`mark(.node)`); this node's relay says who took the session (`adopted`).
//  3. The rooms: each of the client's rooms replaces the member and marks the end of
//     what it sent here (`mark(.room)`).
//  4. Done: with every mark in, nothing more comes here by any path the network knows:
//     what the socket kept goes to the new node, which writes it before anything of its
//     own. The connection lingers a moment for senders that raced the switch (`late`),
//     then ends without a word — no QUIT: its rooms and presence no longer watch it.
//
// A refusal by the new node, or a broken link before it took the session, thaws the
// socket: the client is told to reconnect (the node is being drained). A phase that
// takes longer than the drain's deadline is cut short and logged.
//
// Owner: the connection process; the departure's state is its own (`State.rare`).
import Actors
import Distribution
import GenServer

/// What a connection needs to leave: the drain's link and where to report.
struct HandOffDeparture: Sendable {
  /// Writes to the hand-off link (HandOffDrain.swift).
  let link: Address<HandOffLinkMessage>
  /// Hears how it went.
  let drain: Address<HandOffDrain.Report>
  /// The longest a phase may take.
  let deadline: Duration
  /// How long the old connection stays after `done`, for senders that raced the switch.
  let linger: Duration
}

/// A leaving connection's progress. Owned by its connection process (in `State.rare`).
final class Departure {
  enum Phase: Int {
    case network = 0
    case rooms = 1
    case lingering = 2
  }
  let plan: HandOffDeparture
  var phase = Phase.network
  /// Nodes whose mark has not come (the new one's is its `adopted`).
  var awaitingNodes: Set<String>
  /// The client's channels (folded, as named) when it froze.
  let channels: [(key: String, name: String)]
  /// Rooms asked to switch whose mark has not come.
  var awaitingRooms: Set<String> = []
  /// The user on the new node, as this node sees it.
  var replica: ClientHandle?
  var newNode = ""
  /// Lines read from the socket after it froze (a read already under way).
  var lateInput: [[UInt8]] = []
  /// The start of a line read before the freeze (for a thaw if the move fails).
  let unframed: [UInt8]
  let frozenAt = MonotonicClock.nanoseconds()

  init(plan: HandOffDeparture, awaitingNodes: Set<String>, channels: [(key: String, name: String)], unframed: [UInt8]) {
    self.plan = plan
    self.awaitingNodes = awaitingNodes
    self.channels = channels
    self.unframed = unframed
  }
}

extension Connection {
  /// What a connection that cannot move is told when its node is drained.
  static let reconnectReason = "Server restarting"

  /// Starts leaving (the drain asked). A client that cannot move — not registered, or on
  /// WebSocket — is told to reconnect instead.
  func leave(_ plan: HandOffDeparture, _ state: inout State, _ ctx: ServerContext<Self>) async throws -> HandleResult<Self> {
    let client = state.client
    guard let network = services.network, !webSocket, client.isRegistered, client.holdsNick else {
      plan.drain.send(.told(ctx.pid.id, webSocket: webSocket))
      return await tellToReconnect(&state, ctx)
    }
    let descriptor: Int32
    let unframed: [UInt8]
    do {
      unframed = try ctx.freeze(socket)
      // The link sends a copy: this socket may close before the link gets to it.
      descriptor = try socket.duplicateDescriptor()
    } catch {
      plan.drain.send(.failed(ctx.pid.id, nick: client.nick, reason: "its socket closed"))
      return .noreply()
    }
    state.reading = false
    let memberships = services.channels.memberships(of: client.id)
    let session = HandOffSession(
      from: PidLocation(node: network.nodeName, incarnation: network.incarnation, number: ctx.pid.id), nick: client.nick,
      host: client.host, settings: client.settings, caps: client.capabilities.rawValue, capVersion: state.capVersion,
      signon: UInt32(clamping: client.signon),
      channels: memberships.map { HandOffSession.Membership(key: $0.key, op: $0.member.op, voice: $0.member.voice) },
      account: client.account,
      pendingInput: Array(state.pending[state.next...]), unframedInput: unframed, awaitingPong: state.awaitingPong,
      frozenAtMillis: WallClock.millis())
    let departure = Departure(
      plan: plan, awaitingNodes: Set(network.peers), channels: memberships.map { ($0.key, $0.settings.name) }, unframed: unframed)
    state.handOff = .departing(departure)
    plan.link.send(.send(.session(session), descriptor: descriptor))
    ctx.sendAfter(plan.deadline, to: ctx.address, .info(.handOff(.deadline(phase: Departure.Phase.network.rawValue))))
    return .noreply()
  }

  /// A message while leaving: the hand-off's events go on with it; what the client sent
  /// after the freeze is kept for the new node; the rest waits for nobody.
  func departing(_ message: Message<Info>, _ d: Departure, _ state: inout State, _ ctx: ServerContext<Self>) async throws -> HandleResult<
    Self
  > {
    switch message {
    case .io(let s, .data(let bytes)) where s === socket:
      d.lateInput.append(bytes)
    case .message(.handOff(let event)):
      return try await departure(event, d, &state, ctx)
    case .message(.disconnect(let reason)):
      services.logger.notice(
        "client \(state.client.id) is moving to another node; not disconnected (\(reason))",
        metadata: ["client": .stringConvertible(state.client.id)])
    default:
      break  // idle sweeps, flood resumes: nothing runs here any more
    }
    return .noreply()
  }

  private func departure(_ event: HandOffEvent, _ d: Departure, _ state: inout State, _ ctx: ServerContext<Self>) async throws
    -> HandleResult<Self>
  {
    switch event {
    case .adopted(let node, let replica):
      d.replica = replica
      d.newNode = node
      d.awaitingNodes.remove(node)
      // Counted on its new node from now on (LUSERS), and never left from here.
      state.update { $0.registered = false }
    case .mark(.node(let node)):
      d.awaitingNodes.remove(node)
    case .mark(.room(let key)):
      d.awaitingRooms.remove(key)
    case .mark(.refused(let reason)):
      return await abandonDeparture(d, "the node taking it over refused: \(reason)", &state, ctx)
    case .linkLost(let reason):
      if d.phase == .lingering { return endDeparture(d, ctx) }
      return await abandonDeparture(d, "the hand-off link broke: \(reason)", &state, ctx)
    case .deadline(let phase):
      guard phase == d.phase.rawValue else { break }
      if d.phase == .network {
        guard d.replica != nil else {
          return await abandonDeparture(d, "the node taking it over did not within \(d.plan.deadline)", &state, ctx)
        }
        services.logger.warning(
          "hand-off of \(state.client.nick): no word from \(d.awaitingNodes.sorted().joined(separator: ", ")) within \(d.plan.deadline); switching its rooms anyway",
          metadata: ["client": .stringConvertible(state.client.id)])
        d.awaitingNodes = []
      } else if d.phase == .rooms {
        services.logger.warning(
          "hand-off of \(state.client.nick): no mark from the rooms of \(d.awaitingRooms.sorted().joined(separator: " ")) within \(d.plan.deadline); finishing anyway",
          metadata: ["client": .stringConvertible(state.client.id)])
        d.awaitingRooms = []
      }
    case .lingerOver:
      return endDeparture(d, ctx)
    case .leave, .reconnect, .done, .late, .abandoned:
      break
    }
    return try await advance(d, &state, ctx)
  }

  /// Moves on to the next phase once the current one has all it waits for.
  private func advance(_ d: Departure, _ state: inout State, _ ctx: ServerContext<Self>) async throws -> HandleResult<Self> {
    if d.phase == .network, d.awaitingNodes.isEmpty, let replica = d.replica {
      d.phase = .rooms
      ctx.sendAfter(d.plan.deadline, to: ctx.address, .info(.handOff(.deadline(phase: Departure.Phase.rooms.rawValue))))
      for (key, name) in d.channels {
        d.awaitingRooms.insert(key)
        // No room to ask (the channel ended), or no answer: no mark will come.
        if try await callRoom(name, .handOff(state.client, to: replica), ctx) == nil { d.awaitingRooms.remove(key) }
      }
    }
    if d.phase == .rooms, d.awaitingRooms.isEmpty {
      // Nothing more comes here by any path the network knows: what the socket kept
      // goes to the new node, to be written before anything of its own.
      d.phase = .lingering
      let output = socket.takeFrozenOutput()
      d.plan.link.send(.send(.done(id: ctx.pid.id, output: output, input: d.lateInput), descriptor: nil))
      d.plan.drain.send(.handedOver(ctx.pid.id, to: d.newNode, pause: MonotonicClock.nanoseconds() &- d.frozenAt))
      ctx.sendAfter(d.plan.linger, to: ctx.address, .info(.handOff(.lingerOver)))
    }
    return .noreply()
  }

  /// The linger is over: what raced the switch follows the session, and this connection
  /// ends without a word.
  private func endDeparture(_ d: Departure, _ ctx: ServerContext<Self>) -> HandleResult<Self> {
    let late = socket.takeFrozenOutput()
    if !late.isEmpty { d.plan.link.send(.send(.late(id: ctx.pid.id, output: late), descriptor: nil)) }
    d.plan.drain.send(.finished(ctx.pid.id))
    socket.close()
    return .stop(.normal)
  }

  /// The move failed: the socket thaws, what was kept is written, and the client is
  /// told to reconnect (its node is going away).
  private func abandonDeparture(_ d: Departure, _ reason: String, _ state: inout State, _ ctx: ServerContext<Self>) async
    -> HandleResult<Self>
  {
    services.logger.warning(
      "hand-off of \(state.client.nick) failed: \(reason); told to reconnect", metadata: ["client": .stringConvertible(state.client.id)])
    d.plan.link.send(.send(.abandon(id: ctx.pid.id, reason: reason), descriptor: nil))
    d.plan.drain.send(.failed(ctx.pid.id, nick: state.client.nick, reason: reason))
    state.handOff = nil
    try? ctx.thaw(socket, unframedInput: d.unframed)
    if d.replica != nil { state.update { $0.registered = true } }
    return await tellToReconnect(&state, ctx)
  }

  /// Tells the client its server is going away and to reconnect, then ends the
  /// connection: a NOTICE and ERROR for IRC (clients reconnect on ERROR), and for
  /// WebSocket the close frame 1012 (service restart), which the web page answers by
  /// reconnecting.
  func tellToReconnect(_ state: inout State, _ ctx: ServerContext<Self>) async -> HandleResult<Self> {
    let client = state.client
    if client.isRegistered {
      client.send(
        IRCMessage(source: server, "NOTICE", [client.nick, "*** This server is restarting: reconnect to carry on (nothing is lost)"]))
    }
    if let output = client.endpoint as? WebSocket.Output {
      client.send(IRCMessage("ERROR", ["Closing Link: \(client.host) (\(Self.reconnectReason))"]))
      output.close(.serviceRestart, reason: Self.reconnectReason)
      return await quit(Self.reconnectReason, &state, ctx, tellClient: false)
    }
    return await quit(Self.reconnectReason, &state, ctx)
  }
}
