// What a session hand-off sends (docs/HANDOFF.md has the protocol):
//
// - over the hand-off link, a Unix socket from the node a session leaves (A) to the one
//   that takes it over (B), which carries descriptors: `HandOffMessage` — each session
//   with its client's socket, then what A wrote for it while it moved (`done`), and
//   what reached it after (`late`);
// - over the links between the network's nodes, in order with everything else each
//   node sends: B's `SessionMove` to every node (the user is at B now), and each
//   node's `HandOffMark` back to A (all it sent to the user's old connection is ahead);
// - inside a node, to the moving connection: `HandOffEvent`.
//
// Values only; nothing here is state.
import Actors
import Distribution

/// A client's session as it crosses to the node that takes it over: who the client is,
/// what it said about itself, which channels it is in, and what was read from its socket
/// but not yet run. Its socket travels beside it (SCM_RIGHTS).
struct HandOffSession: Sendable {
  /// Its connection on the node it leaves: the process the network knows it by.
  var from: PidLocation
  var nick: String
  var host: String
  /// User, real name, modes, away, MONITOR list, last activity, registered.
  var settings: ClientSettings
  var caps: UInt32
  /// 302 after `CAP LS 302`, else 0.
  var capVersion: Int16
  /// Unix seconds of the connection (WHOIS signon).
  var signon: UInt32
  /// Its channels (folded name) with the status it holds there, as the old node saw them.
  var channels: [Membership]
  /// The account it is logged in to: the same as `settings.account`, which the arrival
  /// adopts with the rest of the settings.
  var account: String?
  /// Lines read from the socket and not yet run (flood control held them).
  var pendingInput: [[UInt8]]
  /// Bytes read after the last complete line (the start of the next).
  var unframedInput: [UInt8]
  /// The server pinged it and waits for the PONG.
  var awaitingPong: Bool
  /// When its socket was frozen on the old node (wall clock, milliseconds): the new
  /// node measures the pause the client saw from it.
  var frozenAtMillis: Int64

  struct Membership: Sendable, Equatable {
    var key: String
    var op: Bool
    var voice: Bool
  }

  /// The old connection's process number there: the session's name on the link.
  var id: UInt64 { from.number }
}

/// A message on the hand-off link (A to B).
enum HandOffMessage: Sendable {
  /// The first message: who hands sessions over.
  case hello(cluster: String, node: String, incarnation: UInt64)
  /// A session; its socket is the message's one descriptor.
  case session(HandOffSession)
  /// Every node and room has switched the session to B: what A's socket for it queued
  /// meanwhile (written by B first), and lines read from it since it froze.
  case done(id: UInt64, output: [UInt8], input: [[UInt8]])
  /// What reached the session on A after `done` (a sender that raced the switch).
  case late(id: UInt64, output: [UInt8])
  /// A gave the session up: B tells the client to reconnect.
  case abandon(id: UInt64, reason: String)
}

/// B's word to every node: the user whose connection was `from` is the process `pid` of
/// B now (with its record). Read by each relay, which moves the replica without telling
/// anyone (the nick stays held) and answers A with a mark.
struct SessionMove: Sendable {
  var from: PidLocation
  var pid: Pid
  var record: UserRecord
}

/// What a node tells the node a session leaves, through that node's relay and on to the
/// session's old connection, after everything it sent that connection before.
enum HandOffMark: Sendable {
  /// This node (named) has switched the user: nothing more goes to the old connection.
  case node(String)
  /// The room of this channel (folded name) has switched the member.
  case room(String)
  /// The node taking the session over could not (why): the session stays.
  case refused(String)
}

/// What a connection is told about its hand-off (Connection+Departure.swift and
/// Connection+Arrival.swift). Local to a node.
enum HandOffEvent: Sendable {
  /// Leave for the node behind the drain's link.
  case leave(HandOffDeparture)
  /// This node is being drained and its link is gone: reconnect.
  case reconnect
  /// A node, a room, or a refusal (HandOffMark).
  case mark(HandOffMark)
  /// The new node took the session: `replica` is the user there, as this node sees it.
  case adopted(node: String, replica: ClientHandle)
  /// A phase took too long (the deadline of `phase`).
  case deadline(phase: Int)
  /// The time after `done` for late senders is over.
  case lingerOver
  /// The hand-off link broke.
  case linkLost(String)
  /// On the new node: the old node is done (its output, the input read since).
  case done(output: [UInt8], input: [[UInt8]])
  /// On the new node: what reached the old node after `done`.
  case late([UInt8])
  /// On the new node: the old node gave up.
  case abandoned(String)
}

// MARK: - Wire forms

extension HandOffSession.Membership: Transportable {
  func encode(to e: inout WireEncoder) {
    e.write(key)
    e.write(UInt64((op ? 1 : 0) | (voice ? 2 : 0)))
  }
  init(from d: inout WireDecoder) throws {
    key = try d.read()
    let bits: UInt64 = try d.read()
    op = bits & 1 != 0
    voice = bits & 2 != 0
  }
}

extension PidLocation: Transportable {
  public func encode(to e: inout WireEncoder) {
    e.write(node)
    e.write(incarnation)
    e.write(number)
  }
  public init(from d: inout WireDecoder) throws {
    self.init(node: try d.read(), incarnation: try d.read(), number: try d.read())
  }
}

extension HandOffSession: Transportable {
  func encode(to e: inout WireEncoder) {
    e.write(from)
    // The user's record as the network knows it (nick, host, settings but MONITOR),
    // then what only the connection knows.
    UserRecord(location: nil, version: 0, nick: nick, host: host, settings: settings, caps: caps, signon: signon)
      .encodeFields(to: &e)
    e.write(settings.monitoring.sorted())
    e.write(Int64(capVersion))
    e.write(channels)
    e.write(account)
    e.write(pendingInput)
    e.write(unframedInput)
    e.write(awaitingPong)
    e.write(frozenAtMillis)
  }

  init(from d: inout WireDecoder) throws {
    from = try d.read()
    let record = try UserRecord(location: nil, fieldsFrom: &d)
    nick = record.nick
    host = record.host
    settings = record.settings
    caps = record.caps
    signon = record.signon
    settings.monitoring = Set(try d.read([String].self))
    capVersion = Int16(clamping: try d.read(Int64.self))
    channels = try d.read()
    account = try d.read()
    pendingInput = try d.read()
    unframedInput = try d.read()
    awaitingPong = try d.read()
    frozenAtMillis = try d.read()
  }
}

extension HandOffMessage: Transportable {
  func encode(to e: inout WireEncoder) {
    switch self {
    case .hello(let cluster, let node, let incarnation):
      e.tag(0)
      e.write(cluster)
      e.write(node)
      e.write(incarnation)
    case .session(let session):
      e.tag(1)
      e.write(session)
    case .done(let id, let output, let input):
      e.tag(2)
      e.write(id)
      e.write(output)
      e.write(input)
    case .late(let id, let output):
      e.tag(3)
      e.write(id)
      e.write(output)
    case .abandon(let id, let reason):
      e.tag(4)
      e.write(id)
      e.write(reason)
    }
  }

  init(from d: inout WireDecoder) throws {
    switch try d.tag() {
    case 0: self = .hello(cluster: try d.read(), node: try d.read(), incarnation: try d.read())
    case 1: self = .session(try d.read())
    case 2: self = .done(id: try d.read(), output: try d.read(), input: try d.read())
    case 3: self = .late(id: try d.read(), output: try d.read())
    case 4: self = .abandon(id: try d.read(), reason: try d.read())
    case let t: throw WireError.unknownTag(t, in: "HandOffMessage")
    }
  }

  /// The message as it goes on the link.
  var bytes: [UInt8] {
    var e = WireEncoder()
    encode(to: &e)
    return e.bytes
  }

  /// A message read from the link; throws for bytes that are not one.
  init(bytes: [UInt8]) throws {
    var d = WireDecoder(bytes)
    self = try HandOffMessage(from: &d)
  }
}

extension SessionMove: Transportable {
  func encode(to e: inout WireEncoder) {
    e.write(from)
    e.write(pid)
    record.encodeFields(to: &e)
  }
  init(from d: inout WireDecoder) throws {
    from = try d.read()
    pid = try d.read()
    record = try UserRecord(location: pid.location, fieldsFrom: &d)
  }
}

extension HandOffMark: Transportable {
  func encode(to e: inout WireEncoder) {
    switch self {
    case .node(let name):
      e.tag(0)
      e.write(name)
    case .room(let key):
      e.tag(1)
      e.write(key)
    case .refused(let reason):
      e.tag(2)
      e.write(reason)
    }
  }
  init(from d: inout WireDecoder) throws {
    switch try d.tag() {
    case 0: self = .node(try d.read())
    case 1: self = .room(try d.read())
    case 2: self = .refused(try d.read())
    case let t: throw WireError.unknownTag(t, in: "HandOffMark")
    }
  }
}
