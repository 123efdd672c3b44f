// A connection: one process per client, owning its socket. It reads lines (active-once,
// so a client that floods stops being read), parses them, runs the commands — asking
// the presence server and the rooms, which write their answers straight to the client's
// endpoint — and pings the client when it goes quiet (told so by the idle sweeper). It
// is the one writer of its client's settings (ClientHandle.swift). When it ends, for
// whatever reason, the rooms it was in see it go (they monitor it) and tell everyone its
// QUIT.
//
// Every idle client keeps one of these processes, so its server value and state are
// kept small: what only some clients need is behind one reference, and the process
// hibernates after each message (its mailbox keeps no buffer while idle).
import Actors
import GenServer
import Glibc
import TLS

struct Connection: GenServer {
  let services: ChatServices
  let socket: Socket
  /// For a WebSocket client: the handshake's outcome (Web/Connection+WebSocket.swift).
  let upgrade: WebSocket.Upgrade?

  /// A connection for a plain IRC socket.
  init(services: ChatServices, socket: Socket) {
    self.services = services
    self.socket = socket
    self.upgrade = nil
  }

  /// A connection for a socket that completed the WebSocket handshake.
  init(services: ChatServices, upgrade: WebSocket.Upgrade) {
    self.services = services
    self.socket = upgrade.socket
    self.upgrade = upgrade
  }

  /// The client speaks IRC over WebSocket.
  var webSocket: Bool { upgrade != nil }

  enum Info: Sendable {
    /// Disconnect with this QUIT message (KILL, server shutdown).
    case disconnect(String)
    /// The flood penalty is over: read again.
    case resume
    /// The idle sweeper found the client's deadline passed (IdleSweeper.swift).
    case idle
    /// The grace period for holding a registered nick (folded) without its account is
    /// over (Client/NickReservation.swift).
    case nickGrace(String)
    /// The account (folded) was dropped: a client logged in to it is logged out.
    case accountDropped(String)
    /// The session moves to another node, or arrives from one (HandOff/).
    case handOff(HandOffEvent)
    /// A detached always-on session was taken over by a new connection of its account
    /// (Client/AlwaysOn.swift): it ends without a QUIT.
    case attached
    /// A connection the restorer started: take the stored session back.
    case restore
  }

  /// Fields ordered largest first, so that they pack (56 bytes: the server value, this
  /// and the parent pid make 88, which keeps the process object in a smaller malloc
  /// size class).
  struct State {
    let client: ClientHandle
    /// Flood control: tokens left, refilled over time.
    var tokens: Double
    var refilledAt: UInt64
    /// Lines read and not yet run (from `next` on).
    var pending: [[UInt8]] = []
    var next = 0
    /// What few connections need, out of line: nil for an IRC client that gave no PASS.
    var rare: Rare?
    /// 0, or 302 (or more, up to Int16.max) after `CAP LS 302`.
    var capVersion: Int16 = 0
    /// Registration: what has been given so far.
    var nickGiven = false
    var userGiven = false
    var capNegotiating = false
    var awaitingPong = false
    /// Waiting for flood tokens.
    var paused = false
    /// A read is armed (active-once).
    var reading = false

    /// Registration: the password given with PASS.
    var passGiven: String? {
      get { rare?.password }
      set { rareBox.password = newValue }
    }

    /// A WebSocket client's frame reader (nil on IRC).
    var webSocketReader: WebSocket.Reader? {
      get { rare?.webSocketReader }
      _modify { yield &rareBox.webSocketReader }
    }

    /// A SASL exchange under way.
    var sasl: SASLSession? {
      get { rare?.sasl }
      set {
        if newValue == nil && rare?.sasl == nil { return }
        rareBox.sasl = newValue
      }
    }

    /// The session's move to or from another node, while it lasts.
    var handOff: HandOffState? {
      get { rare?.handOff }
      set { rareBox.handOff = newValue }
    }

    /// The rare part, made on first use (for the connection's own extensions).
    var rareBox: Rare {
      mutating get {
        if let rare { return rare }
        let r = Rare()
        rare = r
        return r
      }
    }
  }

  /// The state's rarely needed part. Owned by the connection process alone (the state is
  /// never shared), so a reference type needs no copy-on-write.
  final class Rare {
    var password: String?
    var webSocketReader: WebSocket.Reader?
    /// A SASL exchange under way (Client/SASL.swift).
    var sasl: SASLSession?
    /// The nick last asked for while registering and refused (in use): what
    /// `REGISTER *` names when the client holds no nick yet.
    var refusedNick: String?
    var handOff: HandOffState?
    /// The account logged in to is always-on (Client/AlwaysOn.swift).
    var alwaysOn = false
    /// No connection: the socket closed and the session stays (always-on).
    var detached = false
    /// The session marked itself away when it detached (and clears it on attach).
    var autoAway = false
    /// What a restored session starts from, until its `.restore` message.
    var restoring: StoredSession?
    /// Read markers of a client not logged in: its connection's own, by folded target
    /// (Client/ReadMarkerCommand.swift).
    var guestReadMarkers: [String: Int64] = [:]
  }

  var server: String { services.serverName }
  var config: ChatConfig { services.config }

  // MARK: - Start

  func initialize(_ ctx: ServerContext<Self>) async throws -> InitResult<Self> {
    if !webSocket, let arrival = services.arrivals.take(for: socket) { return initialize(arriving: arrival, ctx) }
    if !webSocket, let session = services.restorations.take(for: socket) { return initialize(restoring: session, ctx) }
    let peer = socket.peerAddress ?? "unknown"
    let host = Self.hostPart(of: peer)
    let endpoint: any ClientEndpoint = webSocket ? webSocketOutput() : socket
    let client = ClientHandle(pid: ctx.pid, host: host, services: services, endpoint: endpoint, tls: socket.security as? TLSSession)
    services.clients.add(client)
    // So that the supervisor's `shutdown` (chatd stopping) runs `terminate`, which tells
    // the client goodbye. The supervisor is the only process a connection is linked to.
    ctx.trapExit = true
    // The hook captures the client alone, which is then the closure's context: no
    // allocation for it.
    ctx.onExit { _ in client.services.clientLeft(client) }
    if !webSocket {
      // 512 bytes for the message itself, up to 8191 more for tags (IRCv3 message-tags).
      try? socket.setFraming(.line(maxLength: 8191 + 512))
    }
    socket.setWatermarks(high: config.sendQueueLimit, policy: .close)
    if let size = config.kernelSendBuffer { socket.setKernelBuffers(send: size) }
    socket.setSendCoalescing(config.sendCoalescing)
    // `nick (transport) host`, computed from the handle when read: no string stored.
    ctx.setLabel(from: client)
    services.logger.debug(
      "client \(client.id) connected from \(peer)",
      metadata: ["client": .stringConvertible(client.id), "peer": .string(peer), "transport": webSocket ? "websocket" : "irc"])
    let now = MonotonicClock.nanoseconds()
    var state = State(client: client, tokens: Double(config.floodBurst), refilledAt: now)
    if webSocket { state.webSocketReader = webSocketReader() }
    client.setIdleDeadline(after: idleTimeout(state), now: now)
    return .ok(state)
  }

  /// "1.2.3.4" from "1.2.3.4:5678", "::1" from "[::1]:5678".
  static func hostPart(of address: String) -> String {
    if address.hasPrefix("["), let end = address.firstIndex(of: "]") {
      var h = String(address[address.index(after: address.startIndex)..<end])
      // A host starting with ':' would break the `nick!user@host` syntax.
      if h.hasPrefix(":") { h = "0" + h }
      return h
    }
    if let colon = address.lastIndex(of: ":") { return String(address[..<colon]) }
    return address
  }

  // MARK: - Events

  func handleInfo(_ message: Message<Info>, state: inout State, _ ctx: ServerContext<Self>) async throws -> HandleResult<Self> {
    switch state.handOff {
    case .departing(let d)?: return try await departing(message, d, &state, ctx)
    case .arriving(let a)?: return try await arriving(message, a, &state, ctx)
    case nil: break
    }
    if state.rare?.detached == true { return await whileDetached(message, &state, ctx) }
    switch message {
    case .io(let s, let event) where s === socket:
      switch event {
      case .owned:
        if webSocket {
          if let end = try await webSocketData([], &state, ctx) { return end }  // frames sent with the handshake
        } else {
          state.reading = true
          try? ctx.activate(socket, .once)
        }
      case .data(let bytes):
        state.reading = false
        if webSocket {
          if let end = try await webSocketData(bytes, &state, ctx) { return end }
        } else {
          state.pending.append(bytes)
          if let end = try await drain(&state, ctx) { return end }
        }
      case .frameTooLong:
        state.client.numeric(server, .errInputTooLong)
        state.reading = false
        if let end = try await drain(&state, ctx) { return end }
      case .closed:
        return await quitOrDetach("Remote host closed the connection", &state, ctx, tellClient: false)
      case .error(let e):
        switch e {
        case .overflow: return await quitOrDetach("SendQ exceeded", &state, ctx, tellClient: false)
        case .reset: return await quitOrDetach("Connection reset by peer", &state, ctx, tellClient: false)
        default: return await quitOrDetach("Read error: \(e)", &state, ctx, tellClient: false)
        }
      default:
        break
      }
    case .message(.idle):
      // Something arrived since the sweeper looked: not silent after all (and this
      // message is no activity of the client's, so the deadline stays as it is).
      guard state.client.idleDeadlineClaimed else { return .noreply(.hibernate) }
      if !state.client.isRegistered {
        if let tls = state.client.tls, !tls.isEstablished {
          // Nothing can be told to a client that has no session yet.
          tls.recordTimeout()
          return await quit("TLS handshake timed out", &state, ctx, tellClient: false)
        }
        return await quit("Registration timed out", &state, ctx)
      }
      if state.awaitingPong {
        return await quitOrDetach(
          "Ping timeout: \(Int(config.pingInterval.components.seconds + config.pingTimeout.components.seconds)) seconds", &state, ctx)
      }
      state.awaitingPong = true
      state.client.send(IRCMessage(source: server, "PING", [server]))
      state.client.setIdleDeadline(after: config.pingTimeout)
      return .noreply(.hibernate)
    case .message(.disconnect(let reason)):
      return await quit(reason, &state, ctx)
    case .message(.resume):
      state.paused = false
      if let end = try await drain(&state, ctx) { return end }
    case .message(.nickGrace(let nick)):
      try await nickGraceOver(nick, &state, ctx)
      return .noreply(.hibernate)
    case .message(.accountDropped(let account)):
      if state.client.account.map(Names.fold) == account { logOut(&state, reason: "the account was dropped") }
      return .noreply(.hibernate)
    case .message(.handOff(.leave(let plan))):
      return try await leave(plan, &state, ctx)
    case .message(.handOff(.late(let output))):
      late(output, state)
    case .message(.handOff(.reconnect)):
      return await tellToReconnect(&state, ctx)
    default:
      break
    }
    state.client.setIdleDeadline(after: idleTimeout(state))
    // Hibernate: the mailbox keeps no buffer while the client is quiet (about 100 bytes
    // a connection; the next arrival allocates one again).
    return .noreply(.hibernate)
  }

  /// How long the client may stay silent before the sweeper tells this process.
  func idleTimeout(_ state: State) -> Duration {
    if state.client.isRegistered { return config.pingInterval }
    // Over TLS the handshake comes first, in its own time (a slow-loris handshake
    // brings the owner nothing, so the deadline is not pushed back by its bytes).
    if let tls = state.client.tls, !tls.isEstablished { return min(config.tlsHandshakeTimeout, config.registrationTimeout) }
    return config.registrationTimeout
  }

  /// Runs the lines read so far, as fast as the flood budget allows, and reads on. Lines
  /// beyond the budget wait (like an ircd's receive queue); a client that gets more than
  /// `floodDisconnect` lines ahead is cut off. Returns a result only when the connection
  /// must end.
  func drain(_ state: inout State, _ ctx: ServerContext<Self>) async throws -> HandleResult<Self>? {
    while state.next < state.pending.count {
      if config.floodProtection && !state.paused {
        let now = MonotonicClock.nanoseconds()
        state.tokens = min(Double(config.floodBurst), state.tokens + Double(now &- state.refilledAt) / 1e9 * config.floodRate)
        state.refilledAt = now
        if state.tokens < 1 {
          state.paused = true
          let wait = Duration.nanoseconds(Int64((1 - state.tokens) / config.floodRate * 1e9) + 1)
          ctx.sendAfter(wait, to: ctx.address, .info(.resume))
        } else {
          state.tokens -= 1
        }
      }
      if state.paused { break }
      let bytes = state.pending[state.next]
      state.next += 1
      if let end = try await line(bytes, &state, ctx) { return end }
    }
    if state.next == state.pending.count {
      state.pending.removeAll(keepingCapacity: false)
      state.next = 0
    } else if state.next > 64 && state.next * 2 > state.pending.count {
      state.pending.removeFirst(state.next)
      state.next = 0
    }
    if state.pending.count - state.next > config.floodDisconnect { return await quit("Excess Flood", &state, ctx) }
    if !state.reading {
      state.reading = true
      try? ctx.activate(socket, .once)
    }
    return nil
  }

  /// One line from the client. Returns a result only when the connection must end.
  func line(_ bytes: [UInt8], _ state: inout State, _ ctx: ServerContext<Self>) async throws -> HandleResult<Self>? {
    // Without tags, a message is at most 512 bytes with its CR LF.
    var body = bytes[...]
    if body.first == UInt8(ascii: "@"), let space = body.firstIndex(of: 0x20) {
      // Client tag data is limited to 4096 bytes, with the '@' and the space.
      if space - body.startIndex + 1 > 4096 {
        state.client.numeric(server, .errInputTooLong)
        return nil
      }
      body = body[(space + 1)...]
    }
    if body.count + 2 > 512 {
      state.client.numeric(server, .errInputTooLong)
      return nil
    }
    // NUL cannot be part of an IRC message: refused, never passed on or echoed back.
    if let nul = bytes.firstIndex(of: 0) {
      let command = (try? IRCMessage.parse(Array(bytes[..<nul])))?.command ?? "*"
      state.client.numeric(server, .errUnknownError, command, "Message contains a NUL byte and was dropped")
      return nil
    }
    // UTF8ONLY: text that is not UTF-8 is refused, never passed on mangled.
    if String(validating: bytes, as: UTF8.self) == nil {
      let command = (try? IRCMessage.parse(bytes))?.command ?? "*"
      state.client.send(
        IRCMessage(
          source: server, "FAIL", [command, "INVALID_UTF8", "Message rejected, your IRC software MUST use UTF-8 encoding on this network"]))
      return nil
    }
    services.logger.trace("client \(state.client.id) <- \(IRCMessage.loggable(bytes))")
    let message: IRCMessage
    do {
      message = try IRCMessage.parse(bytes)
    } catch .empty {
      return nil
    } catch {
      state.client.numeric(server, .errUnknownCommand, "*", "Unknown command")
      return nil
    }
    if message.command != "PING" && message.command != "PONG" {
      state.touch(WallClock.seconds())
    }
    let result = try await dispatch(message, &state, ctx)
    // In a network the other nodes hear of what the command changed (nick, away, ...).
    services.network?.publish(state.client)
    return result
  }

  // MARK: - Leaving

  /// Ends the connection: QUIT message for the others (sent by the rooms, which see this
  /// process end), ERROR to the client, the socket closed once flushed. The nick is given
  /// back first — so by the time the client sees the connection close, its nick is free
  /// to take again and WHOWAS knows it (a kill frees it from the exit hook instead).
  func quit(_ reason: String, _ state: inout State, _ ctx: ServerContext<Self>, tellClient: Bool = true) async -> HandleResult<Self> {
    let client = state.client
    services.logger.debug("client \(client.id) quits: \(reason)", metadata: ["client": .stringConvertible(client.id)])
    state.update { if $0.quitMessage == nil { $0.quitMessage = reason } }
    // The other nodes' rooms tell this QUIT from the record: it goes before the process ends.
    services.network?.publish(client)
    if client.holdsNick { await services.network?.releaseNickBeforeQuit(client.nick, ctx) }
    if client.holdsNick, let presence = presenceRef(ctx) {
      _ = try? await ctx.call(presence, .release(client), timeout: .seconds(2))
    }
    if tellClient {
      client.send(IRCMessage("ERROR", ["Closing Link: \(client.host) (\(reason))"]))
    }
    // Out of the directory (LUSERS, WHO's census) before the client can see its
    // connection close, as its nick is: a LUSERS sent right after counted it (irctest's
    // testLusersFull over TLS, where the close takes a step more). The exit hook's
    // removal then finds nothing to do; no settings change after this point.
    services.clients.remove(client)
    closeSocket(state, ctx)
    return .stop(.normal)
  }

  // MARK: - Server shutdown

  /// What the client is told, and what others see in its QUIT, when chatd stops.
  static let shutdownReason = "Server shutting down"

  /// Told to stop by its supervisor with `shutdown` — chatd is stopping: the client hears
  /// why (an ERROR line, and on WebSocket a close frame 1001, going away), what is queued
  /// for it is written, and the socket closes once the peer has closed its side or
  /// answered the close frame — all within the goodbye time (`ChatConfig.goodbyeTime`).
  /// Any other ending needs nothing here: a connection that quit has said goodbye
  /// already, and one that crashed has nothing to say.
  func terminate(_ reason: ExitReason, state: inout State, _ ctx: ServerContext<Self>) async {
    // Moving (its socket frozen): the other node tells the client what it must.
    if state.handOff != nil { return socket.close() }
    // An always-on session is kept for the next start (a chatd alone).
    if case .shutdown = reason, let session = storedSession(state) { tellAccounts(.saveAlwaysOnSession(session)) }
    guard case .shutdown = reason, socket.isOpen, socket.ownerPid == ctx.pid else { return }
    state.update { if $0.quitMessage == nil { $0.quitMessage = Self.shutdownReason } }
    // Written now rather than at the end of this slice, so that the socket can be
    // half-closed right after it: the ERROR is the last line the client reads.
    socket.setSendCoalescing(.off)
    state.client.send(IRCMessage("ERROR", ["Closing Link: \(state.client.host) (\(Self.shutdownReason))"]))
    await closeSocketAtShutdown(state, ctx)
  }

  func formatStatus(_ state: State) -> String {
    let info = state.client.settings
    let channels = services.channels.channels(of: state.client.id).count
    return "\(state.client.prefix) registered=\(info.registered) channels=\(channels) "
      + "queued=\(socket.pendingBytes)B"
  }
}
