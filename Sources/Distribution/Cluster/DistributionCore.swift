// The shared state of a node's distribution: who this node is (name, incarnation), its
// links by peer name, the processes it exports (that other nodes may send to) and the
// names registered for other nodes, and who wants node up/down and Redis health events.
//
// Owner: `state` is guarded by its lock. Links are added by link processes once their
// handshake is done and removed by PeerLink.goDown; exports by whoever encodes an
// address (and removed by the net kernel when the process ends); names by `register`;
// the members and those declared down by `apply`, from the membership's events.
@_spi(Distribution) import Actors

/// A node came or went.
public enum NodeEvent: Sendable, Hashable {
  case nodeUp(String)
  case nodeDown(String, reason: String)
  /// This node's lease was lost (it was frozen, or cut off from Redis while the others
  /// reached it, and they declared it down): it rejoined under a new incarnation, and its
  /// pids of the old one are dead everywhere. An outage of Redis itself never causes it.
  case rejoined(oldIncarnation: UInt64, newIncarnation: UInt64)
}

final class DistributionCore: Sendable {
  /// A local process other nodes may send to: how to read its messages.
  struct Export: Sendable {
    let pid: Pid
    /// Decodes one message and delivers it (as a request if it carried a reply slot).
    let deliver: @Sendable (inout WireDecoder) throws -> Void
  }

  struct State {
    var incarnation: UInt64
    var links: [String: PeerLink] = [:]
    var nodeIndexes: [String: Int] = [:]
    var exports: [UInt64: Export] = [:]
    var names: [String: Export] = [:]
    var watchers: [UInt64: @Sendable (NodeEvent) -> Void] = [:]
    var healthWatchers: [UInt64: @Sendable (MembershipHealth) -> Void] = [:]
    var nextWatcher: UInt64 = 1
    var stopped = false
    /// The other members, as the membership last said (empty without Redis).
    var members: [String: MemberInfo] = [:]
    /// The newest incarnation of each peer the membership said is down. A link from it
    /// (or an older one) is refused: its pids are dead everywhere, even if it does not
    /// know yet — cut off from Redis, it still counts itself a member, and dials.
    var declaredDown: [String: UInt64] = [:]
  }

  let node: Node
  let name: String
  let cluster: String
  let secret: [UInt8]
  let state: Locked<State>
  let deadRoute: DeadRoute
  /// The net kernel, which watches exported processes (set once it runs).
  /// (An address, not a closure: a closure returned through `Locked`'s generic result
  /// is wrapped in a reabstraction thunk on every read, and measured ~100 B kept per
  /// call in the churn test.)
  let netKernel = Locked<Address<NetKernelMessage>?>(nil)

  init(node: Node, name: String, cluster: String, secret: String, incarnation: UInt64) {
    self.node = node
    self.name = name
    self.cluster = cluster
    self.secret = Array(secret.utf8)
    self.state = Locked(State(incarnation: incarnation))
    self.deadRoute = DeadRoute(node: node)
  }

  var incarnation: UInt64 { state.withLock { $0.incarnation } }

  // MARK: - Membership

  /// Applies a membership event: links follow the members (the node with the lower
  /// name dials; the other keeps a link waiting, so what it sends meanwhile is queued).
  /// Links change only on events: while Redis is away the membership emits none (but
  /// health), so every link and remote pid stays as it was.
  func apply(_ event: MembershipEvent, kernel: Address<NetKernelMessage>) {
    switch event {
    case .nodeUp(let info):
      guard info.name != name else { return }
      state.withLock { s in
        s.members[info.name] = info
        // Never a buried incarnation, but after our own leaseLost (whose nodeDowns bury nothing).
        if let down = s.declaredDown[info.name], down <= info.incarnation { s.declaredDown[info.name] = nil }
      }
      if name < info.name {
        kernel.send(.dial(peer: info.name, incarnation: info.incarnation, address: info.address))
      } else {
        _ = linkFor(peer: info.name, incarnation: info.incarnation)
      }
    case .nodeDown(let info, let reason):
      guard info.name != name else { return }
      let link: PeerLink? = state.withLock { s in
        if s.members[info.name]?.incarnation == info.incarnation { s.members[info.name] = nil }
        s.declaredDown[info.name] = max(s.declaredDown[info.name] ?? 0, info.incarnation)
        guard let l = s.links[info.name], l.peerIncarnation == info.incarnation || l.peerIncarnation == 0 else { return nil }
        return l
      }
      link?.goDown("\(info.name) left the cluster (\(reason))")
    case .leaseLost(let old, let new):
      // Our old pids are dead everywhere now: take the new incarnation and drop every
      // link (they were made as the old one); the membership reports the others again.
      let links: [PeerLink] = state.withLock { s in
        s.incarnation = new.incarnation
        s.members = [:]
        return Array(s.links.values)
      }
      for l in links { l.goDown("\(name) lost its lease as incarnation \(old.incarnation); rejoined as \(new.incarnation)") }
      notify(.rejoined(oldIncarnation: old.incarnation, newIncarnation: new.incarnation))
    case .health(let health):
      for w in state.withLock({ Array($0.healthWatchers.values) }) { w(health) }
    }
  }

  /// Whether the membership said `peer` is down at `incarnation` (or a newer one): its
  /// link is refused.
  func isDeclaredDown(_ peer: String, incarnation: UInt64) -> Bool {
    state.withLock { s in s.declaredDown[peer].map { incarnation <= $0 } ?? false }
  }

  /// Members to dial (lower name here) with no link up: the net kernel's periodic check.
  var membersToDial: [MemberInfo] {
    state.withLock { s in
      s.members.values.filter { m in
        guard name < m.name else { return false }
        guard let l = s.links[m.name] else { return true }
        return l.isDown
      }
    }
  }

  // MARK: - Links

  func link(to peer: String) -> PeerLink? { state.withLock { $0.links[peer] } }

  func index(of peer: String) -> Int {
    state.withLock { s in
      if let i = s.nodeIndexes[peer] { return i }
      let i = s.nodeIndexes.count + 1
      s.nodeIndexes[peer] = i
      return i
    }
  }

  /// The link for `peer` at `incarnation` (0: not known yet): the live one for that
  /// incarnation, or a new one (in its handshake; frames sent meanwhile wait in it). A
  /// link to an older incarnation goes down: that node is gone.
  func linkFor(peer: String, incarnation: UInt64) -> (PeerLink, isNew: Bool) {
    let index = self.index(of: peer)
    var stale: PeerLink?
    let result: (PeerLink, Bool) = state.withLock { s in
      if let existing = s.links[peer], !existing.isDown {
        let known = existing.peerIncarnation
        if incarnation == 0 || known == 0 || known >= incarnation { return (existing, false) }
        stale = existing
      }
      let link = PeerLink(core: self, peerName: peer, peerIncarnation: incarnation, nodeIndex: index)
      s.links[peer] = link
      return (link, true)
    }
    stale?.goDown("\(peer) came back as incarnation \(incarnation)")
    return result
  }

  /// `link` went down; watchers hear of it if it had come up.
  func linkWentDown(_ link: PeerLink, reason: String, wasUp: Bool) {
    state.withLock { s in
      if s.links[link.peerName] === link { s.links[link.peerName] = nil }
    }
    if wasUp { notify(.nodeDown(link.peerName, reason: reason)) }
  }

  func linkCameUp(_ link: PeerLink) { notify(.nodeUp(link.peerName)) }

  var connectedNodes: [String] { state.withLock { $0.links.values.filter(\.isUp).map(\.peerName).sorted() } }

  // MARK: - Events

  func watch(_ f: @escaping @Sendable (NodeEvent) -> Void) -> UInt64 {
    state.withLock { s in
      let id = s.nextWatcher
      s.nextWatcher += 1
      s.watchers[id] = f
      return id
    }
  }

  func unwatch(_ id: UInt64) {
    state.withLock { s in
      s.watchers[id] = nil
      s.healthWatchers[id] = nil
    }
  }

  func watchHealth(_ f: @escaping @Sendable (MembershipHealth) -> Void) -> UInt64 {
    state.withLock { s in
      let id = s.nextWatcher
      s.nextWatcher += 1
      s.healthWatchers[id] = f
      return id
    }
  }

  func notify(_ event: NodeEvent) {
    for w in state.withLock({ Array($0.watchers.values) }) { w(event) }
  }

  // MARK: - Pids and addresses read from the wire

  /// The pid named by `w`: a local process, a proxy, or (a stale incarnation of this
  /// node, or a node with no link) a proxy whose sends go nowhere.
  func pid(for w: WirePid, via link: PeerLink? = nil) -> Pid {
    if w.node == name {
      if w.incarnation == incarnation, let local = node.localProcess(id: w.id) { return local }
      return node.remotePid(RemoteIdentity(nodeName: w.node, incarnation: w.incarnation, id: w.id, nodeIndex: 0, route: deadRoute))
    }
    let route: any RemoteRoute
    if let link {
      route = link
    } else if let known = self.link(to: w.node) {
      route = known
    } else {
      route = deadRoute
    }
    return node.remotePid(
      RemoteIdentity(nodeName: w.node, incarnation: w.incarnation, id: w.id, nodeIndex: index(of: w.node), route: route))
  }

  func address<M: Transportable>(for w: WirePid, as type: M.Type) -> Address<M> {
    if w.node == name, w.incarnation == incarnation, let local = node.localProcess(id: w.id), let a = local.address(as: M.self) {
      return a
    }
    return remoteAddress(w, as: M.self)
  }

  /// A typed proxy: messages are encoded for the link to `w.node` (looked up when
  /// sent, so a proxy made before the link works once it is up).
  func remoteAddress<M: Transportable>(_ w: WirePid, as type: M.Type) -> Address<M> {
    let route: any RemoteRoute
    if let known = self.link(to: w.node) { route = known } else { route = deadRoute }
    let identity = RemoteIdentity(nodeName: w.node, incarnation: w.incarnation, id: w.id, nodeIndex: index(of: w.node), route: route)
    let send: @Sendable (M) -> Void = { [weak self] message in
      guard let self, let link = self.link(to: w.node), link.peerIncarnation == w.incarnation || link.peerIncarnation == 0 else { return }
      var e = WireEncoder.to(link)
      e.beginFrame(.send)
      e.writeVarint(w.id)
      message.encode(to: &e)
      link.sendFrame(e.finishFrame())
    }
    let request: @Sendable (M, AnyReplyCell) -> Void = { [weak self] message, cell in
      guard let self, let link = self.link(to: w.node), !link.isDown, link.peerIncarnation == w.incarnation else {
        return cell.failRemote(.noconnection)
      }
      // The message first (its ReplyTo registers the call), then the frame: the call's
      // number goes in the header too, so a node with no such process can fail it.
      var body = WireEncoder.to(link)
      message.encode(to: &body)
      var e = WireEncoder.to(link)
      e.beginFrame(.request)
      e.writeVarint(w.id)
      e.writeVarint(body.context?.encodedCallID ?? 0)
      e.bytes.append(contentsOf: body.bytes)
      link.sendFrame(e.finishFrame())
    }
    return node.remoteAddress(identity, send: send, request: request)
  }

  // MARK: - Exports and names

  private static func exportEntry<M: Transportable>(_ address: Address<M>) -> Export {
    Export(pid: address.pid) { d in
      let message = try M(from: &d)
      if let cell = d.context?.decodedReplyCell {
        d.context?.decodedReplyCell = nil
        address.deliverRequest(message, cell: cell)
      } else {
        address.send(message)
      }
    }
  }

  /// Lets other nodes send to `address` (until its process ends).
  func export<M: Transportable>(_ address: Address<M>) {
    let id = address.pid.id
    let fresh = state.withLock { s -> Bool in
      if s.exports[id] != nil { return false }
      s.exports[id] = Self.exportEntry(address)
      return true
    }
    if fresh { netKernel.withLock { $0 }?.send(.watch(address.pid)) }
  }

  func exported(_ id: UInt64) -> Export? { state.withLock { $0.exports[id] } }

  func register<M: Transportable>(_ name: String, _ address: Address<M>) throws {
    guard !name.isEmpty else { throw DistributionError.invalid("an empty name") }
    try state.withLock { s throws(DistributionError) in
      if let holder = s.names[name], holder.pid.isAlive { throw DistributionError.nameTaken(name, by: "\(holder.pid)") }
      s.names[name] = Self.exportEntry(address)
    }
    export(address)
  }

  func unregister(_ name: String) { _ = state.withLock { $0.names.removeValue(forKey: name) } }

  func registered(_ name: String) -> Export? { state.withLock { $0.names[name] } }

  /// A process ended: it is no longer exported, nor registered.
  func forget(_ pid: Pid) {
    state.withLock { s in
      s.exports[pid.id] = nil
      for (n, e) in s.names where e.pid == pid { s.names[n] = nil }
    }
  }
}

/// The route of proxies whose node is gone or unknown: a link or monitor to one comes
/// back at once as `noconnection`; sends vanish.
final class DeadRoute: RemoteRoute, Sendable {
  let node: Node
  init(node: Node) { self.node = node }

  func forward(_ signal: RemoteSignal, to target: RemoteIdentity) {
    switch signal {
    case .link(let from): node.deliverRemoteSignal(.exit(from: node.remotePid(target), reason: .noconnection, linked: true), to: from)
    case .monitor(let ref, let watcher):
      node.deliverRemoteSignal(.down(ref, of: node.remotePid(target), reason: .noconnection), to: watcher)
    default: break
    }
  }
  func isReachable(_ target: RemoteIdentity) -> Bool { false }
}

/// What distribution calls refuse.
public enum DistributionError: Error, Sendable, Equatable, CustomStringConvertible {
  case invalid(String)
  case nameTaken(String, by: String)
  case noconnection(String)
  case notFound(String)
  case refused(String)

  public var description: String {
    switch self {
    case .invalid(let why): return "invalid: \(why)"
    case .nameTaken(let n, let by): return "the name '\(n)' is registered by \(by)"
    case .noconnection(let node): return "no connection to node \(node)"
    case .notFound(let what): return "\(what) not found"
    case .refused(let why): return "refused: \(why)"
    }
  }
}
