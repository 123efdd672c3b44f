// A connection arriving: the session of a client of another node of the network, with
// its socket (docs/HANDOFF.md). The connection starts as that client — same nick, user,
// host, modes, capabilities — with its socket frozen: what is sent to it is kept, and
// nothing is read, until the old node says it is done. Meanwhile it takes the session
// over in the network, in one step each: the nick (Redis: from the old connection to
// this one), presence here, and the relay, which tells every node. Then the old node
// switches the rooms and, with every mark in, sends what it kept: written first, then
// what was kept here, and the client's unread lines run before anything new is read.
//
// A refusal (the nick is no longer the old connection's, Redis cannot be reached) ends
// this connection without a word: the old node keeps the client. An old node that goes
// away (or gives up) before it is done leaves a client whose lines may be lost: it is
// told to reconnect.
//
// Owner: the connection process; the arrival's state is its own (`State.rare`).
import Actors
import Distribution
import GenServer

/// An arriving connection's session, until the old node is done.
final class Arrival: Sendable {
  let session: HandOffSession
  /// What the node's receiver counts of its link (HandOffReceiver.swift).
  let tally: HandOffReceiver.Tally

  init(session: HandOffSession, tally: HandOffReceiver.Tally) {
    self.session = session
    self.tally = tally
  }
}

extension Connection {
  /// Starts as the client of `arrival`: its handle, settings and capabilities; its
  /// socket stays frozen.
  func initialize(arriving arrival: Arrival, _ ctx: ServerContext<Self>) -> InitResult<Self> {
    let s = arrival.session
    let client = ClientHandle(pid: ctx.pid, host: s.host, services: services, endpoint: socket, signon: s.signon)
    services.clients.add(client)
    ctx.trapExit = true
    ctx.onExit { _ in client.services.clientLeft(client) }
    try? socket.setFraming(.line(maxLength: 8191 + 512))
    socket.setWatermarks(high: config.sendQueueLimit, policy: .close)
    if let size = config.kernelSendBuffer { socket.setKernelBuffers(send: size) }
    socket.setSendCoalescing(config.sendCoalescing)
    ctx.setLabel(from: client)
    var state = State(client: client, tokens: Double(config.floodBurst), refilledAt: MonotonicClock.nanoseconds())
    state.adopt(s.settings, caps: Caps(rawValue: s.caps))
    state.capVersion = s.capVersion
    state.nickGiven = true
    state.userGiven = true
    state.awaitingPong = s.awaitingPong
    state.handOff = .arriving(arrival)
    services.logger.debug(
      "client \(client.id) arriving from \(s.from) as \(s.nick)", metadata: ["client": .stringConvertible(client.id)])
    return .ok(state)
  }

  /// A message while arriving: the socket is handed over (take the session over in the
  /// network), the old node's word, or what waits until the session is here.
  func arriving(_ message: Message<Info>, _ a: Arrival, _ state: inout State, _ ctx: ServerContext<Self>) async throws -> HandleResult<Self>
  {
    switch message {
    case .io(let s, .owned) where s === socket:
      return try await takeOver(a, &state, ctx)
    case .message(.handOff(.done(let output, let input))):
      return try await arrive(a, output: output, input: input, &state, ctx)
    case .message(.handOff(.abandoned(let reason))):
      services.logger.warning(
        "hand-off of \(state.client.nick) from \(a.session.from.node) abandoned: \(reason); told to reconnect",
        metadata: ["client": .stringConvertible(state.client.id)])
      state.handOff = nil
      a.tally.arrived(pause: nil)
      try? ctx.thaw(socket)
      return await tellToReconnect(&state, ctx)
    default:
      return .noreply()  // idle sweeps, kills: the session is not here yet
    }
  }

  /// What reached the old node after it was done, written as it comes.
  func late(_ output: [UInt8], _ state: State) {
    state.client.send(output)
  }

  /// Takes the session over in the network: the nick in Redis, presence here, the relay
  /// (which tells every node). A refusal goes back to the old node.
  private func takeOver(_ a: Arrival, _ state: inout State, _ ctx: ServerContext<Self>) async throws -> HandleResult<Self> {
    let s = a.session
    let client = state.client
    guard let network = services.network else { return refuse(a, "this node is in no network", &state, ctx) }
    do {
      guard try await network.names.transfer("nick:" + Names.fold(s.nick), from: s.from, to: ctx.pid, ctx) else {
        return refuse(a, "its nick \(s.nick) is no longer that connection's", &state, ctx)
      }
      network.healthy()
    } catch {
      network.unhealthy()
      return refuse(a, "the network's Redis cannot be reached (\(error))", &state, ctx)
    }
    guard case .claimed? = try await callPresence(.adopt(client, nick: s.nick), ctx) else {
      return refuse(a, "this node's presence did not take the nick", &state, ctx)
    }
    guard let relay = ctx.node.whereis(ChatNetwork.relayName, as: ServerMessage<Relay>.self) else {
      return refuse(a, "this node's relay is not running", &state, ctx)
    }
    let (done, request) = ctx.makeReply(Bool.self)
    relay.send(.info(.adopted(from: s.from, client: client, done: done)))
    _ = try? await ctx.receiveResponse(request, timeout: .seconds(10))
    return .noreply()
  }

  /// The session cannot be taken over here: the old node keeps it; this connection ends
  /// unseen (it was never registered as far as anyone here knows).
  private func refuse(_ a: Arrival, _ reason: String, _ state: inout State, _ ctx: ServerContext<Self>) -> HandleResult<Self> {
    let from = a.session.from
    services.logger.warning(
      "cannot take over \(a.session.nick) from \(from.node): \(reason)", metadata: ["client": .stringConvertible(state.client.id)])
    services.network?.send(.handOffMark(to: from.number, incarnation: from.incarnation, .refused(reason)), to: from.node)
    state.update { $0.registered = false }
    state.handOff = nil
    a.tally.arrived(pause: nil)
    socket.close()
    return .stop(.normal)
  }

  /// The old node is done: its output first, then what was kept here; the client's
  /// unread lines run, then reading starts.
  private func arrive(_ a: Arrival, output: [UInt8], input: [[UInt8]], _ state: inout State, _ ctx: ServerContext<Self>) async throws
    -> HandleResult<Self>
  {
    let s = a.session
    try? ctx.thaw(socket, prepending: output, unframedInput: s.unframedInput)
    a.tally.arrived(pause: Int(WallClock.millis() - s.frozenAtMillis))
    // This node's tables show the client in its channels before it runs a command (a
    // room elsewhere sends its record here as it switches; a client kicked meanwhile is
    // not waited for long).
    let channels = Set(s.channels.map(\.key))
    for _ in 0..<100 where !channels.isSubset(of: Set(services.channels.channels(of: state.client.id))) {
      try await ctx.sleep(for: .milliseconds(10))
    }
    state.handOff = nil
    await learnAlwaysOn(&state, ctx)
    state.pending = s.pendingInput + input
    state.next = 0
    state.client.setIdleDeadline(after: idleTimeout(state))
    services.logger.debug(
      "client \(state.client.id) arrived from \(s.from.node) as \(s.nick)", metadata: ["client": .stringConvertible(state.client.id)])
    if let end = try await drain(&state, ctx) { return end }
    return .noreply(.hibernate)
  }
}
