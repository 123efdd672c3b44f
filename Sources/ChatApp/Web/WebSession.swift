// One HTTP connection on the web port: a process that reads the request — its head, and
// for a POST its form — answers it and closes; or, for a valid WebSocket handshake on
// /ws from an allowed origin, sends the 101 and hands the socket to a new `Connection`
// process (under the websockets supervisor), which speaks IRC over it from then on, logged
// in to the account of the request's session cookie if it has one. Routes: `/` (the
// page), `/app.js`, `/app.css`, `/login` and `/login.css`, `POST /login`, `POST /logout`,
// `/session` (Web/WebLogin.swift), `/ws`; a 4xx for anything else. Every response
// carries the security headers (Web/SecurityHeaders.swift). On the HTTPS port the socket
// carries a TLS session: the same bytes, sealed; a client that has not finished its
// handshake within the handshake timeout is cut off unanswered.
import Actors
import GenServer
import Supervision
import TLS

enum WebSession {
  /// Time a client has to send its whole request (slow clients get 408).
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
    /// Reads more bytes; nil once the session is over (answered or cut off).
    func readMore() async -> [UInt8]? {
      do {
        let handshaking = tls.map { !$0.isEstablished } ?? false
        let until = handshaking ? min(deadline, handshakeDeadline) : deadline
        if let chunk = try await ctx.read(socket, timeout: .after(clock.now.duration(to: until))) { return chunk }
      } catch SocketError.timeout {
        if let tls, !tls.isEstablished {
          tls.recordTimeout()
        } else {
          await answer(HTTPResponse.error(HTTPError(408, "the request did not arrive in time")), socket, ctx)
          return nil
        }
      } catch {}
      socket.close()  // the peer went away, or never finished its TLS handshake
      return nil
    }
    var headEnd: Int?
    while headEnd == nil {
      if received.count > HTTPRequest.maxHeadLength {
        return await answer(HTTPResponse.error(HTTPError(431, "request head over \(HTTPRequest.maxHeadLength) bytes")), socket, ctx)
      }
      guard let chunk = await readMore() else { return }
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
    let web = WebRequest(request, secure: tls != nil, peer: socket.peerAddress ?? "unknown", services: services)
    // IRC over WebSocket is at /ws; an upgrade request for / is taken too (clients that
    // are given just ws://host:port, like irctest's).
    let asksUpgrade = request.header("Upgrade")?.lowercased().contains("websocket") ?? false
    if request.path == "/ws" || (request.path == "/" && asksUpgrade) {
      let handshake: WebSocket.Handshake
      do {
        handshake = try WebSocket.Handshake(request)
      } catch {
        return await answer(HTTPResponse.error(error, includeBody: !isHead), socket, ctx)
      }
      return await upgrade(socket, handshake, web, pending: Array(received[end...]), ctx)
    }
    if request.method == "POST", ["/login", "/logout"].contains(request.path) {
      guard request.header("transfer-encoding") == nil, let length = request.header("content-length").flatMap({ Int($0) }), length >= 0
      else {
        return await answer(HTTPResponse.error(HTTPError(411, "send the form with a Content-Length")), socket, ctx)
      }
      guard length <= WebLogin.maxBody else {
        return await answer(HTTPResponse.error(HTTPError(413, "a form of at most \(WebLogin.maxBody) bytes")), socket, ctx)
      }
      while received.count - end < length {
        guard let chunk = await readMore() else { return }
        received += chunk
      }
      let body = Array(received[end..<end + length])
      let response =
        request.path == "/login" ? await WebLogin.login(web, body: body, ctx) : await WebLogin.logout(web, body: body, ctx)
      return await answer(response, socket, ctx)
    }
    guard request.method == "GET" || isHead else {
      let allowed: [String: String] = [
        "/": "GET, HEAD", "/index.html": "GET, HEAD", "/app.js": "GET, HEAD", "/app.css": "GET, HEAD", "/login": "GET, HEAD, POST",
        "/login.css": "GET, HEAD", "/session": "GET, HEAD", "/logout": "POST",
      ]
      let error =
        allowed[request.path].map { HTTPError(405, "\(request.method) is not allowed here", headers: [("Allow", $0)]) }
        ?? HTTPError(404, "no such page: \(request.path)")
      return await answer(HTTPResponse.error(error, includeBody: !isHead), socket, ctx)
    }
    func file(_ type: String, _ bytes: [UInt8]) -> [UInt8] {
      HTTPResponse.make(200, contentType: type, body: bytes, headers: [("Cache-Control", "no-cache")], includeBody: !isHead)
    }
    let response: [UInt8]
    switch request.path {
    case "/", "/index.html": response = file("text/html; charset=utf-8", WebClientPage.bytes)
    case "/app.js": response = file("application/javascript; charset=utf-8", WebClientScript.bytes)
    case "/app.css": response = file("text/css; charset=utf-8", WebClientStyle.bytes)
    case "/login.css": response = file("text/css; charset=utf-8", LoginPage.styleBytes)
    case "/login": response = await WebLogin.loginPage(web, includeBody: !isHead, ctx)
    case "/session": response = await WebLogin.session(web, includeBody: !isHead, ctx)
    case "/logout":
      response = HTTPResponse.error(
        HTTPError(405, "log out with a POST (the page's logout button)", headers: [("Allow", "POST")]), includeBody: !isHead)
    default: response = HTTPResponse.error(HTTPError(404, "no such page: \(request.path)"), includeBody: !isHead)
    }
    await answer(response, socket, ctx)
  }

  /// Sends a whole response, then closes without losing it.
  private static func answer(_ response: [UInt8], _ socket: Socket, _ ctx: Context<Never>) async {
    socket.send(response)
    await Linger.close(socket, ctx, until: .peerCloses)
  }

  /// Checks the upgrade's origin and login, completes the handshake and starts the
  /// client's connection process.
  private static func upgrade(
    _ socket: Socket, _ handshake: WebSocket.Handshake, _ web: WebRequest, pending: [UInt8], _ ctx: Context<Never>
  ) async {
    let logger = web.services.logger
    if let why = web.policy.refusesUpgrade(web.request, secure: web.secure) {
      logger.notice("web: refused a WebSocket from \(web.address) (403): \(why)")
      return await answer(HTTPResponse.error(HTTPError(403, why)), socket, ctx)
    }
    let lookup = await WebLogin.lookUp(web, ctx)
    let account = try? lookup.get()
    if account == nil && !web.services.config.webGuests, case .failure(let refusal) = lookup {
      // Not the browser's fault: it may try again (a guest, where guests may chat, goes on).
      return await answer(HTTPResponse.error(HTTPError(503, refusal.description)), socket, ctx)
    }
    if account == nil && !web.services.config.webGuests {
      let why = "this server has no guests: log in at /login first"
      logger.notice("web: refused a WebSocket from \(web.address) (403): \(why)")
      return await answer(HTTPResponse.error(HTTPError(403, why)), socket, ctx)
    }
    guard let supervisor = ctx.node.whereis(ChatServices.webSocketsName, as: ServerMessage<DynamicSupervisor<WebSocket.Upgrade>>.self)
    else {
      return await answer(HTTPResponse.error(HTTPError(503, "the server is shutting down")), socket, ctx)
    }
    socket.send(HTTPResponse.switchingProtocols(accept: handshake.accept, subprotocol: handshake.subprotocol))
    let upgrade = WebSocket.Upgrade(socket: socket, binary: handshake.binary, pending: pending, account: account)
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
