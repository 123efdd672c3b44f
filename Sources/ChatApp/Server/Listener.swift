// The listener: the acceptor pattern. It accepts each connection and hands its socket
// to a new connection process started under the connection supervisor. The listening
// socket is its own, or a duplicate of one chatd's parent handed down
// (InheritedListeners.swift): then closing it — the listener stopping or restarting —
// leaves the socket, and the connections queued on it, to whoever else holds it. A TLS
// listener secures each socket with a new session first (the handshake then runs in
// the socket, driven by its reads: the acceptor waits for none).
import Actors
import GenServer
import Glibc
import Supervision
import Synchronization

enum Listener {
  /// A child spec for a listener on `host:port` whose connections become `Connection`
  /// processes under the dynamic supervisor registered as `supervisor`, or on a
  /// duplicate of the `inherited` listening descriptor. The port actually bound (for
  /// port 0) is written to `bound`. `refusal` is what a client is sent when no process
  /// can be started for it. `secure`, if given, makes the security layer (a TLS
  /// session) of each connection; one it cannot make is closed at once.
  static func childSpec(
    id: String, host: String, port: Int, inherited: Int32? = nil, supervisor: String, bound: BoundPort,
    refusal: [UInt8] = IRCMessage("ERROR", ["Closing Link: server full"]).serialized(),
    secure: (@Sendable () -> SocketSecurity?)? = nil
  ) -> ChildSpec {
    ChildSpec(id: id, restart: .permanent, shutdown: .brutalKill) { ctx in
      // Listening here, in the supervisor's start, makes a busy port a start failure
      // with a clear reason instead of a crash loop.
      let listener: Socket
      if let inherited {
        let copy = try Socket.duplicate(inherited)
        do {
          listener = try ctx.adoptSocket(copy)
        } catch {
          close(copy)
          throw error
        }
      } else {
        listener = try ctx.listen(tcp: host, port: port, backlog: 4096)
      }
      let actual = listener.localAddress.flatMap { $0.split(separator: ":").last.flatMap { Int($0) } } ?? port
      bound.set(actual)
      let acceptor = ctx.spawnLink(Never.self, options: SpawnOptions(label: "\(id) \(host):\(actual)")) { ctx in
        try await acceptLoop(ctx, supervisor: supervisor, refusal: refusal, secure: secure)
      }
      try ctx.transfer(listener, to: acceptor.pid)
      return acceptor.pid
    }
  }

  private static func acceptLoop(
    _ ctx: Context<Never>, supervisor: String, refusal: [UInt8], secure: (@Sendable () -> SocketSecurity?)?
  ) async throws {
    let listener = try await ctx.receiveSocket()
    while true {
      let connection: Socket
      do {
        connection = try await ctx.accept(listener)
      } catch SocketError.system(_, let errno) where errno == 24 || errno == 23 {
        // Out of file descriptors: wait a little instead of spinning.
        try await ctx.sleep(for: .milliseconds(100))
        continue
      }
      if let secure {
        guard let layer = secure(), (try? connection.secure(with: layer)) != nil else {
          connection.close()
          continue
        }
      }
      guard let sup = ctx.node.whereis(supervisor, as: ServerMessage<DynamicSupervisor<Socket>>.self) else {
        connection.close()
        continue
      }
      do {
        if let pid = try await ctx.startChild(GenServerRef(sup), connection, timeout: .seconds(10)) {
          try? ctx.transfer(connection, to: pid)
        } else {
          connection.close()
        }
      } catch {
        // Too many clients (maxChildren) or the supervisor is restarting.
        connection.send(refusal)
        connection.closeWhenDone()
      }
    }
  }
}

/// The port a listener bound, readable from outside the node.
final class BoundPort: Sendable {
  private let value = Atomic<Int>(0)
  func set(_ port: Int) { value.store(port, ordering: .relaxed) }
  var port: Int { value.load(ordering: .relaxed) }
}
