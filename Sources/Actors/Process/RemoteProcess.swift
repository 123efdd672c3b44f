// Proxies: the stand-ins, on this node, for processes of other nodes. A proxy is a
// ProcessCore (so a Pid, links and monitors work unchanged) whose id carries the remote
// bit; what is sent to it goes to its RemoteRoute (the Distribution target's connection
// to that node) instead of a mailbox. A proxy never runs and is in no process table.
//
// Owner: a proxy is immutable; its route decides where things go. Made only by the
// Distribution target, through the `Distribution` SPI below.

/// Where a proxy's traffic goes: the connection to the proxy's node.
@_spi(Distribution)
public protocol RemoteRoute: AnyObject, Sendable {
  /// A signal from a local process to the remote process `target`.
  func forward(_ signal: RemoteSignal, to target: RemoteIdentity)
  /// Whether the node `target` lives on (that incarnation of it) is connected.
  func isReachable(_ target: RemoteIdentity) -> Bool
}

/// A link, monitor or exit signal crossing to another node.
@_spi(Distribution)
public enum RemoteSignal: Sendable {
  case link(from: Pid)
  case unlink(from: Pid)
  case exit(from: Pid, reason: ExitReason, linked: Bool)
  case monitor(Ref, watcher: Pid)
  case demonitor(Ref)
  case down(Ref, of: Pid, reason: ExitReason)
}

/// A process of another node: which node (name and incarnation), its number there, and
/// the route to it. Equal identities name the same process.
@_spi(Distribution)
public final class RemoteIdentity: Hashable, Sendable {
  public let nodeName: String
  public let incarnation: UInt64
  public let id: UInt64
  /// The number this node gave the remote node (the N of `<N.42.0>`).
  public let nodeIndex: Int
  public let route: any RemoteRoute

  public init(nodeName: String, incarnation: UInt64, id: UInt64, nodeIndex: Int, route: any RemoteRoute) {
    self.nodeName = nodeName
    self.incarnation = incarnation
    self.id = id
    self.nodeIndex = nodeIndex
    self.route = route
  }

  public var isReachable: Bool { route.isReachable(self) }

  public static func == (a: RemoteIdentity, b: RemoteIdentity) -> Bool {
    a === b || (a.id == b.id && a.incarnation == b.incarnation && a.nodeName == b.nodeName)
  }
  public func hash(into h: inout Hasher) {
    h.combine(id)
    h.combine(incarnation)
    h.combine(nodeName)
  }
}

/// The control of every proxy: signals go to the route, the rest does not apply.
private func proxyControl(_ identity: RemoteIdentity) -> @Sendable (ProcessCore, ControlOp) -> ControlResult {
  { _, op in
    switch op {
    case .pushSignal(let signal, _):
      switch signal {
      case .link(let from): identity.route.forward(.link(from: Pid(from)), to: identity)
      case .unlink(let from): identity.route.forward(.unlink(from: Pid(from)), to: identity)
      case .exit(let from, let reason, let linked):
        identity.route.forward(.exit(from: Pid(from), reason: reason, linked: linked), to: identity)
      case .monitor(let ref, let watcher): identity.route.forward(.monitor(ref, watcher: Pid(watcher)), to: identity)
      case .demonitor(let ref): identity.route.forward(.demonitor(ref), to: identity)
      case .down(let ref, let of, let reason): identity.route.forward(.down(ref, of: Pid(of), reason: reason), to: identity)
      case .describe(let cell): cell.fulfill(nil)
      case .idleTimeout, .io: break
      }
      return .accepted(true)
    case .drainAtExit: return .signals([])
    case .release, .describe: return .text(nil)
    case .peek: return .mailbox(MailboxPeek(messages: [], inBatch: 0, total: 0))
    }
  }
}

private let neverRuns = ProcessRunner.sync { _, _ in .exited }

/// An untyped proxy: what a Pid of another node is.
// `@unchecked Sendable` as ProcessCore is (see there); the field added here is a `let`
// of a Sendable type, and a proxy never runs, so none of the owner-only fields is used.
final class RemoteProcessCore: ProcessCore, @unchecked Sendable {
  let identity: RemoteIdentity
  init(_ identity: RemoteIdentity, node: Node) {
    self.identity = identity
    super.init(
      node: node, parent: nil, home: node.placement(), startsRunnable: false, runner: neverRuns, control: proxyControl(identity),
      id: ProcessCore.remoteBit | node.nextProcessID())
  }
  override var remoteIdentity: RemoteIdentity? { identity }
}

/// A typed proxy: an Address of another node. Messages and requests go through the
/// closures the Distribution target made for `M` (which encode it).
// `@unchecked Sendable` as Process is (see there); the fields added here are `let`s of
// Sendable types (closures marked @Sendable), and a proxy never runs or takes a mailbox
// entry, so none of the owner-only fields is used.
final class RemoteProcess<M: Sendable>: Process<M>, @unchecked Sendable {
  let identity: RemoteIdentity
  let send: @Sendable (M) -> Void
  let request: @Sendable (M, AnyReplyCell) -> Void

  init(
    _ identity: RemoteIdentity, node: Node, send: @escaping @Sendable (M) -> Void,
    request: @escaping @Sendable (M, AnyReplyCell) -> Void
  ) {
    self.identity = identity
    self.send = send
    self.request = request
    super.init(
      node: node, parent: nil, home: node.placement(), startsRunnable: false, runner: neverRuns, control: proxyControl(identity),
      id: ProcessCore.remoteBit | node.nextProcessID())
  }
  override var remoteIdentity: RemoteIdentity? { identity }
  override func deliverRemote(_ message: M) { send(message) }
  override func requestRemote(_ message: M, cell: AnyReplyCell) { request(message, cell) }
}

// MARK: - What the Distribution target may do

@_spi(Distribution)
extension Node {
  /// A Pid for a process of another node.
  public func remotePid(_ identity: RemoteIdentity) -> Pid { Pid(RemoteProcessCore(identity, node: self)) }

  /// An Address for a process of another node; `send` and `request` carry what is sent
  /// to it (a request's reply goes to the cell: `AnyReplyCell` failing or the reply
  /// coming back through `replyCell(_:)`).
  public func remoteAddress<M: Sendable>(
    _ identity: RemoteIdentity, send: @escaping @Sendable (M) -> Void, request: @escaping @Sendable (M, AnyReplyCell) -> Void
  ) -> Address<M> {
    Address(RemoteProcess(identity, node: self, send: send, request: request))
  }

  /// The local process numbered `id`, if it is alive.
  public func localProcess(id: UInt64) -> Pid? {
    guard let core = table.find(id: id), core.isAlive else { return nil }
    return Pid(core)
  }

  /// Applies a signal that came from another node to the local process `target`
  /// (the pids in it are proxies).
  public func deliverRemoteSignal(_ signal: RemoteSignal, to target: Pid) {
    let core = target.core
    switch signal {
    case .link(let from): core.pushSignal(.link(from.core))
    case .unlink(let from): core.pushSignal(.unlink(from.core))
    case .exit(let from, let reason, let linked): core.pushSignal(.exit(from: from.core, reason: reason, linked: linked))
    case .monitor(let ref, let watcher):
      if !core.pushSignal(.monitor(ref, watcher: watcher.core)) {
        watcher.core.pushSignal(.down(ref, of: core, reason: .noproc))
      }
    case .demonitor(let ref): core.pushSignal(.demonitor(ref))
    case .down(let ref, let of, let reason): core.pushSignal(.down(ref, of: of.core, reason: reason))
    }
  }

  /// A reference made on another node, for monitors it set up here.
  public func foreignRef(_ id: UInt64) -> Ref { Ref(id: id) }
}

@_spi(Distribution)
extension ReplyTo {
  /// The cell behind this reply slot (to track a call that went to another node).
  public var replyCell: ReplyCell<R> { cell }
}

@_spi(Distribution)
extension Address {
  /// Delivers a request that came from another node: as a local request, so the
  /// process's exit fails `cell` (and the failure goes back to the caller's node).
  public func deliverRequest(_ message: M, cell: AnyReplyCell) { process.pushRequest(message, cell: cell) }
}

@_spi(Distribution)
extension Pid {
  /// Where this process lives, if on another node.
  public var remoteIdentity: RemoteIdentity? { core.isRemote ? core.remoteIdentity : nil }
}

@_spi(Distribution)
extension AnyReplyCell {
  /// Fails the call: `.noproc` as a local call to a dead process would, any other
  /// reason (`.noconnection`: the callee's node went away) as the callee's exit.
  public func failRemote(_ reason: ExitReason) { fail(reason == .noproc ? .noproc : .serverExited(reason)) }
}

@_spi(Distribution)
extension ReplyCell {
  /// A cell for a request that came from another node: `forward` sends its outcome
  /// back (`remoteOutcome` reads it).
  public static func forwarding(_ forward: @escaping @Sendable (ReplyCell<R>) -> Void) -> ReplyCell<R> {
    let cell = ReplyCell<R>(waiter: nil)
    cell.forward = { any in forward(any as! ReplyCell<R>) }
    return cell
  }

  /// The outcome once settled: the reply, or why there is none.
  public var remoteOutcome: Result<R, CallError>? { outcome }

  /// The ReplyTo of this cell (to put in a request decoded from another node).
  public var replyTo: ReplyTo<R> { ReplyTo(cell: self) }

  /// Answers the call with a reply that came back from another node.
  @discardableResult public func fulfillRemote(_ value: R) -> Bool { fulfill(value) }
}
