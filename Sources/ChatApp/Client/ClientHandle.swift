// A connected client as the rest of the server sees it: who it is, where its lines go
// (its endpoint, Delivery/ClientEndpoint.swift), and two published parts, each with one
// writer (behind one lock, to keep an idle client small):
//   - its nick (`AssignedNick`): written only by presence (Presence/Presence.swift), the
//     one place that makes nicks unique;
//   - its settings (`ClientSettings`: user, real name, modes, away, capabilities,
//     MONITOR list, quit message, the account it is logged in to): written only by its
//     own connection process, through
//     `Connection.State.update` below — code that does not hold the connection's state
//     cannot change them.
// Channel memberships are not here: each room owns its members (Rooms/ChannelTable.swift).
// Everyone else reads what was published.
import Actors
import Distribution
import Synchronization
import TLS

/// What a client says about itself, published for the others to read. Written only by
/// the client's connection (`Connection.State.update`).
///
/// Every connected client keeps one, so what most clients never set (an away message,
/// MONITOR targets, a quit message) is kept out of line, in `rare`, allocated when first
/// set.
struct ClientSettings: Sendable {
  var user = ""
  var realname = ""
  /// Unix seconds of the last message that was not a PING/PONG (WHOIS idle time).
  var lastActive = 0
  private var rare: RareBox?
  var registered = false
  var invisible = false
  var oper = false
  var wallops = false
  var bot = false

  struct Rare: Sendable {
    var away: String?
    var monitoring: Set<String> = []
    var quitMessage: String?
    var account: String?
  }

  /// Copy-on-write: written in place while this value is its only holder, copied first
  /// otherwise (a snapshot keeps what it saw).
  ///
  /// `@unchecked Sendable`: `value` is written only through `rarePart`'s modify, after
  /// `isKnownUniquelyReferenced` has found no other holder, so a box that was shared
  /// (sent to another thread in a copy of the settings) is never written.
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
  /// Folded nicks this client MONITORs (presence keeps the reverse index).
  var monitoring: Set<String> {
    get { rare?.value.monitoring ?? [] }
    _modify { yield &rarePart.monitoring }
  }
  /// Set before the connection ends: what others see in its QUIT.
  var quitMessage: String? {
    get { rare?.value.quitMessage }
    _modify { yield &rarePart.quitMessage }
  }
  /// The account the client is logged in to (its name as registered), if any: a plain
  /// field of the session, so it moves with it wherever the session goes.
  var account: String? {
    get { rare?.value.account }
    _modify { yield &rarePart.account }
  }
}

/// A connected client, shared by reference.
///
/// `@unchecked Sendable`: its one mutable field, `published`, is read and written only
/// with `lock` held (`withPublished`); every other field is immutable or atomic.
final class ClientHandle: @unchecked Sendable, Hashable, CustomStringConvertible {
  /// The connection process: its end is the client's end (rooms and presence monitor it).
  /// For a user of another node (a replica, Cluster/RemoteUsers.swift), a proxy of it.
  let pid: Pid
  /// Unique on this node: the connection's process number, or for a replica a number
  /// with the top bit set (a remote process number may equal a local one).
  let id: UInt64
  /// Set for a user of another node: where it lives. Nil for this node's clients.
  let remote: RemoteUser?
  /// The peer's address, shown as the host part of `nick!user@host`.
  let host: String
  /// Where the client's lines go.
  let endpoint: any ClientEndpoint
  /// The connection's TLS session, if it came over TLS: whether the handshake is done,
  /// the fingerprint of the certificate the client presented (CertFP, what SASL
  /// EXTERNAL matches). Such a connection cannot move to another OS process (the
  /// session's state is in this one's memory). Nil for plain connections and replicas.
  let tls: TLSSession?
  /// The server's context (for the connection's exit hook).
  let services: ChatServices
  /// When the connection must next be looked at if the client stays silent (monotonic
  /// nanoseconds; `deadlineClaimed` once the idle sweeper has claimed it): set by the
  /// connection, claimed by the sweeper with a compare-and-swap, so a new deadline
  /// always wins (Client/IdleSweeper.swift).
  let idleDeadline = Atomic<UInt64>(ClientHandle.deadlineClaimed)
  /// The version other nodes were last told of (Cluster/ChatNetwork.swift `publish`).
  let sentVersion = Atomic<UInt64>(0)
  /// IRCv3 capabilities (`Caps`); written by the connection only (`Connection.State.setCapabilities`).
  fileprivate let caps = Atomic<UInt32>(0)
  /// Unix seconds of the connection, in 32 bits (until 2106) to pack with `caps`.
  private let signonSeconds: UInt32
  /// The two published parts behind one lock (one lock word for both: every connected
  /// client has one). The nick is written by presence alone — only Presence.swift can
  /// make an `AssignedNick` that names one — and the settings by the connection alone,
  /// through `Connection.State.update`.
  private let lock = Lock()
  @exclusivity(unchecked) private var published: Published

  fileprivate struct Published {
    var assigned = AssignedNick()
    var settings = ClientSettings()
    /// Bumped by every change of the nick, settings or capabilities, so that other nodes
    /// apply a user's records in order (Cluster/UserRecord.swift).
    var version: UInt64 = 0
  }

  /// The deadline's value once the sweeper has claimed it (never a real deadline).
  static let deadlineClaimed = UInt64.max

  init(
    pid: Pid, host: String, services: ChatServices, endpoint: any ClientEndpoint, remote: RemoteUser? = nil, id: UInt64? = nil,
    signon: UInt32? = nil, tls: TLSSession? = nil
  ) {
    self.pid = pid
    self.id = id ?? pid.id
    self.remote = remote
    self.host = host
    self.services = services
    self.endpoint = endpoint
    self.tls = tls
    let now = WallClock.seconds()
    self.signonSeconds = signon ?? UInt32(clamping: now)
    var published = Published()
    published.settings.lastActive = now
    self.published = published
  }

  deinit {
    // Nothing can be told of this client's QUIT any more: drop its ledger entry.
    services.departures.forget(id)
  }

  /// Runs `body` on the published parts with the lock held.
  fileprivate func withPublished<R>(_ body: (inout Published) -> R) -> R {
    lock.withLock { body(&published) }
  }

  /// Unix seconds of the connection.
  var signon: Int { Int(signonSeconds) }

  static func == (a: ClientHandle, b: ClientHandle) -> Bool { a === b }
  func hash(into h: inout Hasher) { h.combine(id) }
  var description: String { "client \(id) \(nick)" }

  var capabilities: Caps { Caps(rawValue: caps.load(ordering: .relaxed)) }
  func has(_ cap: Caps) -> Bool { capabilities.contains(cap) }

  /// The nick presence gave the client, or `*` before that.
  var nick: String { withPublished { $0.assigned.nick } }
  /// Whether presence holds a nick for this client.
  var holdsNick: Bool { withPublished { $0.assigned.held } }
  /// The nick as presence assigned it.
  var assigned: AssignedNick { withPublished { $0.assigned } }
  /// Publishes the nick presence assigned (Presence.swift: nothing else can make one).
  func assign(_ nick: AssignedNick) {
    withPublished {
      $0.assigned = nick
      $0.version &+= 1
    }
  }
  /// How many changes the published parts have had (Cluster/UserRecord.swift).
  var version: UInt64 { withPublished { $0.version } }
  /// A copy of the settings.
  var settings: ClientSettings { withPublished { $0.settings } }
  /// One setting, read under the lock without copying the rest.
  func setting<T>(_ read: (ClientSettings) -> T) -> T { withPublished { read($0.settings) } }
  var isRegistered: Bool { withPublished { $0.settings.registered } }
  /// The account the client is logged in to, if any.
  var account: String? { withPublished { $0.settings.account } }
  /// `nick!user@host`.
  var prefix: String { withPublished { "\($0.assigned.nick)!\($0.settings.user)@\(host)" } }
  /// What WHOWAS will say about this client's current nick.
  var whowasEntry: WhowasEntry {
    withPublished {
      WhowasEntry(nick: $0.assigned.nick, user: $0.settings.user, host: host, realname: $0.settings.realname, time: WallClock.seconds())
    }
  }

  /// Writes one line (with CR LF). Any process may call it; a client that cannot keep
  /// up is cut off by its endpoint, and its connection process sees it.
  @discardableResult
  func send(_ line: [UInt8]) -> Bool { endpoint.send(line: line) }

  func send(_ message: IRCMessage) { send(message.serialized()) }

  /// Delivers a broadcast line in this client's variant.
  func deliver(_ line: TaggedLine) { endpoint.deliver(line, caps: capabilities) }
}

/// The connection process's label, `alice (irc) 127.0.0.1`: computed from the published
/// nick whenever the observer looks (the connection sets it once, `Connection.initialize`),
/// so registration and nick changes show at once and an idle connection stores no string.
extension ClientHandle: ProcessLabelSource {
  var processLabel: String { "\(nick) (\(endpoint.transport)) \(host)" }
}

extension Connection.State {
  /// Changes the client's published settings. Only the connection process holds its
  /// `State`, so only it can call this: the settings have one writer.
  /// The directory's counts (LUSERS) follow every change of the flags they count.
  @discardableResult
  mutating func update<R>(_ change: (inout ClientSettings) -> R) -> R {
    let (result, before, after) = client.withPublished { p -> (R, ClientDirectory.Counted, ClientDirectory.Counted) in
      let before = ClientDirectory.Counted(p.settings)
      let result = change(&p.settings)
      p.version &+= 1
      return (result, before, ClientDirectory.Counted(p.settings))
    }
    if before != after { client.services.clients.recount(from: before, to: after) }
    // In a network the other nodes get the new record now, ahead of any line announcing
    // the change (AWAY, SETNAME): a client that reads the line and asks at once (a
    // message to the away user, WHOIS) is answered from the new record.
    client.services.network?.publish(client)
    return result
  }

  /// Takes the settings and capabilities of a session handed over by another node
  /// (Connection+Arrival.swift), without telling the network: it learns of the move as
  /// one step, with the record (Relay+HandOff.swift).
  mutating func adopt(_ settings: ClientSettings, caps: Caps) {
    let after = client.withPublished { p -> ClientDirectory.Counted in
      p.settings = settings
      p.version &+= 1
      return ClientDirectory.Counted(settings)
    }
    client.caps.store(caps.rawValue, ordering: .relaxed)
    client.services.clients.recount(from: ClientDirectory.Counted(), to: after)
  }

  /// Stamps the client's last activity (WHOIS idle time): not a change other nodes are
  /// told of (that would be a record per message), so a remote WHOIS shows the idle time
  /// of the user's last other change.
  mutating func touch(_ now: Int) {
    client.withPublished { $0.settings.lastActive = now }
  }

  /// Sets the client's capabilities (CAP REQ; cap-notify with CAP LS 302).
  mutating func setCapabilities(_ caps: Caps) {
    let changedInChannels = client.withPublished {
      let changed = client.caps.exchange(caps.rawValue, ordering: .relaxed) != caps.rawValue
      $0.version &+= 1
      // Only a registered client can be in a channel.
      return changed && $0.settings.registered
    }
    // After the store: a room that sees the new count reads the new capabilities.
    if changedInChannels { client.services.capabilityChanges.add(1, ordering: .releasing) }
  }
}

extension ClientHandle {
  /// What this node knows of the client, for other nodes (Cluster/UserRecord.swift).
  func record(location: PidLocation?) -> UserRecord {
    withPublished {
      UserRecord(
        location: location, version: $0.version, nick: $0.assigned.nick, host: host, settings: $0.settings,
        caps: caps.load(ordering: .relaxed), signon: signonSeconds)
    }
  }

  /// A replica takes a newer record of its user (Cluster/RemoteUsers.swift, the only
  /// caller): nick, settings and capabilities as the user's own node published them.
  /// Returns the nick it had before, if the record changed it.
  func replicate(_ record: UserRecord) -> (applied: Bool, oldNick: String) {
    withPublished { p in
      let old = p.assigned.nick
      guard record.version > p.version || (record.version == 0 && p.version == 0) else { return (false, old) }
      p.version = record.version
      p.assigned = AssignedNick(replicating: record.nick)
      p.settings = record.settings
      caps.store(record.caps, ordering: .relaxed)
      return (true, old)
    }
  }
}
