// One HTTP connection on the web port: a process that reads the request head, answers
// it — the chat page, a 4xx for anything else — and closes; or, for a valid WebSocket
// handshake on /ws, sends the 101 and hands the socket to a new `Connection` process
// (under the websockets supervisor), which speaks IRC over it from then on. On the
// HTTPS port the socket carries a TLS session: the same bytes, sealed; a client that
// has not finished its handshake within the handshake timeout is cut off unanswered.
import Actors
import GenServer
import Supervision
import TLS

enum WebSession {
  /// Time a client has to send its whole request head (slow clients get 408).
  static let requestTimeout: Duration = .seconds(10)

  /// The session's body: runs in a process started by the web-sessions supervisor,
  /// which receives its socket from the listener.
  static func run(_ ctx: Context<Never>, services: ChatServices) async throws {
    let socket = try await ctx.receiveSocket(timeout: .seconds(10))
    socket.setWatermarks(high: 4 << 20, policy: .close)
    let clock = ContinuousClock()
    let deadline = clock.now.advanced(by: requestTimeout)
    let tls = socket.security as? TLSSession
    let handshakeDeadline = clock.now.advanced(by: services.config.tlsHandshakeTimeout)
    var received: [UInt8] = []
    var headEnd: Int?
    while headEnd == nil {
      if received.count > HTTPRequest.maxHeadLength {
        return await answer(HTTPResponse.error(HTTPError(431, "request head over \(HTTPRequest.maxHeadLength) bytes")), socket, ctx)
      }
      let chunk: [UInt8]?
      do {
        let handshaking = tls.map { !$0.isEstablished } ?? false
        let until = handshaking ? min(deadline, handshakeDeadline) : deadline
        chunk = try await ctx.read(socket, timeout: .after(clock.now.duration(to: until)))
      } catch SocketError.timeout {
        if let tls, !tls.isEstablished {
          tls.recordTimeout()
          socket.close()
          return
        }
        return await answer(HTTPResponse.error(HTTPError(408, "the request head did not arrive in time")), socket, ctx)
      } catch {
        socket.close()
        return
      }
      guard let chunk else {
        socket.close()  // the peer went away before asking anything
        return
      }
      received += chunk
      headEnd = HTTPRequest.headEnd(in: received)
    }
    let end = headEnd!
    let request: HTTPRequest
    do {
      request = try HTTPRequest.parse(received[..<end])
    } catch {
      return await answer(HTTPResponse.error(error), socket, ctx)
    }
    let isHead = request.method == "HEAD"
    // IRC over WebSocket is at /ws; an upgrade request for / is taken too (clients that
    // are given just ws://host:port, like irctest's).
    let asksUpgrade = request.header("Upgrade")?.lowercased().contains("websocket") ?? false
    switch request.path {
    case let path where path == "/ws" || (path == "/" && asksUpgrade):
      let handshake: WebSocket.Handshake
      do {
        handshake = try WebSocket.Handshake(request)
      } catch {
        return await answer(HTTPResponse.error(error, includeBody: !isHead), socket, ctx)
      }
      await upgrade(socket, handshake, pending: Array(received[end...]), ctx)
    case "/", "/index.html":
      guard request.method == "GET" || isHead else {
        return await answer(
          HTTPResponse.error(HTTPError(405, "\(request.method) is not allowed here", headers: [("Allow", "GET, HEAD")])), socket, ctx)
      }
      let page = HTTPResponse.make(
        200, contentType: "text/html; charset=utf-8", body: WebClientPage.bytes,
        headers: [("Cache-Control", "no-cache")] + pageSecurityHeaders, includeBody: !isHead)
      return await answer(page, socket, ctx)
    case "/app.js", "/app.css":
      // The page's script and style, files of their own so the page needs no inline code.
      guard request.method == "GET" || isHead else {
        return await answer(
          HTTPResponse.error(HTTPError(405, "\(request.method) is not allowed here", headers: [("Allow", "GET, HEAD")])), socket, ctx)
      }
      let script = request.path == "/app.js"
      let file = HTTPResponse.make(
        200, contentType: script ? "application/javascript; charset=utf-8" : "text/css; charset=utf-8",
        body: script ? WebClientScript.bytes : WebClientStyle.bytes,
        headers: [("Cache-Control", "no-cache"), ("X-Content-Type-Options", "nosniff")], includeBody: !isHead)
      return await answer(file, socket, ctx)
    default:
      return await answer(HTTPResponse.error(HTTPError(404, "no such page: \(request.path)"), includeBody: !isHead), socket, ctx)
    }
  }

  /// What the page's HTML is served with: its script and style come only from this
  /// server (no inline code runs), it is never framed, and it says nothing to other sites.
  static let pageSecurityHeaders: [(String, String)] = [
    (
      "Content-Security-Policy",
      "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self' ws: wss:; "
        + "frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
    ),
    ("X-Content-Type-Options", "nosniff"),
    ("Referrer-Policy", "same-origin"),
  ]

  /// Sends a whole response, then closes without losing it.
  private static func answer(_ response: [UInt8], _ socket: Socket, _ ctx: Context<Never>) async {
    socket.send(response)
    await Linger.close(socket, ctx, until: .peerCloses)
  }

  /// Completes the handshake and starts the client's connection process.
  private static func upgrade(_ socket: Socket, _ handshake: WebSocket.Handshake, pending: [UInt8], _ ctx: Context<Never>) async {
    guard let supervisor = ctx.node.whereis(ChatServices.webSocketsName, as: ServerMessage<DynamicSupervisor<WebSocket.Upgrade>>.self)
    else {
      return await answer(HTTPResponse.error(HTTPError(503, "the server is shutting down")), socket, ctx)
    }
    socket.send(HTTPResponse.switchingProtocols(accept: handshake.accept, subprotocol: handshake.subprotocol))
    let upgrade = WebSocket.Upgrade(socket: socket, binary: handshake.binary, pending: pending)
    do {
      if let pid = try await ctx.startChild(GenServerRef(supervisor), upgrade, timeout: .seconds(10)) {
        try ctx.transfer(socket, to: pid)
        return
      }
    } catch {
      // Too many clients, or the supervisor is restarting: say so in a close frame.
    }
    let output = WebSocket.Output(socket: socket, binary: handshake.binary)
    output.close(.tryAgainLater, reason: "server full")
    await Linger.close(socket, ctx, until: .closeFrame)
  }
}

extension ChatServices {
  /// The dynamic supervisor of HTTP sessions on the web port.
  static let webSessionsName = "chatd.web-sessions"
  /// The dynamic supervisor of WebSocket clients' connection processes.
  static let webSocketsName = "chatd.websockets"
}
