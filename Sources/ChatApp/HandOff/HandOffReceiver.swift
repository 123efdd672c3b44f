// Where a node takes over the sessions another node of its network hands it
// (docs/HANDOFF.md): a Unix listener — `--handoff-socket`, by default handoff.sock in
// the data directory; mode 0600 and the peer's uid checked, as for the control socket —
// and, for each node that connects, a receiver process. The receiver reads the link in
// order: the sender's hello (a node of this network), then each session with its
// socket, which it adopts frozen and gives to a new connection under the connection
// supervisor (Connection+Arrival.swift), then each session's `done` and `late`, which
// it hands to that connection. A link that ends before a session is done leaves that
// client told to reconnect. When the link ends the receiver logs what it took over and
// the pauses the clients saw (from the freeze on the old node to the thaw here, by the
// two machines' clocks).
//
// Owner: each receiver process, its link and its table of sessions; the listener
// process its listener.
import Actors
import COtterSys
import Distribution
import GenServer
import Glibc
import Supervision

enum HandOffReceiver {
  /// The listener, for the root supervisor (only in a network).
  static func childSpec(_ services: ChatServices, path: String) -> ChildSpec {
    ChildSpec(id: "handoff", restart: .permanent, shutdown: .brutalKill) { ctx in
      // Another node serving this path (the same --data-dir) keeps it.
      var connecting: Int32 = 0
      let probe = otter_unix_connect(path, &connecting)
      if probe >= 0 {
        close(probe)
        throw SocketError.system("listen \(path)", errno: EADDRINUSE)
      }
      let listener = try ctx.listen(unix: path, mode: 0o600)
      let acceptor = ctx.spawnLink(Never.self, options: SpawnOptions(label: "handoff \(path)")) { ctx in
        let listener = try await ctx.receiveSocket()
        while true {
          let link = try await ctx.accept(listener)
          let receiver = ctx.spawnLink(Never.self, options: SpawnOptions(label: "handoff receiver")) { ctx in
            try await receive(ctx, services)
          }
          try? ctx.transfer(link, to: receiver.pid)
        }
      }
      try ctx.transfer(listener, to: acceptor.pid)
      return acceptor.pid
    }
  }

  /// What one link brought: sessions that arrived (or were given up), and the pauses
  /// their clients saw. Shared by the receiver and its sessions' connections.
  final class Tally: Sendable {
    private let state = Locked<(arrived: Int, pauses: [Int])>((0, []))

    /// A session is here (`pause`: milliseconds its client waited), or gave up.
    func arrived(pause: Int?) {
      state.withLock { s in
        s.arrived += 1
        if let pause { s.pauses.append(max(0, pause)) }
      }
    }

    var arrivedCount: Int { state.withLock { $0.arrived } }
    var pauses: [Int] { state.withLock { $0.pauses } }
  }

  /// One link, from its first message to its end.
  private static func receive(_ ctx: Context<Never>, _ services: ChatServices) async throws {
    let link = try await ctx.receiveSocket()
    defer { link.close() }
    let logger = services.logger
    if let peer = link.peerCredentials, peer.userID != geteuid(), peer.userID != 0 {
      logger.warning("handoff: refused a link from uid \(peer.userID) (only this node's user may hand sessions over)")
      return
    }
    guard let network = services.network else { return }
    try ctx.carryDescriptors(on: link, maximumMessageBytes: 64 << 20)
    let tally = Tally()
    var from: String?
    var sessions: [UInt64: Address<ServerMessage<Connection>>] = [:]
    var finished: Set<UInt64> = []
    let started = MonotonicClock.nanoseconds()
    reading: while true {
      let message: DescriptorMessage
      do {
        guard let m = try await ctx.receiveMessage(on: link) else { break }
        message = m
      } catch {
        logger.warning("handoff: the link from \(from ?? "a node") failed: \(error)")
        break
      }
      let decoded: HandOffMessage
      do {
        decoded = try HandOffMessage(bytes: message.data)
      } catch {
        for fd in message.descriptors { close(fd) }
        logger.error("handoff: unreadable message from \(from ?? "a node") (\(error)); link closed")
        break
      }
      var descriptors = message.descriptors
      defer { for fd in descriptors { close(fd) } }
      switch decoded {
      case .hello(let cluster, let node, _):
        guard cluster == network.config.clusterName, node != network.nodeName else {
          logger.error(
            "handoff: refused sessions from \(node) of network \(cluster): this is \(network.nodeName) of \(network.config.clusterName)")
          break reading
        }
        from = node
        logger.notice("handoff: taking over sessions from \(node)", metadata: ["node": .string(node)])
      case .session(let session):
        guard from != nil, descriptors.count == 1 else {
          logger.error("handoff: a session without a hello or without its one socket; link closed")
          break reading
        }
        let fd = descriptors.removeFirst()
        if let connection = await adopt(session, fd, tally, services, network, ctx) { sessions[session.id] = connection }
      case .done(let id, let output, let input):
        sessions[id]?.send(.info(.handOff(.done(output: output, input: input))))
        finished.insert(id)
      case .late(let id, let output):
        sessions[id]?.send(.info(.handOff(.late(output))))
      case .abandon(let id, let reason):
        sessions[id]?.send(.info(.handOff(.abandoned(reason))))
        finished.insert(id)
      }
    }
    for (id, connection) in sessions where !finished.contains(id) {
      connection.send(.info(.handOff(.abandoned("the node handing it over went away before it was done"))))
    }
    // Each session says when it is here; the summary waits for them (2 s at most).
    for _ in 0..<200 where tally.arrivedCount < sessions.count { try await ctx.sleep(for: .milliseconds(10)) }
    let pauses = tally.pauses.sorted()
    guard !sessions.isEmpty else { return }
    let seconds = Double(MonotonicClock.nanoseconds() &- started) / 1e9
    let median = pauses.isEmpty ? 0 : pauses[pauses.count / 2]
    logger.notice(
      "handoff: took over \(pauses.count) of \(sessions.count) sessions from \(from ?? "a node") in \((seconds * 100).rounded() / 100) s; pause median \(median) ms, longest \(pauses.last ?? 0) ms",
      metadata: [
        "node": .string(from ?? ""), "sessions": .stringConvertible(sessions.count), "arrived": .stringConvertible(pauses.count),
        "pause_median_ms": .stringConvertible(median), "pause_max_ms": .stringConvertible(pauses.last ?? 0),
      ])
  }

  /// Adopts a session's socket (frozen) and starts its connection; the connection, or
  /// nil after a refusal sent to the old node.
  private static func adopt(
    _ session: HandOffSession, _ fd: Int32, _ tally: Tally, _ services: ChatServices, _ network: ChatNetwork, _ ctx: Context<Never>
  ) async -> Address<ServerMessage<Connection>>? {
    func refuse(_ reason: String) -> Address<ServerMessage<Connection>>? {
      services.logger.warning("handoff: cannot take over \(session.nick) from \(session.from.node): \(reason)")
      network.send(.handOffMark(to: session.from.number, incarnation: session.from.incarnation, .refused(reason)), to: session.from.node)
      tally.arrived(pause: nil)
      return nil
    }
    let socket: Socket
    do {
      socket = try ctx.adoptSocket(fd)
      _ = try ctx.freeze(socket)
    } catch {
      close(fd)
      return refuse("its socket cannot be used here: \(error)")
    }
    services.arrivals.expect(Arrival(session: session, tally: tally), on: socket)
    do {
      guard let supervisor = ctx.node.whereis(ChatServices.connectionsName, as: ServerMessage<DynamicSupervisor<Socket>>.self),
        let pid = try await ctx.startChild(GenServerRef(supervisor), socket, timeout: .seconds(10))
      else {
        throw SocketError.closed
      }
      try ctx.transfer(socket, to: pid)
      return pid.address(as: ServerMessage<Connection>.self)
    } catch {
      _ = services.arrivals.take(for: socket)
      socket.close()
      return refuse("no connection could be started for it (\(error))")
    }
  }
}
