// What chatd nodes tell each other's relays (Relay.swift), and the wire forms of the
// chat values they carry. Every message from one node to another goes over the one link
// between them, in the order it was sent by each sender.
import Actors
import Distribution

/// A message to a node's relay.
enum NetMessage: Sendable {
  /// Users of the sender's node, introduced or changed (records in version order).
  case users([WireClient])
  /// A user's connection ended (its record carries the QUIT message).
  case userLeft(WireClient)
  /// A broadcast line for the listed clients of the receiving node (their process
  /// numbers there): a room sends each line once per node. A QUIT names its quitter, so
  /// that someone sharing several channels with it is told once (QuitLedger).
  /// `incarnation` is the receiving node's, as the sender knew it: a line for clients of
  /// an incarnation that is gone is dropped (process numbers restart with a new process).
  /// `except`: one of them not to write to (a sender that did not ask for its echo) —
  /// apart, so that a room's recipients on a node are the same list for every line
  /// (the relay's workers keep what they looked up for a list: RelayWorker.swift).
  case deliver(WireLine, to: [UInt64], except: UInt64? = nil, incarnation: UInt64, quitOf: WireClient?)
  /// One serialised line for one client of the receiving node.
  case lines([UInt8], to: UInt64, incarnation: UInt64)
  /// A channel homed on the sender changed: the receiving node, which has members in it,
  /// keeps its copy of the channel's record up to date (MirrorChange).
  case mirror(key: String, home: String, MirrorChange)
  /// An operator KILLed a client of the receiving node.
  case kill(UInt64, reason: String)
  /// WALLOPS from an operator of the sender's node, for the receiving node's +w users.
  case wallops(source: String, text: String)
  /// A user's session moved to the sender's node (HandOff/): its replica follows it.
  case moved(SessionMove)
  /// For a client of the receiving node whose session is moving away: a step of its
  /// hand-off is done, after everything sent to it before (through its relay worker).
  case handOffMark(to: UInt64, incarnation: UInt64, HandOffMark)
}

extension NetMessage {
  /// What the message carries, for the counters (Metrics/NetworkCounters.swift).
  var kind: NetworkCounters.Kind {
    switch self {
    case .deliver, .lines: .lines
    case .users, .userLeft: .users
    case .mirror: .mirror
    case .moved: .users
    case .kill, .wallops, .handOffMark: .other
    }
  }
}

/// A change of a channel's record, sent by the node where its room lives to each node
/// with members in it.
enum MirrorChange: Sendable {
  /// The whole record: the receiving node has just got its first member in the channel,
  /// or the channel has a new home.
  case snapshot(ChannelSettings, [WireMember])
  case settings(ChannelSettings)
  case joined(WireMember)
  case left(WireClient)
  case status(WireMember)
  /// The receiving node has no member left in the channel: it drops its copy.
  case forget
}

/// A member and its status.
struct WireMember: Sendable {
  var client: WireClient
  var op: Bool
  var voice: Bool
}

/// A broadcast line as it crosses: what `TaggedLine` needs to make each variant there.
struct WireLine: Sendable {
  var message: IRCMessage
  var timeMillis: Int64
  var msgid: String?
  var clientTags: [(key: String, value: String?)]
  var fromBot: Bool
  var account: String?

  init(_ line: TaggedLine) {
    message = line.message
    timeMillis = line.timeMillis
    msgid = line.msgid
    clientTags = line.clientTags
    fromBot = line.fromBot
    account = line.account
  }

  var line: TaggedLine {
    TaggedLine(message, timeMillis: timeMillis, msgid: msgid, clientTags: clientTags, fromBot: fromBot, account: account)
  }
}

// MARK: - Wire forms

extension NetMessage: Transportable {
  func encode(to e: inout WireEncoder) {
    switch self {
    case .users(let users):
      e.tag(0)
      e.write(users)
    case .userLeft(let user):
      e.tag(1)
      e.write(user)
    case .deliver(let line, let to, let except, let incarnation, let quitOf):
      e.tag(2)
      e.write(line)
      e.write(to)
      e.write(except.map { [$0] } ?? [])
      e.write(incarnation)
      e.write(quitOf.map { [$0] } ?? [])
    case .lines(let bytes, let to, let incarnation):
      e.tag(3)
      e.write(bytes)
      e.write(to)
      e.write(incarnation)
    case .mirror(let key, let home, let change):
      e.tag(4)
      e.write(key)
      e.write(home)
      e.write(change)
    case .kill(let id, let reason):
      e.tag(5)
      e.write(id)
      e.write(reason)
    case .wallops(let source, let text):
      e.tag(6)
      e.write(source)
      e.write(text)
    case .moved(let move):
      e.tag(7)
      e.write(move)
    case .handOffMark(let number, let incarnation, let mark):
      e.tag(8)
      e.write(number)
      e.write(incarnation)
      e.write(mark)
    }
  }

  init(from d: inout WireDecoder) throws {
    switch try d.tag() {
    case 0: self = .users(try d.read())
    case 1: self = .userLeft(try d.read())
    case 2:
      self = .deliver(
        try d.read(), to: try d.read(), except: try d.read([UInt64].self).first, incarnation: try d.read(),
        quitOf: try d.read([WireClient].self).first)
    case 3: self = .lines(try d.read(), to: try d.read(), incarnation: try d.read())
    case 4: self = .mirror(key: try d.read(), home: try d.read(), try d.read())
    case 5: self = .kill(try d.read(), reason: try d.read())
    case 6: self = .wallops(source: try d.read(), text: try d.read())
    case 7: self = .moved(try d.read())
    case 8: self = .handOffMark(to: try d.read(), incarnation: try d.read(), try d.read())
    case let t: throw WireError.unknownTag(t, in: "NetMessage")
    }
  }
}

extension MirrorChange: Transportable {
  func encode(to e: inout WireEncoder) {
    switch self {
    case .snapshot(let settings, let members):
      e.tag(0)
      e.write(settings)
      e.write(members)
    case .settings(let settings):
      e.tag(1)
      e.write(settings)
    case .joined(let member):
      e.tag(2)
      e.write(member)
    case .left(let client):
      e.tag(3)
      e.write(client)
    case .status(let member):
      e.tag(4)
      e.write(member)
    case .forget:
      e.tag(5)
    }
  }

  init(from d: inout WireDecoder) throws {
    switch try d.tag() {
    case 0: self = .snapshot(try d.read(), try d.read())
    case 1: self = .settings(try d.read())
    case 2: self = .joined(try d.read())
    case 3: self = .left(try d.read())
    case 4: self = .status(try d.read())
    case 5: self = .forget
    case let t: throw WireError.unknownTag(t, in: "MirrorChange")
    }
  }
}

extension WireMember: Transportable {
  init(_ m: ChannelMember) {
    client = WireClient(m.client)
    op = m.op
    voice = m.voice
  }
  func encode(to e: inout WireEncoder) {
    e.write(client)
    e.write(UInt64((op ? 1 : 0) | (voice ? 2 : 0)))
  }
  init(from d: inout WireDecoder) throws {
    client = try d.read()
    let bits: UInt64 = try d.read()
    op = bits & 1 != 0
    voice = bits & 2 != 0
  }
}

extension IRCMessage: Transportable {
  public func encode(to e: inout WireEncoder) {
    e.write(source ?? "")
    e.write(command)
    e.write(params)
  }
  public init(from d: inout WireDecoder) throws {
    let source: String = try d.read()
    self.init(source: source.isEmpty ? nil : source, try d.read(), try d.read())
  }
}

extension WireLine: Transportable {
  func encode(to e: inout WireEncoder) {
    e.write(message)
    e.write(timeMillis)
    e.write(msgid ?? "")
    e.write(UInt64(clientTags.count))
    for t in clientTags {
      e.write(t.key)
      e.write(t.value.map { [$0] } ?? [])
    }
    e.write(fromBot)
    e.write(account.map { [$0] } ?? [])
  }
  init(from d: inout WireDecoder) throws {
    message = try d.read()
    timeMillis = try d.read()
    let id: String = try d.read()
    msgid = id.isEmpty ? nil : id
    let n: UInt64 = try d.read()
    guard n <= 1024 else { throw WireError.invalid("\(n) client tags") }
    clientTags = []
    for _ in 0..<n { clientTags.append((try d.read(), try d.read([String].self).first)) }
    fromBot = try d.read()
    account = try d.read([String].self).first
  }
}

extension ListEntry: Transportable {
  func encode(to e: inout WireEncoder) {
    e.write(mask)
    e.write(setBy)
    e.write(time)
  }
  init(from d: inout WireDecoder) throws {
    mask = try d.read()
    setBy = try d.read()
    time = try d.read()
  }
}

extension ChannelSettings: Transportable {
  func encode(to e: inout WireEncoder) {
    e.write(name)
    e.write(created)
    e.write(topic.map { [$0] } ?? [])
    e.write(topicBy.map { [$0] } ?? [])
    e.write(topicTime)
    let flags =
      (inviteOnly ? 1 : 0) | (moderated ? 2 : 0) | (noExternal ? 4 : 0) | (secret ? 8 : 0) | (topicLock ? 16 : 0)
      | (registeredOnly ? 32 : 0) | (registeredSpeech ? 64 : 0)
    e.write(UInt64(flags))
    e.write(key.map { [$0] } ?? [])
    e.write(limit.map { [$0] } ?? [])
    e.write(bans)
    e.write(exceptions)
    e.write(inviteExceptions)
    e.write(Array(invited))
    // The registration: founder (none: not registered), time, access list.
    e.write(registration.map { [$0.founder] } ?? [])
    e.write(registration?.time ?? 0)
    e.write(registration?.access ?? [])
  }
  init(from d: inout WireDecoder) throws {
    self.init(name: try d.read(), created: try d.read())
    topic = try d.read([String].self).first
    topicBy = try d.read([String].self).first
    topicTime = try d.read()
    let flags: UInt64 = try d.read()
    inviteOnly = flags & 1 != 0
    moderated = flags & 2 != 0
    noExternal = flags & 4 != 0
    secret = flags & 8 != 0
    topicLock = flags & 16 != 0
    registeredOnly = flags & 32 != 0
    registeredSpeech = flags & 64 != 0
    key = try d.read([String].self).first
    limit = try d.read([Int].self).first
    bans = try d.read()
    exceptions = try d.read()
    inviteExceptions = try d.read()
    invited = Set(try d.read([String].self))
    let founder = try d.read([String].self).first
    let time: Int = try d.read()
    let access: [String] = try d.read()
    registration = founder.map { ChannelRegistration(founder: $0, time: time, access: access) }
  }
}
