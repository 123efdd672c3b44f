// What the rest of the server knows of one connected client, shared by reference: rooms
// write to its socket directly (one write per delivery, no message hop), presence maps
// its nick, WHO/WHOIS read it. Its mutable part sits behind a mutex; the connection
// process is the only one that changes nick, modes and caps; rooms change memberships.
import Actors
import Synchronization

/// A channel a client is in, and its status there.
struct Membership: Sendable, Equatable {
  /// The channel's name as it was created (case kept).
  var channel: String
  var op = false
  var voice = false

  /// Prefix characters, highest first (`@+` with multi-prefix, else the highest).
  func prefix(multi: Bool) -> String {
    if multi { return (op ? "@" : "") + (voice ? "+" : "") }
    return op ? "@" : (voice ? "+" : "")
  }
}

/// The mutable part of a client. Every connected client keeps one: what most clients
/// never set (an away message, MONITOR targets, the QUIT bookkeeping) is kept out of
/// line, in `rare`, allocated when first set (80 bytes, from 120).
struct ClientInfo: Sendable {
  var nick = "*"
  var user = ""
  var realname = ""
  /// Folded channel name → membership.
  var channels: [String: Membership] = [:]
  /// Unix seconds of the last message that was not a PING/PONG (WHOIS idle time).
  var lastActive = 0
  private var rare: RareBox?
  var registered = false
  /// The presence server holds this client's nick.
  var registeredNick = false
  var invisible = false
  var oper = false
  var wallops = false
  var bot = false

  struct Rare: Sendable {
    var away: String?
    var monitoring: Set<String> = []
    var quitMessage: String?
    var quitTold: Set<UInt64> = []
  }

  /// Copy-on-write: written in place while this value is its only holder, copied first
  /// otherwise (a snapshot keeps what it saw).
  ///
  /// `@unchecked Sendable`: `value` is written only through `rarePart`'s modify, after
  /// `isKnownUniquelyReferenced` has found no other holder, so a box that was shared
  /// (sent to another thread in a copy of the `ClientInfo`) is never written.
  final class RareBox: @unchecked Sendable {
    var value: Rare
    init(_ value: Rare) { self.value = value }
  }

  private var rarePart: Rare {
    get { rare?.value ?? Rare() }
    _modify {
      if rare == nil || !isKnownUniquelyReferenced(&rare!) { rare = RareBox(rare?.value ?? Rare()) }
      yield &rare!.value
    }
  }

  var away: String? {
    get { rare?.value.away }
    _modify { yield &rarePart.away }
  }
  /// Folded nicks this client MONITORs.
  var monitoring: Set<String> {
    get { rare?.value.monitoring ?? [] }
    _modify { yield &rarePart.monitoring }
  }
  /// Set before the connection ends: what others see in its QUIT.
  var quitMessage: String? {
    get { rare?.value.quitMessage }
    _modify { yield &rarePart.quitMessage }
  }
  /// Clients already told of this one's QUIT (a QUIT goes once to each).
  var quitTold: Set<UInt64> {
    get { rare?.value.quitTold ?? [] }
    _modify { yield &rarePart.quitTold }
  }
}

/// Where a client's lines go.
enum Transport: Sendable {
  /// A plain IRC socket: lines as they are.
  case irc(Socket)
  /// IRC over WebSocket: one line per message (IRCv3 WebSocket), framed by the output.
  case webSocket(WebSocket.Output)
}

/// A connected client, shared.
final class ClientHandle: Sendable, Hashable, CustomStringConvertible {
  let id: UInt64
  /// The connection process.
  let pid: Pid
  /// The peer's address, shown as the host part of `nick!user@host`.
  let host: String
  let transport: Transport
  /// The server's context (for the connection's exit hook).
  let services: ChatServices
  /// When the connection must next be looked at if the client stays silent (monotonic
  /// nanoseconds; `deadlineClaimed` once the idle sweeper has claimed it): see
  /// IdleSweeper.swift.
  let idleDeadline = Atomic<UInt64>(ClientHandle.deadlineClaimed)
  let caps = Atomic<UInt32>(0)
  /// Unix seconds of the connection, in 32 bits (until 2106) to pack with `caps`.
  private let signonSeconds: UInt32
  let info: Mutex<ClientInfo>

  /// The deadline's value once the sweeper has claimed it (never a real deadline).
  static let deadlineClaimed = UInt64.max

  init(id: UInt64, pid: Pid, host: String, services: ChatServices, transport: Transport) {
    self.id = id
    self.pid = pid
    self.host = host
    self.services = services
    self.transport = transport
    let now = WallClock.seconds()
    self.signonSeconds = UInt32(clamping: now)
    var i = ClientInfo()
    i.lastActive = now
    self.info = Mutex(i)
  }

  /// Unix seconds of the connection.
  var signon: Int { Int(signonSeconds) }

  static func == (a: ClientHandle, b: ClientHandle) -> Bool { a === b }
  func hash(into h: inout Hasher) { h.combine(id) }
  var description: String { "client \(id) \(nick)" }

  var capabilities: Caps { Caps(rawValue: caps.load(ordering: .relaxed)) }
  func has(_ cap: Caps) -> Bool { capabilities.contains(cap) }

  var nick: String { info.withLock { $0.nick } }
  /// `nick!user@host`.
  var prefix: String { info.withLock { "\($0.nick)!\($0.user)@\(host)" } }
  var snapshot: ClientInfo { info.withLock { $0 } }
  /// What WHOWAS will say about this client's current nick.
  var whowasEntry: WhowasEntry {
    info.withLock { WhowasEntry(nick: $0.nick, user: $0.user, host: host, realname: $0.realname, time: WallClock.seconds()) }
  }

  /// The socket (for the connection process).
  var socket: Socket {
    switch transport {
    case .irc(let s): return s
    case .webSocket(let output): return output.socket
    }
  }

  /// Writes one line (with CR LF). Any process may call it; a client that cannot keep
  /// up is cut off by its socket's overflow policy, and its connection process sees it.
  @discardableResult
  func send(_ line: [UInt8]) -> Bool {
    switch transport {
    case .irc(let socket):
      return socket.send(line) != .closed
    case .webSocket(let output):
      return output.send(line: line)
    }
  }

  func send(_ message: IRCMessage) { send(message.serialized()) }
}

/// A line that may carry tags (server-time, msgid, client tags): serialised at most once
/// per variant — a broadcast to a thousand members costs four serialisations at most —
/// and framed for WebSocket clients at most once per variant and framing
/// (TaggedLine+WebSocket.swift).
final class TaggedLine {
  let message: IRCMessage
  let timeMillis: Int64
  let msgid: String?
  /// Client-only tags (`+draft/...`), sent to clients with message-tags.
  let clientTags: [(key: String, value: String?)]
  /// From a client in bot mode (+B): carries the `bot` tag.
  let fromBot: Bool
  private var variants: [[UInt8]?] = [nil, nil, nil, nil]
  /// The WebSocket frames made so far, by `tagVariant * 2 + (binary ? 1 : 0)`.
  var webSocketFrames: [[UInt8]?] = [nil, nil, nil, nil, nil, nil, nil, nil]

  init(_ message: IRCMessage, timeMillis: Int64 = WallClock.millis(), msgid: String? = nil,
       clientTags: [(key: String, value: String?)] = [], fromBot: Bool = false) {
    self.message = message
    self.fromBot = fromBot
    self.timeMillis = timeMillis
    self.msgid = msgid
    self.clientTags = clientTags
  }

  /// The bytes for a client with `caps`.
  func bytes(for caps: Caps) -> [UInt8] {
    let v = caps.tagVariant
    if let b = variants[v] { return b }
    var m = message
    m.tags = []
    if caps.contains(.serverTime) { m.tags.append(("time", WallClock.iso8601(millis: timeMillis))) }
    if caps.contains(.messageTags) {
      if let msgid { m.tags.append(("msgid", msgid)) }
      if fromBot { m.tags.append(("bot", nil)) }
      m.tags += clientTags
    }
    // Messages always carry their text as a trailing parameter, as clients expect.
    let b = m.serialized(forceTrailing: m.command == "PRIVMSG" || m.command == "NOTICE")
    variants[v] = b
    return b
  }

  func send(to client: ClientHandle) {
    switch client.transport {
    case .irc(let socket):
      socket.send(bytes(for: client.capabilities))
    case .webSocket(let output):
      output.send(frame: frame(for: client.capabilities, binary: output.binary))
    }
  }
}
