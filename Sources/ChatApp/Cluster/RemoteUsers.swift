// Every registered user of the other nodes of the network, as a replica: a ClientHandle
// whose pid is a proxy of the user's connection process and whose endpoint sends its
// lines to the user's node (RemoteEndpoint.swift). With the replicas in hand, a node
// answers WHO, WHOIS, ISON, USERHOST, MONITOR and PRIVMSG to a nick on its own, as an IRC
// server knows every user of its network.
//
// Writers: the records of a user's own node, applied in version order by whichever of
// this node's processes reads one first (the relay, for introductions and updates; any
// link reading a message that names the user) — `upsert` is the only way in, under this
// table's lock; the relay alone removes users (their connection ended, their node went:
// the relay's node watch, as the link reports it). A removed user is remembered for a
// while (`gone`), and a node that went is remembered as down until a link to it comes up
// again (`revive`), so a late message that still names one of its users does not bring
// it back — while the introductions a node sends when it is back are taken. A user whose
// session moved to another node (HandOff/) keeps its replica under its new connection
// with no one told, and its old one is retired: a message that still names the old
// connection finds the old handle (a room's member, a copy's), not a new user.
import Actors
import Distribution
import Synchronization

/// Where a replica's user lives. A class: every client handle has room for one, and a
/// reference keeps this node's own clients' handles 32 bytes smaller.
final class RemoteUser: Sendable {
  let location: PidLocation
  var node: String { location.node }
  init(location: PidLocation) { self.location = location }
}

final class RemoteUsers: Sendable {
  private struct Contents {
    var byLocation: [PidLocation: ClientHandle] = [:]
    /// Folded nick → registered user.
    var byNick: [String: ClientHandle] = [:]
    /// Users removed lately, and when (bounded: the oldest go first).
    var gone: [PidLocation: UInt64] = [:]
    var goneOrder: [PidLocation] = []
    /// Old connections of users whose session moved, with their last handle (bounded:
    /// the oldest go first).
    var retired: [PidLocation: ClientHandle] = [:]
    var retiredOrder: [PidLocation] = []
    /// Node incarnations whose users were all removed (the node went, or this node was
    /// cut off), until a link to that incarnation is up again (bounded: the oldest go first).
    var down: Set<NodeIncarnation> = []
    var downOrder: [NodeIncarnation] = []
    var nextID: UInt64 = 1
    /// Registered users (in `byNick`) that are invisible, and operators: kept as users
    /// are listed and unlisted, so LUSERS (sent at every registration) counts nothing.
    var invisible = 0
    var opers = 0

    /// Lists `h` under `nick`, counting its flags (as its settings now are).
    mutating func list(_ h: ClientHandle, as nick: String) {
      // A stale holder of the same nick (its quit not heard yet) stops being counted.
      if let other = byNick.updateValue(h, forKey: Names.fold(nick)), other !== h { count(other.settings, -1) }
      count(h.settings, +1)
    }

    /// Unlists `h` if it is listed under `nick`, uncounting its flags.
    mutating func unlist(_ h: ClientHandle, from nick: String, settings: ClientSettings) {
      let key = Names.fold(nick)
      guard byNick[key] === h else { return }
      byNick.removeValue(forKey: key)
      count(settings, -1)
    }

    private mutating func count(_ s: ClientSettings, _ delta: Int) {
      if s.invisible { invisible += delta }
      if s.oper { opers += delta }
    }
  }

  private struct NodeIncarnation: Hashable {
    var node: String
    var incarnation: UInt64
    init(_ location: PidLocation) {
      node = location.node
      incarnation = location.incarnation
    }
    init(node: String, incarnation: UInt64) {
      self.node = node
      self.incarnation = incarnation
    }
  }
  private let contents = Locked(Contents())
  private let network: Network

  /// What replicas need of the network: where their lines go.
  typealias Network = ChatNetwork

  /// How many removed users are remembered.
  static let goneMemory = 50_000

  init(network: Network) { self.network = network }

  // MARK: Reads

  func find(nick: String) -> ClientHandle? { contents.withLock { $0.byNick[Names.fold(nick)] } }
  func find(_ location: PidLocation) -> ClientHandle? { contents.withLock { $0.byLocation[location] } }
  /// Every registered remote user.
  var all: [ClientHandle] { contents.withLock { Array($0.byNick.values) } }
  var count: Int { contents.withLock { $0.byNick.count } }
  /// Every replica, registered or not (the metrics endpoint: it returns to its baseline
  /// when the users have gone).
  var replicaCount: Int { contents.withLock { $0.byLocation.count } }
  /// Registered users, how many are invisible, and operators (LUSERS).
  var counts: (users: Int, invisible: Int, opers: Int) { contents.withLock { ($0.byNick.count, $0.invisible, $0.opers) } }

  // MARK: Writes

  /// The replica of the user at `location`, made or brought up to date by `record`.
  func upsert(pid: Pid, at location: PidLocation, _ record: UserRecord, services: ChatServices) -> ClientHandle {
    let (handle, change) = contents.withLock { c -> (ClientHandle, NickChange?) in
      if let old = c.retired[location] { return (old, nil) }
      if c.gone[location] != nil || c.down.contains(NodeIncarnation(location)) {
        return (Self.detached(pid: pid, record: record, services: services), nil)
      }
      if let h = c.byLocation[location] {
        let before = h.settings
        let (applied, old) = h.replicate(record)
        guard applied else { return (h, nil) }
        let wasListed = c.byNick[Names.fold(old)] === h
        let listed = record.settings.registered && record.nick != "*"
        c.unlist(h, from: old, settings: before)
        if listed { c.list(h, as: record.nick) }
        if wasListed && listed && old == record.nick { return (h, nil) }
        return (h, NickChange(old: wasListed ? old : nil, new: listed ? h : nil))
      }
      let id = (1 << 63) | c.nextID
      c.nextID += 1
      let h = ClientHandle(
        pid: pid, host: record.host, services: services, endpoint: RemoteEndpoint(network: network, location: location),
        remote: RemoteUser(location: location), id: id, signon: record.signon)
      _ = h.replicate(record)
      c.byLocation[location] = h
      let listed = record.settings.registered && record.nick != "*"
      if listed { c.list(h, as: record.nick) }
      return (h, listed ? NickChange(old: nil, new: h) : nil)
    }
    if let change { services.tellPresence(.remoteNick(old: change.old, new: change.new)) }
    return handle
  }

  private struct NickChange {
    var old: String?
    var new: ClientHandle?
  }

  /// The user's connection ended: removed, remembered as gone.
  @discardableResult
  func remove(_ location: PidLocation, services: ChatServices) -> ClientHandle? {
    let removed = contents.withLock { c -> ClientHandle? in
      Self.bury(location, &c)
      guard let h = c.byLocation.removeValue(forKey: location) else { return nil }
      c.unlist(h, from: h.nick, settings: h.settings)
      return h
    }
    if let removed, removed.isRegistered { services.tellPresence(.remoteGone(removed)) }
    return removed
  }

  /// Every user of `node` (any incarnation): its node went. Records of those
  /// incarnations are refused until `revive`.
  func removeNode(_ node: String, services: ChatServices) -> [ClientHandle] {
    let removed = contents.withLock { c -> [ClientHandle] in
      let locations = c.byLocation.keys.filter { $0.node == node }
      var out: [ClientHandle] = []
      for l in locations {
        Self.markDown(NodeIncarnation(l), &c)
        guard let h = c.byLocation.removeValue(forKey: l) else { continue }
        c.unlist(h, from: h.nick, settings: h.settings)
        out.append(h)
      }
      return out
    }
    for h in removed where h.isRegistered { services.tellPresence(.remoteGone(h)) }
    return removed
  }

  /// Forgets every replica (this node rejoined the network under a new incarnation).
  func removeAll(services: ChatServices) -> [ClientHandle] {
    let nodes = contents.withLock { Set($0.byLocation.keys.map(\.node)) }
    return nodes.flatMap { removeNode($0, services: services) }
  }

  /// A link to `node` as `incarnation` is up: its users' records are taken again (it
  /// introduces them). Called before anything read from that link is applied.
  func revive(_ node: String, incarnation: UInt64) {
    contents.withLock { c in
      let key = NodeIncarnation(node: node, incarnation: incarnation)
      guard c.down.remove(key) != nil else { return }
      c.downOrder.removeAll { $0 == key }
    }
  }

  // MARK: Sessions that moved (HandOff/)

  /// How many retired connections are remembered: a drain of several thousand sessions
  /// keeps them all until every late message has been read.
  static let retiredMemory = 20_000

  /// The user whose connection was at `old` moved to this node: its replica goes, with
  /// no one told (its nick is held here now), retired so that late messages find it.
  @discardableResult
  func retire(_ old: PidLocation) -> ClientHandle? {
    contents.withLock { c in Self.retire(old, &c) }
  }

  /// The user whose connection was at `old` moved to the process `pid` at `location`
  /// of another node, with `record`: the replica follows it with no one told — its nick
  /// stays held, MONITOR watchers have nothing to hear — and the old one is retired.
  /// Returns the old replica (nil if this node did not have one, as when the user was
  /// its own) and the new one.
  func move(
    from old: PidLocation, to pid: Pid, at location: PidLocation, _ record: UserRecord, services: ChatServices
  ) -> (old: ClientHandle?, new: ClientHandle) {
    contents.withLock { c in
      let before = Self.retire(old, &c)
      if let h = c.byLocation[location] {
        let settings = h.settings
        let (_, nick) = h.replicate(record)
        c.unlist(h, from: nick, settings: settings)
        if record.settings.registered && record.nick != "*" { c.list(h, as: record.nick) }
        return (before, h)
      }
      c.gone.removeValue(forKey: location)
      let id = (1 << 63) | c.nextID
      c.nextID += 1
      let h = ClientHandle(
        pid: pid, host: record.host, services: services, endpoint: RemoteEndpoint(network: network, location: location),
        remote: RemoteUser(location: location), id: id, signon: record.signon)
      _ = h.replicate(record)
      c.byLocation[location] = h
      if record.settings.registered && record.nick != "*" { c.list(h, as: record.nick) }
      return (before, h)
    }
  }

  private static func retire(_ location: PidLocation, _ c: inout Contents) -> ClientHandle? {
    guard let h = c.byLocation.removeValue(forKey: location) else { return c.retired[location] }
    c.unlist(h, from: h.nick, settings: h.settings)
    c.retired[location] = h
    c.retiredOrder.append(location)
    if c.retiredOrder.count > retiredMemory {
      let drop = c.retiredOrder.count - retiredMemory
      for l in c.retiredOrder.prefix(drop) { c.retired.removeValue(forKey: l) }
      c.retiredOrder.removeFirst(drop)
    }
    return h
  }

  private static func markDown(_ key: NodeIncarnation, _ c: inout Contents) {
    guard c.down.insert(key).inserted else { return }
    c.downOrder.append(key)
    if c.downOrder.count > goneMemory {
      c.down.remove(c.downOrder.removeFirst())
    }
  }

  private static func bury(_ location: PidLocation, _ c: inout Contents) {
    guard c.gone[location] == nil else { return }
    c.gone[location] = 1
    c.goneOrder.append(location)
    if c.goneOrder.count > goneMemory {
      let drop = c.goneOrder.count - goneMemory
      for l in c.goneOrder.prefix(drop) { c.gone.removeValue(forKey: l) }
      c.goneOrder.removeFirst(drop)
    }
  }

  /// A handle for a user that is gone (or one of ours that has gone): in no table, its
  /// lines go nowhere.
  static func detached(pid: Pid, record: UserRecord, services: ChatServices) -> ClientHandle {
    let h = ClientHandle(
      pid: pid, host: record.host, services: services, endpoint: NowhereEndpoint(), remote: record.location.map(RemoteUser.init),
      id: (1 << 62) | pid.id, signon: record.signon)
    _ = h.replicate(record)
    return h
  }
}

/// Where the lines of a client that has gone go: nowhere.
final class NowhereEndpoint: ClientEndpoint {
  func send(line: [UInt8]) -> Bool { false }
  func deliver(_ line: TaggedLine, caps: Caps) {}
  var transport: String { "gone" }
}
