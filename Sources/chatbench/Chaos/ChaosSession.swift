// One chaos session: a synchronous handler process owning one connection to chatd. It
// registers with echo-message (so each of its messages comes back once the server has
// taken it: the acknowledgement), joins its channels, sends `chaos <seq>` when the driver
// says so, answers PINGs, and records in its SessionLog everything the checker needs.
// When the connection ends it hands its log to the driver and ends; the driver starts
// the next session of the same client.
import Actors
import Glibc

/// What the driver tells a session.
enum ChaosCommand: Sendable {
  /// Send the next message to this channel (if joined).
  case say(channel: Int)
  /// Ask NAMES of a channel and answer with the nicks of its 353s.
  case names(channel: Int, ReplyTo<NamesAnswer>)
  /// Hand over the log; from then on nothing more is recorded.
  case report(ReplyTo<SessionLog>)
  /// QUIT and end.
  case quit
  /// The connector could not connect.
  case connectFailed(String)
}

/// What a session tells the driver.
enum ChaosEvent: Sendable {
  case joined(SessionKey, channel: Int)
  case gone(SessionLog)
}

/// The state of one session process.
struct ChaosSession {
  let context: ChaosContext
  let driver: Address<ChaosEvent>
  let channels: [Int]
  var log: SessionLog
  var socket: Socket?
  var localAddress: String?
  var nextSeq = 0
  var joined: Set<Int> = []
  var names: [Int: (reply: ReplyTo<NamesAnswer>, nicks: Set<String>)] = [:]
  var lastError: String?
  var reported = false

  var nick: String { log.key.nick(prefix: context.nickPrefix) }

  /// Starts session `key` (its process, then its connect) from the driver.
  static func start(_ key: SessionKey, channels: [Int], context: ChaosContext, from ctx: Context<ChaosEvent>) -> Address<ChaosCommand> {
    let state = ChaosSession(context: context, driver: ctx.address, channels: channels, log: SessionLog(key: key))
    let session = ctx.spawn(ChaosCommand.self, state: state) {
      (s: inout ChaosSession, message: Message<ChaosCommand>, c: Context<ChaosCommand>) -> Next in
      s.handle(message, c)
    }
    // connect() suspends; the session never does, so a short-lived process connects,
    // names the socket for the killer, and hands it over (`.owned`).
    ctx.spawn(Never.self) { c in
      do {
        let socket = try await c.connect(tcp: context.host, port: context.port, timeout: .after(.seconds(10)))
        if let address = socket.localAddress { context.connected(address, key) }
        do { try c.transfer(socket, to: session.pid) } catch { socket.close() }
      } catch {
        session.send(.connectFailed("connect: \(error)"))
      }
    }
    return session
  }

  mutating func handle(_ message: Message<ChaosCommand>, _ ctx: Context<ChaosCommand>) -> Next {
    switch message {
    case .io(let s, .data(let bytes)):
      var line = Substring(decoding: bytes, as: UTF8.self)
      if line.last == "\r" { line = line.dropLast() }
      if !reported, let parsed = ServerLine.parse(line) { onLine(parsed, s) }
    case .io(let s, .owned):
      socket = s
      localAddress = s.localAddress
      s.setWatermarks(high: 64 << 20, policy: .close)
      do {
        try s.setFraming(.line(maxLength: 16 * 1024))
        try ctx.activate(s, .always)
      } catch {
        return end(.failed("activate: \(error)"))
      }
      let n = nick
      s.send(Array("CAP LS 302\r\nCAP REQ :echo-message\r\nNICK \(n)\r\nUSER \(n) 0 * :chatbench chaos\r\nCAP END\r\n".utf8))
    case .io(_, .closed):
      return end(
        log.registeredAt == nil ? .failed("closed before 001: \(lastError ?? "no ERROR")") : .closedByServer(lastError ?? "closed"))
    case .io(_, .error(let e)):
      return end(log.registeredAt == nil ? .failed("\(e)") : .closedByServer("\(lastError.map { $0 + "; " } ?? "")\(e)"))
    case .message(.say(let channel)):
      guard let s = socket, joined.contains(channel), !reported else { break }
      let seq = nextSeq
      nextSeq += 1
      log.sent.append(SessionLog.Sent(channel: channel, seq: seq, at: MonotonicClock.microseconds()))
      s.send(Array("PRIVMSG \(context.channelName(channel)) :chaos \(seq)\r\n".utf8))
    case .message(.names(let channel, let reply)):
      guard let s = socket else {
        reply.reply(NamesAnswer(channel: channel, asker: log.key, nicks: nil))
        break
      }
      names[channel] = (reply, [])
      s.send(Array("NAMES \(context.channelName(channel))\r\n".utf8))
    case .message(.report(let reply)):
      log.endedAt = MonotonicClock.microseconds()
      reply.reply(log)
      reported = true
    case .message(.quit):
      socket?.send(Array("QUIT :chaos run over\r\n".utf8))
      return end(.quit)
    case .message(.connectFailed(let why)):
      return end(.failed(why))
    default:
      break  // .frameTooLong, .writable...
    }
    return .continue
  }

  /// Hands the log to the driver (unless it was reported already) and ends; the exit
  /// closes the socket.
  private mutating func end(_ how: SessionEnd) -> Next {
    if let address = localAddress { context.disconnected(address) }
    if !reported {
      log.end = how
      log.endedAt = MonotonicClock.microseconds()
      reported = true
      driver.send(.gone(log))
    }
    for (channel, pending) in names { pending.reply.reply(NamesAnswer(channel: channel, asker: log.key, nicks: nil)) }
    names = [:]
    socket?.close()
    return .stop(.normal)
  }

  private mutating func onLine(_ line: ServerLine, _ s: Socket) {
    let now = MonotonicClock.microseconds()
    let from = line.nick.flatMap { SessionKey(nick: $0, prefix: context.nickPrefix) }
    switch line.command {
    case "PRIVMSG":
      guard line.params.count >= 2, let channel = context.channelIndex(line.params[0]) else { return }
      let text = line.params[1]
      guard text.hasPrefix("chaos "), let seq = Int(text.dropFirst(6)) else { return }  // history replays carry a time first
      if from == log.key {
        log.acks.append(SessionLog.Ack(channel: channel, seq: seq, at: now))
        context.acked.add(1, ordering: .relaxed)
        context.lastAck.store(now, ordering: .relaxed)
      } else if let from {
        log.receipts.append(SessionLog.Receipt(channel: channel, from: from, seq: seq))
      }
    case "JOIN":
      guard from == log.key, let name = line.params.first, let channel = context.channelIndex(name), log.joinedAt(channel) == nil else {
        return
      }
      log.joins.append(SessionLog.Join(channel: channel, at: now))
    case "QUIT":
      if let from, from != log.key { log.leaves.append(SessionLog.Leave(who: from, channel: nil, at: now)) }
    case "PART":
      if let from, from != log.key, let name = line.params.first {
        log.leaves.append(SessionLog.Leave(who: from, channel: context.channelIndex(name), at: now))
      }
    case "KICK":
      if line.params.count >= 2, let who = SessionKey(nick: line.params[1], prefix: context.nickPrefix) {
        log.leaves.append(SessionLog.Leave(who: who, channel: context.channelIndex(line.params[0]), at: now))
      }
    case "PING":
      s.send(Array("PONG :\(line.params.last ?? "")\r\n".utf8))
    case "ERROR":
      lastError = "ERROR " + (line.params.last.map(String.init) ?? "")
    default:
      if let code = line.numeric { onNumeric(code, line, now, s) }
    }
  }

  private mutating func onNumeric(_ code: Int, _ line: ServerLine, _ now: UInt64, _ s: Socket) {
    switch code {
    case 1:
      log.registeredAt = now
      for c in channels { s.send(Array("JOIN \(context.channelName(c))\r\n".utf8)) }
    case 353:
      // <me> <type> <channel> :<nick> <nick>...
      guard line.params.count >= 4, let channel = context.channelIndex(line.params[2]), names[channel] != nil else { return }
      for entry in line.params[3].split(separator: " ") {
        names[channel]!.nicks.insert(String(entry.drop { "@+%~&".contains($0) }))
      }
    case 366:
      guard line.params.count >= 2, let channel = context.channelIndex(line.params[1]) else { return }
      if let pending = names.removeValue(forKey: channel) {
        pending.reply.reply(NamesAnswer(channel: channel, asker: log.key, nicks: pending.nicks))
      } else if channels.contains(channel), joined.insert(channel).inserted {
        driver.send(.joined(log.key, channel: channel))
      }
    case 400..<600:
      // A refusal naming one of the run's channels: the server does not let this
      // session use a channel it joined (or tries to join).
      let context = self.context
      guard let channel = line.params.dropFirst().lazy.compactMap({ context.channelIndex($0) }).first else {
        if context.verbose { context.log.line("session \(log.key): \(line.command) \(line.params.joined(separator: " "))") }
        return
      }
      log.refusals.append(SessionLog.Refusal(code: code, channel: channel, at: now))
      if context.verbose { context.log.line("session \(log.key): \(code) \(line.params.joined(separator: " "))") }
      if let pending = names.removeValue(forKey: channel) {
        pending.reply.reply(NamesAnswer(channel: channel, asker: log.key, nicks: nil, refused: code))
      }
    default:
      break
    }
  }
}
