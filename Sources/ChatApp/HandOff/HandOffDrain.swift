// Draining a node (docs/HANDOFF.md): every session it serves is handed to another node
// of its network, which listens for hand-offs on a Unix socket; then, unless asked not
// to, the node stops. What a rolling reload does to each worker it replaces. It runs as
// the control endpoint's `handoff` operation (`chatd handoff --to SOCKET`):
//
//  1. connect to the other node's hand-off socket and say who hands over;
//  2. stop accepting (the IRC and web listeners stop; on a listener shared with other
//     workers, queued connections wait there for them);
//  3. tell every connection to leave (Connection+Departure.swift), a window of them at
//     a time: a registered IRC client moves; one that cannot — on WebSocket, not
//     registered yet — is told to reconnect;
//  4. wait until each has moved and lingered, or failed (then it was told to reconnect);
//  5. answer with what happened; the node stops a moment later.
//
// The link is written by one process (`HandOffLink`), in the order the connections
// hand it their messages; the other node never writes on it.
//
// Owner: the drain's process (its counts); the link process (the link).
import Actors
import Control
import Distribution
import GenServer
import Glibc
import Supervision

/// What the hand-off link's writer is given.
enum HandOffLinkMessage: Sendable {
  /// Write `message`, with `descriptor` attached (the link closes it once sent).
  case send(HandOffMessage, descriptor: Int32?)
  /// Write what is queued, then close the link.
  case finish
}

enum HandOffDrain {
  /// What the connections tell the drain.
  enum Report: Sendable {
    /// Moved: its socket was frozen for `pause` nanoseconds on this side.
    case handedOver(UInt64, to: String, pause: UInt64)
    /// Its linger is over; it has ended.
    case finished(UInt64)
    /// It could not move (why); it was told to reconnect.
    case failed(UInt64, nick: String, reason: String)
    /// It cannot move (on WebSocket, or not registered): it was told to reconnect.
    case told(UInt64, webSocket: Bool)
    /// The link to the other node broke.
    case linkLost(String)
  }

  /// How a drain goes.
  struct Options: Sendable {
    /// The other node's hand-off socket.
    var to: String
    /// Connections moving at once.
    var window = 64
    /// The longest a phase of one session's move may take.
    var deadline: Duration = .seconds(10)
    /// How long a moved connection waits for senders that raced the switch.
    var linger: Duration = .milliseconds(500)
    /// Stop the node afterwards.
    var stop = true
    /// Leave the network's membership once every session has gone (a master that stops
    /// the node itself asks for it): the rooms homed here are taken over at once.
    var leave = false
  }

  /// How long connections still registering when the drain starts may take to finish.
  static let registrationGrace: Duration = .seconds(2)

  /// The control endpoint's `handoff` operation: parameters `to` (the other node's
  /// hand-off socket), `stop` (default true), `leave` (default false), `window`,
  /// `deadline_ms`. `stop` is what
  /// stops the node.
  static func operation(_ services: ChatServices, stop: @escaping @Sendable () -> Void) -> ControlOperation {
    ControlOperation(parameters: ["to", "stop", "leave", "window", "deadline_ms"]) { parameters, node in
      guard let to = parameters["to"]?.stringValue, !to.isEmpty else {
        return .failure(ControlError(.badRequest, "handoff: \"to\" must name the other node's hand-off socket"))
      }
      var options = Options(to: to)
      if let v = parameters["stop"] {
        guard let b = v.boolValue else { return .failure(ControlError(.badRequest, "handoff: \"stop\" must be true or false")) }
        options.stop = b
      }
      if let v = parameters["leave"] {
        guard let b = v.boolValue else { return .failure(ControlError(.badRequest, "handoff: \"leave\" must be true or false")) }
        options.leave = b
      }
      if let v = parameters["window"] {
        guard let n = v.intValue, (1...100_000).contains(n) else {
          return .failure(ControlError(.badRequest, "handoff: \"window\" must be 1 to 100000"))
        }
        options.window = Int(n)
      }
      if let v = parameters["deadline_ms"] {
        guard let n = v.intValue, (100...600_000).contains(n) else {
          return .failure(ControlError(.badRequest, "handoff: \"deadline_ms\" must be 100 to 600000"))
        }
        options.deadline = .milliseconds(n)
      }
      let outcome: Result<JSON, ControlError>
      let chosen = options
      do {
        outcome = try await node.run(Report.self, label: "handoff drain") { ctx in await run(chosen, services, ctx) }
      } catch {
        outcome = .failure(ControlError(.internal, "handoff: the drain failed: \(error)"))
      }
      if options.stop, case .success = outcome {
        // After the answer is written: the control endpoint stops with the node.
        node.spawn(Never.self, options: SpawnOptions(label: "handoff stop")) { ctx in
          try await ctx.sleep(for: .milliseconds(300))
          stop()
        }
      }
      return outcome
    }
  }

  /// Before the node leaves the network: its rooms stop, each between two requests, so
  /// that none runs a request after the leave (which first lets every other node read
  /// what was sent to it: `Distribution.leave`). A request a room ran then has its reply
  /// and copies at the other nodes; one it had not run fails as `exited`, and the caller
  /// sends it to the room's next home (`ChatNetwork.callRoom`), which runs it once.
  /// Leaving with the rooms running, a caller that lost the reply of a message its room
  /// had posted posted it again: every member saw it twice.
  static func stopRooms<M>(_ ctx: Context<M>) async {
    guard let rooms = ctx.node.whereis(ChatServices.roomsName, as: ServerMessage<DynamicSupervisor<RoomStart>>.self) else { return }
    let supervisor = GenServerRef(rooms)
    for child in (try? await ctx.whichChildren(supervisor)) ?? [] {
      guard let pid = child.pid else { continue }
      try? await ctx.terminateChild(supervisor, pid: pid, timeout: .seconds(5))
    }
  }

  /// Hands every session to the node behind `options.to`.
  static func run(_ options: Options, _ services: ChatServices, _ ctx: Context<Report>) async -> Result<JSON, ControlError> {
    guard let network = services.network else {
      return .failure(
        ControlError(.badRequest, "handoff: this chatd runs alone; sessions move only between nodes of one network (--cluster)"))
    }
    let link: Socket
    do {
      link = try await ctx.connect(unix: options.to, timeout: .seconds(5))
      try ctx.carryDescriptors(on: link)
    } catch {
      return .failure(
        ControlError(
          .badRequest,
          "handoff: cannot reach the hand-off socket \(options.to): \(error) (the node taking over listens there: its --handoff-socket, by default handoff.sock in its data directory)"
        ))
    }
    let started = MonotonicClock.nanoseconds()
    let drain = ctx.address
    let writer = ctx.node.spawn(HandOffLinkMessage.self, options: SpawnOptions(label: "handoff link \(options.to)")) { ctx in
      try await HandOffLink.write(ctx, drain: drain)
    }
    try? ctx.transfer(link, to: writer.pid)
    writer.send(
      .send(.hello(cluster: network.config.clusterName, node: network.nodeName, incarnation: network.incarnation), descriptor: nil))

    // Nobody new from now on: the listeners stop (a shared one keeps its queue for the
    // other workers).
    if let root = ctx.node.whereis("chatd", as: ServerMessage<Supervisor>.self) {
      for id in ["irc", "web"] { try? await ctx.terminateChild(GenServerRef(root), id: id, timeout: .seconds(5)) }
    }

    // A connection the listener accepted as it stopped may still be starting: its start
    // runs in the connections' supervisor, which answers a call only after it — and a
    // started connection is in the client directory, for the wait below to see. (Unseen,
    // it was found unregistered by the first `startMore` and told to reconnect.)
    if let connections = ctx.node.whereis(ChatServices.connectionsName, as: ServerMessage<DynamicSupervisor<Socket>>.self) {
      _ = try? await ctx.countChildren(GenServerRef(connections))
    }
    // A connection still registering (accepted just before the listeners stopped: the
    // client has sent NICK and USER or is about to) is given a moment to finish — a
    // registered session moves unnoticed, an unregistered one could only be told to
    // reconnect. Two seconds at most: one that does not register is told.
    let registering = ContinuousClock.now + Self.registrationGrace
    while ContinuousClock.now < registering, services.clients.all.contains(where: { !$0.isRegistered }) {
      try? await ctx.sleep(for: .milliseconds(20))
    }

    let plan = HandOffDeparture(link: writer, drain: drain, deadline: options.deadline, linger: options.linger)
    var waiting = services.clients.all.sorted { $0.id < $1.id }[...]
    services.notifier?.status("handing \(waiting.count) sessions over to the node at \(options.to)")
    services.logger.notice("handoff: handing \(waiting.count) sessions over to the node at \(options.to)")
    var moving: Set<UInt64> = []
    var lingering: Set<UInt64> = []
    /// Every client asked to leave (a connection accepted just before the listeners
    /// stopped may start after the first look: it is found by the next one).
    var asked: Set<UInt64> = []
    var moved = 0
    var toldWebSocket = 0
    var toldUnregistered = 0
    var failed: [(nick: String, reason: String)] = []
    var left = 0
    var pauses: [UInt64] = []
    var target = ""
    var linkLost: String?

    func startMore() {
      if waiting.isEmpty {
        waiting = services.clients.all.filter { !asked.contains($0.id) }.sorted { $0.id < $1.id }[...]
      }
      while moving.count < options.window, let client = waiting.popFirst() {
        guard asked.insert(client.id).inserted, let connection = client.pid.address(as: ServerMessage<Connection>.self),
          client.pid.isAlive
        else { continue }
        ctx.monitor(client.pid)
        moving.insert(client.id)
        connection.send(.info(.handOff(linkLost == nil ? .leave(plan) : .reconnect)))
      }
    }
    startMore()
    while !moving.isEmpty || !lingering.isEmpty {
      // Every session reports within its deadlines; a silent drain is a stuck one.
      guard let message = try? await ctx.receive(timeout: .after(options.deadline * 3 + .seconds(5))) else {
        failed += moving.map { (nick: "client \($0)", reason: "no word from its connection") }
        break
      }
      switch message {
      case .message(.handedOver(let id, let node, let pause)):
        guard moving.remove(id) != nil else { break }
        moved += 1
        pauses.append(pause)
        target = node
        lingering.insert(id)
      case .message(.finished(let id)):
        lingering.remove(id)
      case .message(.failed(let id, let nick, let reason)):
        moving.remove(id)
        lingering.remove(id)
        failed.append((nick, reason))
      case .message(.told(let id, let webSocket)):
        moving.remove(id)
        if webSocket { toldWebSocket += 1 } else { toldUnregistered += 1 }
      case .message(.linkLost(let reason)):
        guard linkLost == nil else { break }
        linkLost = reason
        services.logger.error("handoff: the link to \(options.to) broke (\(reason)); the sessions still here are told to reconnect")
        for client in services.clients.all where moving.contains(client.id) || lingering.contains(client.id) {
          client.pid.address(as: ServerMessage<Connection>.self)?.send(.info(.handOff(.linkLost(reason))))
        }
      case .down(_, let pid, let reason):
        // A client that quit meanwhile has simply left; one whose connection failed
        // while it moved could not move.
        if moving.remove(pid.id) != nil {
          if reason == .normal { left += 1 } else { failed.append((nick: "client \(pid.id)", reason: "its connection ended (\(reason))")) }
        }
        lingering.remove(pid.id)
      default:
        break
      }
      startMore()
    }
    writer.send(.finish)
    let total = asked.count
    if options.leave && linkLost == nil && failed.isEmpty {
      await stopRooms(ctx)
      await network.withdraw()
      services.logger.notice("handoff: this node left the network; its channels' rooms are taken over by the others")
    }

    let seconds = Double(MonotonicClock.nanoseconds() &- started) / 1e9
    let sorted = pauses.sorted()
    let median = sorted.isEmpty ? 0 : sorted[sorted.count / 2]
    let longest = sorted.last ?? 0
    services.logger.notice(
      "handoff: \(moved) of \(total) sessions handed over to \(target.isEmpty ? options.to : target) in \((seconds * 100).rounded() / 100) s, \(toldWebSocket + toldUnregistered) told to reconnect, \(failed.count) failed",
      metadata: ["moved": .stringConvertible(moved), "failed": .stringConvertible(failed.count)])
    return .success(
      .fields([
        "to": .string(target), "sessions": .number(total), "handed_over": .number(moved),
        "told_to_reconnect": .fields(["websocket": .number(toldWebSocket), "unregistered": .number(toldUnregistered)]),
        "failed": .array(failed.map { .fields(["nick": .string($0.nick), "reason": .string($0.reason)]) }), "left": .number(left),
        "seconds": .number(seconds),
        "frozen_ms": .fields(["median": .number(Double(median) / 1e6), "longest": .number(Double(longest) / 1e6)]),
        "link_lost": linkLost.map { .string($0) }, "stopping": .bool(options.stop),
      ]))
  }
}

/// The writer of a hand-off link: the one process that writes on it, in the order it is
/// given messages; it owns the link, so it also hears when the other side closes it.
enum HandOffLink {
  static func write(_ ctx: Context<HandOffLinkMessage>, drain: Address<HandOffDrain.Report>) async throws {
    let link = try await ctx.receiveSocket()
    // The other node never writes: the one event is its end.
    try? ctx.activate(link, .once)
    writing: while let message = try await ctx.receive() {
      switch message {
      case .message(.send(let handOff, let descriptor)):
        defer { if let descriptor { close(descriptor) } }
        do {
          try await ctx.sendMessage(handOff.bytes, descriptors: descriptor.map { [$0] } ?? [], on: link)
        } catch {
          drain.send(.linkLost("\(error)"))
          break writing
        }
      case .message(.finish):
        for _ in 0..<2000 where link.isOpen && link.pendingBytes > 0 { try await ctx.sleep(for: .milliseconds(5)) }
        break writing
      case .io(let s, .closed) where s === link, .io(let s, .error) where s === link:
        drain.send(.linkLost("the node taking over closed the link"))
        break writing
      default:
        continue
      }
    }
    link.close()
    // The descriptors of messages never written.
    while let message = try? await ctx.receive(timeout: .zero) {
      if case .message(.send(_, let fd?)) = message { close(fd) }
    }
  }
}
