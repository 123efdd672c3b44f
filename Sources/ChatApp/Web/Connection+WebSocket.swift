// A `Connection` whose client speaks IRC over WebSocket (the IRCv3 WebSocket spec): the
// socket is read raw, frames are decoded by the connection's `WebSocket.Reader`, each
// line of each data message goes to the same `line` path an IRC socket's lines take,
// pings are answered, and the close handshake replaces the plain socket close.
import Actors
import GenServer

extension Connection {
  /// The largest message a WebSocket client may send: an IRC line with the longest tags
  /// (8191 + 512 bytes), with room to spare. Larger closes with 1009.
  static let maxWebSocketMessage = 16 * 1024

  /// The client's output: text messages unless binary.ircv3.net was agreed.
  func webSocketOutput() -> WebSocket.Output {
    WebSocket.Output(socket: socket, binary: upgrade?.binary ?? false)
  }

  /// The reader, holding any frames that arrived with the handshake.
  func webSocketReader() -> WebSocket.Reader {
    WebSocket.Reader(maxMessageSize: Self.maxWebSocketMessage, pending: upgrade?.pending ?? [])
  }

  /// Bytes from a WebSocket client: the lines of its messages join the connection's
  /// receive queue (and its flood control) like an IRC socket's lines; control frames are
  /// answered at once. Returns a result only when the connection must end.
  func webSocketData(_ bytes: [UInt8], _ state: inout State, _ ctx: ServerContext<Self>) async throws -> HandleResult<Self>? {
    guard state.webSocketReader != nil, let output = state.client.endpoint as? WebSocket.Output else { return nil }
    let events = state.webSocketReader!.feed(bytes)
    for event in events {
      switch event {
      case .message(_, let payload):
        // One line per message; a client that sends several separated by line breaks
        // (or a trailing CR LF) is understood too.
        for text in payload.split(omittingEmptySubsequences: true, whereSeparator: { $0 == 0x0A || $0 == 0x0D }) {
          state.pending.append(Array(text))
        }
      case .ping(let payload):
        output.pong(payload)
      case .pong:
        break
      case .close(let code, _):
        // What came before the close frame (a QUIT, say) is run first.
        if let end = try await drain(&state, ctx) { return end }
        // Echo the code (§5.5.1); a close without one is answered with 1000.
        output.close(code ?? .normal)
        return await quitOrDetach("Remote host closed the connection", &state, ctx, tellClient: false)
      case .failure(let failure):
        output.close(failure.code, reason: failure.reason)
        return await quitOrDetach("WebSocket error: \(failure.reason)", &state, ctx, tellClient: false)
      }
    }
    return try await drain(&state, ctx)
  }

  /// Closes the client's socket once what is queued is written: for WebSocket, after
  /// the close frame and the peer's answer to it (`Linger`).
  func closeSocket(_ state: State, _ ctx: ServerContext<Self>) {
    guard let output = state.client.endpoint as? WebSocket.Output else {
      socket.closeWhenDone()
      return
    }
    output.close(.normal)
    let theirs = state.webSocketReader?.receivedClose ?? false
    Linger.handOff(socket, from: ctx, until: theirs ? .flushed : .closeFrame)
  }

  /// Closes the client's socket at shutdown, in this process and within the goodbye
  /// time (a process handed the socket would be stopped with the rest of the node): a
  /// WebSocket client gets the close frame 1001 (going away) and a moment to answer
  /// it; an IRC client sees end of file after its last line, and a moment to close.
  func closeSocketAtShutdown(_ state: State, _ ctx: ServerContext<Self>) async {
    let within = config.goodbyeTime
    guard let output = state.client.endpoint as? WebSocket.Output else {
      await Linger.close(socket, ctx, until: .peerCloses, within: within)
      return
    }
    output.close(.goingAway, reason: Self.shutdownReason)
    let theirs = state.webSocketReader?.receivedClose ?? false
    await Linger.close(socket, ctx, until: theirs ? .flushed : .closeFrame, within: within)
  }
}
