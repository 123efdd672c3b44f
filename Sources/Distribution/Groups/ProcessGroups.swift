// Process groups across nodes (Erlang's pg): processes join groups by name; every node
// sees every member. Each node runs one scope process per scope; it owns its node's
// local members and broadcasts joins and leaves to the same scope on the other nodes,
// and a full view of its members to a node that comes up. When a node goes down its
// members are dropped everywhere; when a member ends it leaves. Members are typed
// addresses, so a group can be sent to.
//
// Owner: the scope process is the only writer of `view` (the members by group and node);
// anyone reads it under its lock.
import Actors

/// What subscribers of a scope hear.
public enum GroupEvent: Sendable, Hashable {
  case joined(group: String, Pid)
  case left(group: String, Pid)
}

/// What scope processes tell each other (and their own node's callers).
enum GroupMessage<M: Transportable>: Transportable {
  case join(group: String, Address<M>)
  case leave(group: String, Address<M>)
  /// All of a node's members (sent to a node that came up).
  case sync(node: String, [String: [Address<M>]])

  func encode(to w: inout WireEncoder) {
    switch self {
    case .join(let g, let a):
      w.tag(0)
      w.write(g)
      w.write(a)
    case .leave(let g, let a):
      w.tag(1)
      w.write(g)
      w.write(a)
    case .sync(let node, let members):
      w.tag(2)
      w.write(node)
      w.write(members)
    }
  }

  init(from r: inout WireDecoder) throws {
    switch try r.tag() {
    case 0: self = .join(group: try r.read(), try r.read())
    case 1: self = .leave(group: try r.read(), try r.read())
    case 2: self = .sync(node: try r.read(), try r.read())
    case let t: throw WireError.unknownTag(t, in: "GroupMessage")
    }
  }
}

/// Local requests to the scope process.
enum ScopeRequest<M: Transportable>: Sendable {
  case remote(GroupMessage<M>)
  case join(String, Address<M>, done: ReplyTo<Bool>)
  case leave(String, Address<M>, done: ReplyTo<Bool>)
  case node(NodeEvent)
  case subscribe(@Sendable (GroupEvent) -> Void, done: ReplyTo<UInt64>)
  case unsubscribe(UInt64)
}

/// A scope of process groups whose members take messages of type `M`.
///
/// ```swift
/// let rooms = try await ProcessGroups<RoomMessage>.start("rooms", dist)
/// try await rooms.join("#swift", ctx.address, ctx)
/// rooms.send(.say("hi"), to: "#swift")     // every member, on every node
/// ```
public struct ProcessGroups<M: Transportable>: Sendable {
  let view: Locked<[String: [String: [Address<M>]]]>
  let scope: Address<ScopeRequest<M>>
  let scopeName: String

  /// Starts the scope on this node (start the same scope on every node).
  public static func start(_ name: String, _ dist: Distribution) async throws -> ProcessGroups<M> {
    let view = Locked<[String: [String: [Address<M>]]]>([:])
    let registered = "pg:\(name)"
    let node = dist.core.node
    let (ready, request) = node.makeReply(Address<ScopeRequest<M>>.self)
    node.spawn(ScopeRequest<M>.self) { ctx in
      ctx.label = "pg scope \(name)"
      // Remote scopes send GroupMessages: a relay of that type, exported under the name.
      let me = ctx.address
      let relay = ctx.spawnLink(GroupMessage<M>.self) { r in
        while let m = try await r.next() { me.send(.remote(m)) }
      }
      try dist.register(registered, relay)
      let token = dist.watchNodes { me.send(.node($0)) }
      defer { dist.stopWatchingNodes(token) }
      ready.reply(ctx.address)
      var loop = ScopeLoop(dist: dist, view: view, registered: registered, ctx: ctx)
      try await loop.run()
    }
    let scope = try await node.receiveResponse(request, timeout: .seconds(5))
    return ProcessGroups(view: view, scope: scope, scopeName: registered)
  }

  /// Adds `member` (a local process) to `group`; it leaves when it ends.
  public func join(_ group: String, _ member: Address<M>, _ caller: some DistributionCaller) async throws {
    _ = try await caller.request(scope, timeout: .seconds(5)) { .join(group, member, done: $0) } as Bool
  }

  /// Removes `member` from `group`.
  public func leave(_ group: String, _ member: Address<M>, _ caller: some DistributionCaller) async throws {
    _ = try await caller.request(scope, timeout: .seconds(5)) { .leave(group, member, done: $0) } as Bool
  }

  /// Every member of `group`, on every node (as this node knows them now).
  public func members(_ group: String) -> [Address<M>] {
    view.withLock { $0[group].map { $0.values.flatMap { $0 } } ?? [] }
  }

  /// This node's members of `group`.
  public func localMembers(_ group: String, node: String) -> [Address<M>] { view.withLock { $0[group]?[node] ?? [] } }

  /// The groups with at least one member.
  public var groups: [String] { view.withLock { $0.filter { !$0.value.values.allSatisfy(\.isEmpty) }.keys.sorted() } }

  /// Sends `message` to every member of `group`.
  public func send(_ message: M, to group: String) {
    for member in members(group) { member.send(message) }
  }

  /// Calls `f` for every join and leave from now on; returns a token for `unsubscribe`.
  public func subscribe(_ caller: some DistributionCaller, _ f: @escaping @Sendable (GroupEvent) -> Void) async throws -> UInt64 {
    try await caller.request(scope, timeout: .seconds(5)) { .subscribe(f, done: $0) }
  }

  public func unsubscribe(_ token: UInt64) { scope.send(.unsubscribe(token)) }
}

/// A process context or a node: what can wait for the scope's answer.
public protocol DistributionCaller {
  func request<T: Sendable, R: Sendable>(_ target: Address<T>, timeout: Timeout, _ make: (ReplyTo<R>) -> T) async throws -> R
}
extension Context: DistributionCaller {}
extension Node: DistributionCaller {}

/// The scope process's loop and state.
private struct ScopeLoop<M: Transportable> {
  let dist: Distribution
  let view: Locked<[String: [String: [Address<M>]]]>
  let registered: String
  let ctx: Context<ScopeRequest<M>>
  var monitors: [Pid: (Ref, Set<String>)] = [:]
  var subscribers: [UInt64: @Sendable (GroupEvent) -> Void] = [:]
  var nextSubscriber: UInt64 = 1

  init(dist: Distribution, view: Locked<[String: [String: [Address<M>]]]>, registered: String, ctx: Context<ScopeRequest<M>>) {
    self.dist = dist
    self.view = view
    self.registered = registered
    self.ctx = ctx
  }

  var me: String { dist.name }

  mutating func run() async throws {
    while let message = try await ctx.receive() {
      switch message {
      case .message(let request): handle(request)
      case .down(_, let pid, _):
        guard let (_, groups) = monitors.removeValue(forKey: pid) else { continue }
        for g in groups {
          if let a = local(g).first(where: { $0.pid == pid }) { remove(g, a, node: me, broadcast: true) }
        }
      default: continue
      }
    }
  }

  func local(_ group: String) -> [Address<M>] { view.withLock { $0[group]?[me] ?? [] } }

  mutating func handle(_ request: ScopeRequest<M>) {
    switch request {
    case .join(let group, let member, let done):
      add(group, member, node: me, broadcast: true)
      if monitors[member.pid] == nil { monitors[member.pid] = (ctx.monitor(member.pid), []) }
      monitors[member.pid]?.1.insert(group)
      done.reply(true)
    case .leave(let group, let member, let done):
      remove(group, member, node: me, broadcast: true)
      monitors[member.pid]?.1.remove(group)
      if monitors[member.pid]?.1.isEmpty == true, let (ref, _) = monitors.removeValue(forKey: member.pid) {
        _ = ctx.demonitor(ref, flush: true)
      }
      done.reply(true)
    case .remote(.join(let group, let member)):
      guard let node = member.pid.remoteNode else { return }
      add(group, member, node: node, broadcast: false)
    case .remote(.leave(let group, let member)):
      guard let node = member.pid.remoteNode else { return }
      remove(group, member, node: node, broadcast: false)
    case .remote(.sync(let node, let members)):
      // Everything `node` has, replacing what we knew of it.
      let before = view.withLock { v in v.mapValues { $0[node] ?? [] } }
      view.withLock { v in
        for g in v.keys { v[g]?[node] = nil }
        for (g, list) in members { v[g, default: [:]][node] = list }
      }
      for (g, old) in before { for a in old where !(members[g] ?? []).contains(a) { tell(.left(group: g, a.pid)) } }
      for (g, list) in members { for a in list where !(before[g] ?? []).contains(a) { tell(.joined(group: g, a.pid)) } }
    case .node(.nodeUp(let peer)):
      // Tell the new node all our members.
      let mine = view.withLock { v in v.compactMapValues { $0[me] } }
      dist.send(GroupMessage<M>.sync(node: me, mine), to: registered, on: peer)
    case .node(.nodeDown(let peer, _)):
      let gone = view.withLock { v -> [String: [Address<M>]] in
        var gone: [String: [Address<M>]] = [:]
        for g in v.keys {
          if let list = v[g]?.removeValue(forKey: peer) { gone[g] = list }
        }
        return gone
      }
      for (g, list) in gone { for a in list { tell(.left(group: g, a.pid)) } }
    case .node(.rejoined):
      break  // links went down (nodeDown dropped their members); nodeUp syncs again
    case .subscribe(let f, let done):
      subscribers[nextSubscriber] = f
      done.reply(nextSubscriber)
      nextSubscriber += 1
    case .unsubscribe(let token):
      subscribers[token] = nil
    }
  }

  func add(_ group: String, _ member: Address<M>, node: String, broadcast: Bool) {
    let added = view.withLock { v -> Bool in
      var list = v[group]?[node] ?? []
      if list.contains(member) { return false }
      list.append(member)
      v[group, default: [:]][node] = list
      return true
    }
    guard added else { return }
    tell(.joined(group: group, member.pid))
    if broadcast { for peer in dist.connectedNodes { dist.send(GroupMessage<M>.join(group: group, member), to: registered, on: peer) } }
  }

  func remove(_ group: String, _ member: Address<M>, node: String, broadcast: Bool) {
    let removed = view.withLock { v -> Bool in
      guard var list = v[group]?[node], let i = list.firstIndex(of: member) else { return false }
      list.remove(at: i)
      v[group]?[node] = list.isEmpty ? nil : list
      if v[group]?.isEmpty == true { v[group] = nil }
      return true
    }
    guard removed else { return }
    tell(.left(group: group, member.pid))
    if broadcast { for peer in dist.connectedNodes { dist.send(GroupMessage<M>.leave(group: group, member), to: registered, on: peer) } }
  }

  func tell(_ event: GroupEvent) { for f in subscribers.values { f(event) } }
}
