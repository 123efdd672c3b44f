// Closing a socket without losing the last words. A process's sockets close when it
// exits, dropping what is still queued; and closing a socket with unread input makes
// the kernel send RST, which can destroy a response the peer has not read yet. So the
// last bytes are flushed first, then the peer gets a moment to close its side (or, on a
// WebSocket, to answer the close frame — RFC 6455 §7.1.1 wants the server to close the
// TCP connection after that), and only then is the socket closed.
import Actors

enum Linger {
  /// How long the peer has to flush and close before the socket is closed anyway.
  static let timeout: Duration = .seconds(2)

  /// What to wait for after the last bytes are written.
  enum Until: Sendable {
    /// Nothing more: the peer is waiting for us to close (it sent its close frame).
    case flushed
    /// The peer closes its side (HTTP with `Connection: close`).
    case peerCloses
    /// The peer's close frame, or its closing, whichever comes first.
    case closeFrame
  }

  /// Flushes `socket`, then reads and discards input until `until` happens (at most
  /// `within` in all), then closes it. Runs in the process that owns the socket.
  static func close<M>(_ socket: Socket, _ ctx: Context<M>, until: Until, within: Duration = timeout) async {
    let clock = ContinuousClock()
    let deadline = clock.now.advanced(by: within)
    while socket.isOpen && socket.pendingBytes > 0 && clock.now < deadline {
      try? await ctx.sleep(for: .milliseconds(5))
    }
    // Tell an HTTP peer we are done (it sees end of file and closes its side). On a
    // WebSocket the peer must first answer our close frame: the TCP close comes after.
    if until == .peerCloses { socket.shutdownWrite() }
    var reader = WebSocket.Reader(maxMessageSize: 1 << 20)
    reading: while until != .flushed && socket.isOpen && clock.now < deadline {
      let left = clock.now.duration(to: deadline)
      let chunk: [UInt8]?
      do {
        chunk = try await ctx.read(socket, timeout: .after(left))
      } catch {
        break
      }
      guard let chunk else { break }
      if until == .closeFrame {
        for event in reader.feed(chunk) {
          if case .close = event { break reading }
          if case .failure = event { break reading }
        }
      }
    }
    socket.close()
  }

  /// Hands `socket` to a new process that closes it as `close` does, so that the
  /// caller can exit now.
  static func handOff<M>(_ socket: Socket, from ctx: Context<M>, until: Until) {
    let closer = ctx.spawn(Never.self, options: SpawnOptions(label: "linger \(socket.id)")) { ctx in
      guard let socket = try? await ctx.receiveSocket() else { return }
      await close(socket, ctx, until: until)
    }
    do {
      try ctx.transfer(socket, to: closer.pid)
    } catch {
      // Not ours any more, or closed already: nothing to linger over.
      socket.close()
    }
  }
}
