// Every channel's published record — its settings and its members — and, for each
// client, the channels it is in: an application-owned table (Erlang's ETS) that outlives
// the room processes. Writer: each channel's room, for its own channel only
// (`Room.publish`, `Room.unpublish` in Rooms/Room.swift); in a network, for a channel
// whose room lives on another node, this node's relay (Cluster/Relay.swift) keeps a
// copy here. Everyone else reads. A
// restarted room rebuilds from its record; after the room supervisor itself was
// restarted, the room restorer (Rooms/RoomSupervision.swift) starts a room for every record.
import Actors
import Synchronization

/// One channel's settings: everything but its members.
struct ChannelSettings: Sendable, Equatable {
  var name: String
  /// Unix seconds.
  var created: Int
  var topic: String?
  var topicBy: String?
  var topicTime = 0
  var inviteOnly = false
  var moderated = false
  var noExternal = true
  var secret = false
  var topicLock = true
  /// +R: only clients logged in to an account may join.
  var registeredOnly = false
  /// +M: only clients logged in to an account (or with op or voice) may speak.
  var registeredSpeech = false
  var key: String?
  var limit: Int?
  var bans: [ListEntry] = []
  var exceptions: [ListEntry] = []
  var inviteExceptions: [ListEntry] = []
  /// Folded nicks invited (INVITE), allowed past +i, +k and +l... until they join.
  var invited: Set<String> = []
  /// Set once a founder has registered the channel (Rooms/ChannelRegistration.swift).
  var registration: ChannelRegistration?

  init(name: String, created: Int = WallClock.seconds()) {
    self.name = name
    self.created = created
  }

  /// `+nt` style, with parameters for +k and +l (the key only for members).
  func modeString(showKey: Bool) -> [String] {
    var flags = "+"
    var params: [String] = []
    if inviteOnly { flags += "i" }
    if key != nil { flags += "k" }
    if limit != nil { flags += "l" }
    if moderated { flags += "m" }
    if noExternal { flags += "n" }
    if secret { flags += "s" }
    if topicLock { flags += "t" }
    if registeredSpeech { flags += "M" }
    if registeredOnly { flags += "R" }
    if let key { params.append(showKey ? key : "*") }
    if let limit { params.append(String(limit)) }
    return [flags] + params
  }
}

/// A ban, exception or invite-exception entry.
struct ListEntry: Sendable, Equatable {
  var mask: String
  var setBy: String
  var time: Int
}

/// A member of a channel and its status there.
struct ChannelMember: Sendable {
  let client: ClientHandle
  var op: Bool
  var voice: Bool
  /// The room's monitor of the member's process (meaningful to that room only; nil in a
  /// copy of a channel homed on another node).
  var monitor: Ref?
  /// A user of another node (kept here, next to the status, so that a broadcast loop
  /// tells local from remote members without reading each client's handle).
  let isRemote: Bool

  init(client: ClientHandle, op: Bool, voice: Bool, monitor: Ref?) {
    self.client = client
    self.op = op
    self.voice = voice
    self.monitor = monitor
    self.isRemote = client.remote != nil
  }

  /// Prefix characters, highest first (`@+` with multi-prefix, else the highest).
  func prefix(multi: Bool) -> String {
    if multi { return (op ? "@" : "") + (voice ? "+" : "") }
    return op ? "@" : (voice ? "+" : "")
  }
}

/// What a room publishes: its settings and members (by client id), and what it needs
/// of a channel restored after chatd restarted (Rooms/RoomStorage.swift).
struct ChannelRecord: Sendable {
  var settings: ChannelSettings
  var members: [UInt64: ChannelMember] = [:]
  /// The channel stood before chatd restarted: its first joiner does not get op for
  /// being first.
  var restored = false
  /// Op and voice held when chatd stopped, by folded `nick!user@host`: given back, once,
  /// to whoever joins as that mask within the restore window.
  var awaitedStatus: [String: StoredStatus] = [:]
  /// Nil when the channel's room lives on this node; otherwise the node it lives on:
  /// this record is a copy kept by the relay (Cluster/Relay.swift).
  var home: String?
}

/// The table. Reads take its lock briefly and copy out (records share their storage
/// with the room's own state until the room changes it).
final class ChannelTable: Sendable {
  private struct Contents {
    /// Folded channel name → record.
    var records: [String: ChannelRecord] = [:]
    /// Client id → folded names of the channels it is in.
    var memberships: [UInt64: [String]] = [:]
  }
  private let contents = Locked(Contents())

  // MARK: Reads

  func record(_ key: String) -> ChannelRecord? { contents.withLock { $0.records[key] } }
  func settings(_ key: String) -> ChannelSettings? { contents.withLock { $0.records[key]?.settings } }
  func exists(_ key: String) -> Bool { contents.withLock { $0.records[key] != nil } }
  var count: Int { contents.withLock { $0.records.count } }
  /// Records that are copies of channels homed on other nodes.
  var copyCount: Int { contents.withLock { $0.records.values.reduce(0) { $0 + ($1.home == nil ? 0 : 1) } } }
  /// Entries of the per-client index (a client in a channel), for the metrics endpoint.
  var membershipCount: Int { contents.withLock { $0.memberships.values.reduce(0) { $0 + $1.count } } }
  var all: [String: ChannelRecord] { contents.withLock { $0.records } }

  /// Folded names of the channels `client` is in.
  func channels(of client: UInt64) -> [String] { contents.withLock { $0.memberships[client] ?? [] } }

  /// `client`'s status in each of its channels: (channel settings, membership).
  func memberships(of client: UInt64) -> [(key: String, settings: ChannelSettings, member: ChannelMember)] {
    contents.withLock { c in
      (c.memberships[client] ?? []).compactMap { key in
        guard let r = c.records[key], let m = r.members[client] else { return nil }
        return (key, r.settings, m)
      }
    }
  }

  /// Everyone who shares a channel with `client`, each once (NICK, AWAY, SETNAME go once
  /// to each), not `client` itself.
  func neighbours(of client: UInt64) -> [ClientHandle] {
    contents.withLock { c in
      var seen: Set<UInt64> = [client]
      var out: [ClientHandle] = []
      for key in c.memberships[client] ?? [] {
        for (id, m) in c.records[key]?.members ?? [:] where seen.insert(id).inserted { out.append(m.client) }
      }
      return out
    }
  }

  // MARK: Writes: the room of `key` only

  /// Publishes the room's record; `joined` and `left` keep the per-client index right.
  func publish(_ key: String, _ record: ChannelRecord, joined: UInt64? = nil, left: UInt64? = nil) {
    contents.withLock { c in
      c.records[key] = record
      if let joined { c.memberships[joined, default: []].append(key) }
      if let left { Self.drop(key, of: left, &c.memberships) }
    }
  }

  /// Publishes a whole new record (a copy of a channel homed elsewhere), with every
  /// member that came or went.
  func publish(_ key: String, _ record: ChannelRecord, joinedAll: [UInt64], leftAll: [UInt64]) {
    contents.withLock { c in
      c.records[key] = record
      for id in joinedAll { c.memberships[id, default: []].append(key) }
      for id in leftAll { Self.drop(key, of: id, &c.memberships) }
    }
  }

  /// The channel is gone (its last member left): its record and whatever index entries
  /// still name it.
  func unpublish(_ key: String) {
    contents.withLock { c in
      guard let r = c.records.removeValue(forKey: key) else { return }
      for id in r.members.keys { Self.drop(key, of: id, &c.memberships) }
    }
  }

  private static func drop(_ key: String, of client: UInt64, _ index: inout [UInt64: [String]]) {
    guard var list = index[client] else { return }
    list.removeAll { $0 == key }
    index[client] = list.isEmpty ? nil : list
  }
}
