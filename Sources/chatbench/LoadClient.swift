// One simulated IRC client: a synchronous handler process that owns its socket (line
// framing, `.always` reading — the cheap form of an Otter connection process). It
// registers, joins when told, sends when told, answers PINGs, and timestamps every
// benchmark message it receives. What the driver must know (registered, joined, errors,
// gone) it is told by message; the samples stay in the client until the driver asks.
import Actors
import Glibc

/// What the driver (or the client's connector) tells a client.
enum ClientCommand: Sendable {
  /// JOIN this room and report `.joined` on its 366.
  case join(room: Int)
  /// Send benchmark message `seq` to `room` now.
  case say(seq: UInt32, room: Int)
  /// Close the connection and end (registration timeout, end of run).
  case quit
  /// The connector could not connect (emfile: this process is out of descriptors).
  case connectFailed(String, emfile: Bool)
  /// Hand over the samples gathered so far.
  case report(ReplyTo<ClientReport>)
}

/// What a client received: its samples and the time of its last counted receipt.
struct ClientReport: Sendable {
  var samples: [Sample] = []
  var lastReceive: UInt64 = 0
  /// PRIVMSGs that were not benchmark messages.
  var foreign = 0
}

/// A client's state, as ircload's `ST_*` (numbers as there, for the error texts).
enum ClientPhase: Int, Sendable {
  case connecting = 1
  case registering, registered, joining, joined, dead
}

/// Why a client ended.
enum GoneCause: Sendable, Equatable {
  /// The server closed the connection, or reading or writing failed.
  case closed
  /// connect() failed.
  case connectFailed(emfile: Bool)
  /// The driver told it to (`.quit`).
  case quit
}

/// The state of one client process.
struct LoadClient {
  let id: Int
  let run: RunContext
  let driver: Address<DriverEvent>
  var phase = ClientPhase.connecting
  var socket: Socket?
  var nickTries = 0
  var report = ClientReport()
  /// Set for a client over WebSocket (`run.transport`): handshake and frame state.
  var webSocket: WebSocketState?

  init(id: Int, run: RunContext, driver: Address<DriverEvent>) {
    self.id = id
    self.run = run
    self.driver = driver
    if run.transport == .websocket { webSocket = WebSocketState(id: id, lineLimit: run.lineLimit) }
  }

  /// Spawns a client process from `ctx` (the driver).
  static func spawn(id: Int, run: RunContext, from ctx: Context<DriverEvent>) -> Address<ClientCommand> {
    ctx.spawn(ClientCommand.self, state: LoadClient(id: id, run: run, driver: ctx.address)) {
      (client: inout LoadClient, message: Message<ClientCommand>, c: Context<ClientCommand>) -> Next in
      client.handle(message, c)
    }
  }

  /// Starts the connect for client `client` in a short-lived body process (connect is
  /// a suspending call; the client itself never suspends). The socket is handed to the
  /// client, which gets `.owned`.
  static func connect(_ client: Address<ClientCommand>, id: Int, run: RunContext, from ctx: Context<DriverEvent>) {
    let source = run.sources.isEmpty ? nil : run.sources[id % run.sources.count]
    let server = run.endpoint(for: id)
    ctx.spawn(Never.self) { c in
      do {
        let socket = try await c.connect(tcp: server.host, port: server.port, source: source, timeout: .after(.seconds(run.connectTimeout)))
        do { try c.transfer(socket, to: client.pid) } catch { socket.close() }
      } catch {
        var emfile = false
        if case .system(_, let e)? = error as? SocketError { emfile = e == EMFILE || e == ENFILE }
        client.send(.connectFailed("connect: \(error) (client \(id))", emfile: emfile))
      }
    }
  }

  mutating func handle(_ message: Message<ClientCommand>, _ ctx: Context<ClientCommand>) -> Next {
    switch message {
    case .io(let s, .data(let bytes)):
      if webSocket != nil {
        if let reason = webSocketData(bytes, s) { return gone("\(reason) (client \(id))", .closed) }
      } else {
        bytes.withUnsafeBufferPointer { onLine($0, s) }
      }
    case .message(.say(let seq, let room)):
      guard let s = socket, phase == .joined else { break }
      write(
        s,
        OutgoingLines.message(
          roomPrefix: run.roomPrefix, room: room, sentAt: MonotonicClock.microseconds(), sender: id, seq: UInt64(seq), size: run.size))
    case .message(.report(let replyTo)):
      replyTo.reply(report)
      report.samples = []
    case .io(let s, .owned):
      socket = s
      s.setWatermarks(high: 64 << 20, policy: .close)
      if run.transport == .tls {
        // The handshake runs in the socket as it is read; registration waits in the
        // session until it is done.
        guard let session = run.tls?.makeSession() else { return gone("TLS: OpenSSL made no session (client \(id))", .closed) }
        do {
          try s.secure(with: session)
        } catch {
          return gone("TLS: \(error) (client \(id))", .closed)
        }
      }
      do {
        try s.setFraming(webSocket == nil ? .line(maxLength: run.lineLimit) : .raw)
        try ctx.activate(s, .always)
      } catch {
        return gone("activate: \(error) (client \(id))", .closed)
      }
      phase = .registering
      if let ws = webSocket {
        // Registration follows the server's 101 (webSocketData).
        let server = run.endpoint(for: id)
        s.send(WebSocketUpgrade.request(host: server.host, port: server.port, path: run.webSocketPath, key: ws.key))
      } else {
        s.send(OutgoingLines.registration(prefix: run.nickPrefix, id: id))
      }
    case .message(.join(let room)):
      guard let s = socket, phase == .registered else { break }
      phase = .joining
      write(s, OutgoingLines.join(roomPrefix: run.roomPrefix, room: room))
    case .io(_, .closed):
      return gone("server closed connection of client \(id) (state \(phase.rawValue))", .closed)
    case .io(_, .error(let e)):
      return gone("recv: \(e) (client \(id))", .closed)
    case .message(.quit):
      return gone("", .quit)
    case .message(.connectFailed(let text, let emfile)):
      return gone(text, .connectFailed(emfile: emfile))
    default:
      break  // .frameTooLong (dropped, as ircload drops over-long lines), .writable, ...
    }
    return .continue
  }

  /// Tells the driver this client is gone (with its samples) and ends the process; its
  /// exit closes the socket.
  private mutating func gone(_ reason: String, _ cause: GoneCause) -> Next {
    phase = .dead
    socket?.close()
    driver.send(.gone(id: id, reason: reason, cause: cause, report: report))
    report = ClientReport()
    return .stop(.normal)
  }

  /// Writes IRC lines (each ending in CR LF): as they are, or one WebSocket text
  /// message per line.
  mutating func write(_ socket: Socket, _ lines: [UInt8]) {
    if webSocket != nil {
      socket.send(WebSocketFrames.textFrames(lines, keys: &webSocket!.keys))
    } else {
      socket.send(lines)
    }
  }

  /// One line from the server (without its line end).
  mutating func onLine(_ buffer: UnsafeBufferPointer<UInt8>, _ socket: Socket) {
    do {
      switch IRCLine.parse(buffer) {
      case .privmsg(let text):
        guard let payload = Payload.parse(buffer, text, maxMessages: run.maxMessages) else {
          report.foreign += 1
          return
        }
        guard run.counting.load(ordering: .relaxed) else { return }
        let t = MonotonicClock.microseconds()
        report.samples.append(
          Sample(seq: UInt32(truncatingIfNeeded: payload.seq), latencyMicros: t > payload.sentAt ? t - payload.sentAt : 0))
        report.lastReceive = t
        run.received.add(1, ordering: .relaxed)
        run.lastReceive.store(t, ordering: .relaxed)
      case .ping(let arguments):
        write(socket, OutgoingLines.pong(buffer[arguments]))
      case .error:
        driver.send(.errorLine(id: id, line: String(decoding: buffer, as: UTF8.self)))
      case .numeric(let code):
        onNumeric(code, buffer)
      case .other:
        break
      }
    }
  }

  /// ircload's handling of numerics: 001 registers, 366 ends a join, 433/432/436 while
  /// registering retry the nick (up to 5 tries), 4xx/5xx are counted (and end a join).
  private mutating func onNumeric(_ code: Int, _ line: UnsafeBufferPointer<UInt8>) {
    if code == 1 && phase == .registering {
      phase = .registered
      driver.send(.registered(id: id))
    } else if code == 366 && phase == .joining {
      phase = .joined
      driver.send(.joined(id: id))
    } else if (code == 433 || code == 432 || code == 436) && phase == .registering {
      driver.send(.numeric(id: id, code: code, line: nil))
      nickTries += 1
      if nickTries < 5, let s = socket { write(s, OutgoingLines.nickRetry(prefix: run.nickPrefix, id: id, attempt: nickTries)) }
    } else if code == 422 {
      driver.send(.numeric(id: id, code: code, line: nil))  // no MOTD: harmless
    } else if code >= 400 && code < 600 {
      let text = String(decoding: line.prefix(200), as: UTF8.self)
      driver.send(.numeric(id: id, code: code, line: code == 433 ? nil : text))
      if phase == .joining {
        phase = .registered
        driver.send(.joinFailed(id: id))
      }
    }
  }
}
