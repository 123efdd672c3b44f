// What a chaos run records: each client session's view of the server (what it joined,
// sent, had acknowledged, received, saw leave, was refused) and each kill the killer
// made. The checker (ChaosChecker) reads only these, so it is tested without a server.
// Times are CLOCK_MONOTONIC µs of this process (`nowMicros`), one clock for everyone.

/// One connection of one simulated client: client `slot` after `generation` reconnects.
/// Its nick is `<prefix><slot>_<generation>`, so every session has a nick of its own
/// and a QUIT names exactly one session.
struct SessionKey: Hashable, Comparable, Sendable, CustomStringConvertible {
  var slot: Int
  var generation: Int

  var description: String { "\(slot)_\(generation)" }

  func nick(prefix: String) -> String { "\(prefix)\(slot)_\(generation)" }

  /// The session a nick names, if it is one of ours (`<prefix><slot>_<generation>`).
  init?(nick: Substring, prefix: String) {
    guard nick.hasPrefix(prefix) else { return nil }
    let rest = nick.dropFirst(prefix.count)
    guard let underscore = rest.firstIndex(of: "_"), let slot = Int(rest[..<underscore]),
      let generation = Int(rest[rest.index(after: underscore)...]), slot >= 0, generation >= 0
    else { return nil }
    self.init(slot: slot, generation: generation)
  }

  init(slot: Int, generation: Int) {
    self.slot = slot
    self.generation = generation
  }

  static func < (a: SessionKey, b: SessionKey) -> Bool { (a.slot, a.generation) < (b.slot, b.generation) }
}

/// A chat message of the run: `chaos <seq>` from one session to one channel. Sequence
/// numbers count per session, so (session, seq) names a message.
struct MessageKey: Hashable, Sendable {
  var sender: SessionKey
  var seq: Int
}

/// How a session ended.
enum SessionEnd: Sendable, Equatable {
  /// Still connected when the run collected its log.
  case open
  /// The server closed the connection (after a kill this is expected).
  case closedByServer(String)
  /// It never got connected or registered (connect failed, registration refused).
  case failed(String)
  /// It quit when the run ended.
  case quit
}

/// Everything one session saw, in the order it saw it.
struct SessionLog: Sendable {
  struct Join: Sendable, Equatable {
    var channel: Int
    /// When its own JOIN came back: from then on the room counts it as a member.
    var at: UInt64
  }

  struct Sent: Sendable, Equatable {
    var channel: Int
    var seq: Int
    var at: UInt64
  }

  /// Its own message echoed back (echo-message): the server acknowledged it.
  struct Ack: Sendable, Equatable {
    var channel: Int
    var seq: Int
    var at: UInt64
  }

  /// Another session's message.
  struct Receipt: Sendable, Equatable {
    var channel: Int
    var from: SessionKey
    var seq: Int
  }

  /// Another session leaving: QUIT (channel nil), PART or KICK.
  struct Leave: Sendable, Equatable {
    var who: SessionKey
    var channel: Int?
    var at: UInt64
  }

  /// A numeric refusing something about one of the run's channels (403, 404, 442...).
  struct Refusal: Sendable, Equatable {
    var code: Int
    var channel: Int
    var at: UInt64
  }

  var key: SessionKey
  /// When the server's 001 arrived (nil: never registered).
  var registeredAt: UInt64?
  var joins: [Join] = []
  var sent: [Sent] = []
  var acks: [Ack] = []
  var receipts: [Receipt] = []
  var leaves: [Leave] = []
  var refusals: [Refusal] = []
  var end = SessionEnd.open
  /// When it ended (or its log was collected, for an open session).
  var endedAt: UInt64 = 0

  init(key: SessionKey) { self.key = key }

  /// When it joined `channel` (its first JOIN there), if it did.
  func joinedAt(_ channel: Int) -> UInt64? { joins.first { $0.channel == channel }?.at }
}

/// One kill the killer made.
struct KillRecord: Sendable, Equatable {
  /// The kind asked for (a child id of chatd's root: rooms, presence, history, ...).
  var kind: String
  /// The process killed, as the control endpoint names it (`<0.42.0>`).
  var pid: String
  /// Just before the kill was sent.
  var at: UInt64
  /// The session whose connection this process was (its socket's peer is ours).
  var session: SessionKey?
}

/// NAMES of one channel at the end of the run, as one of its members got it.
struct NamesAnswer: Sendable, Equatable {
  var channel: Int
  /// Who asked.
  var asker: SessionKey
  /// Nicks of the 353 lines, without their prefixes (@, +); nil if no 366 came.
  var nicks: Set<String>?
  /// A refusal (403...) instead of the list.
  var refused: Int?
}
