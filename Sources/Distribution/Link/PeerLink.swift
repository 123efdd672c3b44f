// The connection to one incarnation of one other node, as an object any thread may send
// through (it is the RemoteRoute of every proxy for that node's processes). Before the
// handshake ends, frames wait in order; once up, a frame on a quiet link goes straight
// to the socket and the frames that follow it are gathered into one buffer, written by
// the link process when it next runs (after the senders' run of code) or by the sender
// that fills 64 KiB — one system call for many small messages, as Erlang's distribution
// port does; once down they are dropped, and everything that depended on the node is
// told `noconnection`.
//
// Owner: `state` is guarded by its lock; the link process (LinkProcess.swift) makes the
// link up and down, any sender appends frames, and the tables of links, monitors and
// calls are kept by whoever sends or receives the signal they record.
@_spi(Distribution) import Actors

final class PeerLink: RemoteRoute, Sendable {
  enum Phase {
    case connecting
    case up(Socket)
    case down(String)
  }

  /// A link between a local process and one of the peer's.
  struct LinkPair: Hashable {
    var local: Pid
    var remote: WirePid
  }

  /// A call sent to the peer, waiting for its reply.
  struct PendingCall {
    let cell: AnyReplyCell
    /// Decodes the reply and answers the cell.
    let answer: (inout WireDecoder) throws -> Void
  }

  /// Who waits for a lookup. (A struct around the closure: a closure returned bare
  /// through `Locked.withLock`'s generic result is re-wrapped in a thunk that, with this
  /// toolchain, is never freed: ~100 B per call.)
  struct LookupWaiter {
    let done: (UInt64?) -> Void
  }

  /// A monitor the peer's process holds on a local one (its ref, translated).
  struct InboundMonitor {
    var peerRef: UInt64
    var watcher: WirePid
    var target: Pid
  }

  struct State {
    var phase: Phase = .connecting
    var queue: [[UInt8]] = []
    var queuedBytes = 0
    var peerIncarnation: UInt64
    var calls: [UInt64: PendingCall] = [:]
    var nextCall: UInt64 = 1
    var links: Set<LinkPair> = []
    /// Local watcher's ref id → (watcher, remote target).
    var outMonitors: [UInt64: (watcher: Pid, target: WirePid)] = [:]
    /// Local ref id → the peer's monitor.
    var inMonitors: [UInt64: InboundMonitor] = [:]
    var inMonitorByPeerRef: [UInt64: UInt64] = [:]
    var lookups: [UInt64: LookupWaiter] = [:]
    /// Frames sent since the last write, in order, for the link process to write.
    var out: [UInt8] = []
    /// The link process has been told to write `out` (and has not yet run).
    var flushRequested = false
    /// The link process (set when the link comes up).
    var process: Address<LinkMessage>?
  }

  let core: DistributionCore
  let peerName: String
  /// The number this node gave the peer (the N of `<N.42.0>`).
  let nodeIndex: Int
  let state: Locked<State>
  /// Frames queued before the handshake ends, at most (then the link is given up); also
  /// the most the socket may hold unwritten once up.
  static let queueLimit = 64 << 20
  /// Gathered frames are written once they reach this many bytes.
  static let batchBytes = 64 << 10

  init(core: DistributionCore, peerName: String, peerIncarnation: UInt64, nodeIndex: Int) {
    self.core = core
    self.peerName = peerName
    self.nodeIndex = nodeIndex
    self.state = Locked(State(peerIncarnation: peerIncarnation))
  }

  var peerIncarnation: UInt64 { state.withLock { $0.peerIncarnation } }

  var isUp: Bool {
    state.withLock { if case .up = $0.phase { return true } else { return false } }
  }

  var isDown: Bool {
    state.withLock { if case .down = $0.phase { return true } else { return false } }
  }

  // MARK: - Sending

  /// Sends a finished frame: now (or with the frames sent in the same run of code),
  /// after the handshake, or never (the link is down). Frames keep their order: they
  /// reach the socket under the lock.
  func sendFrame(_ frame: [UInt8]) {
    var wake: Address<LinkMessage>?
    let overflow: Bool = state.withLock { s in
      switch s.phase {
      case .up(let socket):
        if !s.flushRequested {
          // A quiet link: this frame goes now; the ones that follow it before the link
          // process runs are gathered.
          _ = socket.send(frame)
          s.flushRequested = true
          wake = s.process
        } else {
          if s.out.isEmpty { s.out.reserveCapacity(Self.batchBytes + 256) }
          s.out.append(contentsOf: frame)
          if s.out.count >= Self.batchBytes {
            _ = socket.send(s.out)
            s.out = []
          }
        }
        return false
      case .connecting:
        s.queue.append(frame)
        s.queuedBytes += frame.count
        return s.queuedBytes > Self.queueLimit
      case .down:
        return false
      }
    }
    if overflow { goDown("over \(Self.queueLimit) bytes queued before the link came up") }
    wake?.send(.flush)
  }

  /// Writes the gathered frames (the link process, told by `sendFrame`).
  func flush() {
    state.withLock { s in
      s.flushRequested = false
      guard case .up(let socket) = s.phase, !s.out.isEmpty else { return }
      _ = socket.send(s.out)
      s.out = []
    }
  }

  /// The handshake is done: send what waited, in order, then everything directly.
  /// False if the link is up already (through a connection the other way) or down:
  /// then `socket` is not used. `process` (the link process) writes gathered frames
  /// when told.
  func becomeUp(_ socket: Socket, incarnation: UInt64, process: Address<LinkMessage>) -> Bool {
    state.withLock { s in
      guard case .connecting = s.phase else { return false }
      if s.peerIncarnation != 0 && s.peerIncarnation != incarnation { return false }
      s.process = process
      s.peerIncarnation = incarnation
      for frame in s.queue { _ = socket.send(frame) }
      s.queue = []
      s.queuedBytes = 0
      s.phase = .up(socket)
      return true
    }
  }

  // MARK: - RemoteRoute

  func isReachable(_ target: RemoteIdentity) -> Bool {
    state.withLock { s in
      if case .down = s.phase { return false }
      return s.peerIncarnation == target.incarnation
    }
  }

  func forward(_ signal: RemoteSignal, to target: RemoteIdentity) {
    let remote = WirePid(node: target.nodeName, incarnation: target.incarnation, id: target.id)
    var e = WireEncoder.to(self)
    var deliverLocally: (() -> Void)?
    switch signal {
    case .link(let from):
      let recorded: Bool = state.withLock { s in
        if case .down = s.phase { return false }
        s.links.insert(LinkPair(local: from, remote: remote))
        return true
      }
      if !recorded {
        // Linking to a process of a node that is gone: noconnection comes back.
        let proxy = core.pid(for: remote)
        deliverLocally = { self.core.node.deliverRemoteSignal(.exit(from: proxy, reason: .noconnection, linked: true), to: from) }
        break
      }
      e.beginFrame(.link)
      e.writePid(from)
      e.writeVarint(target.id)
    case .unlink(let from):
      _ = state.withLock { $0.links.remove(LinkPair(local: from, remote: remote)) }
      e.beginFrame(.unlink)
      e.writePid(from)
      e.writeVarint(target.id)
    case .exit(let from, let reason, let linked):
      if linked { _ = state.withLock { $0.links.remove(LinkPair(local: from, remote: remote)) } }
      e.beginFrame(.exit)
      e.writePid(from)
      e.writeVarint(target.id)
      reason.encode(to: &e)
      linked.encode(to: &e)
    case .monitor(let ref, let watcher):
      let recorded: Bool = state.withLock { s in
        if case .down = s.phase { return false }
        s.outMonitors[ref.id] = (watcher, remote)
        return true
      }
      if !recorded {
        let proxy = core.pid(for: remote)
        deliverLocally = { self.core.node.deliverRemoteSignal(.down(ref, of: proxy, reason: .noconnection), to: watcher) }
        break
      }
      e.beginFrame(.monitor)
      e.writeVarint(ref.id)
      e.writePid(watcher)
      e.writeVarint(target.id)
    case .demonitor(let ref):
      _ = state.withLock { $0.outMonitors.removeValue(forKey: ref.id) }
      e.beginFrame(.demonitor)
      e.writeVarint(ref.id)
      e.writeVarint(target.id)
    case .down(let ref, let of, let reason):
      // A local process the peer's `target` monitored has ended: translate the ref back.
      guard
        let inbound = state.withLock({ s -> InboundMonitor? in
          guard let m = s.inMonitors.removeValue(forKey: ref.id) else { return nil }
          s.inMonitorByPeerRef[m.peerRef] = nil
          return m
        })
      else { return }
      e.beginFrame(.down)
      e.writeVarint(inbound.peerRef)
      e.writePid(of)
      e.writeVarint(target.id)
      reason.encode(to: &e)
    }
    if let deliverLocally { return deliverLocally() }
    sendFrame(e.finishFrame())
  }

  // MARK: - Calls

  /// Keeps `cell` until the peer answers (or the link goes down); returns its number.
  func registerCall<R: Transportable>(_ cell: ReplyCell<R>) -> UInt64 {
    state.withLock { s in
      let id = s.nextCall
      s.nextCall += 1
      s.calls[id] = PendingCall(cell: cell) { d in cell.fulfillRemote(try R(from: &d)) }
      if case .down = s.phase { cell.failRemote(.noconnection) }
      return id
    }
  }

  /// Sends the outcome of a call the peer made (from a forwarding reply cell).
  func sendReply<R: Transportable>(_ callID: UInt64, _ outcome: Result<R, CallError>?) {
    var e = WireEncoder.to(self)
    switch outcome {
    case .success(let value):
      e.beginFrame(.reply)
      e.writeVarint(callID)
      value.encode(to: &e)
    case .failure(let error):
      e.beginFrame(.callFailed)
      e.writeVarint(callID)
      let reason: ExitReason
      switch error {
      case .exited(let r): reason = r
      case .noproc: reason = .noproc
      default: reason = .custom("\(error)")
      }
      reason.encode(to: &e)
    case nil: return
    }
    sendFrame(e.finishFrame())
  }

  func takeCall(_ id: UInt64) -> PendingCall? { state.withLock { $0.calls.removeValue(forKey: id) } }

  // MARK: - Lookups

  func lookup(_ name: String, _ done: @escaping (UInt64?) -> Void) {
    let id: UInt64? = state.withLock { s in
      if case .down = s.phase { return nil }
      let id = s.nextCall
      s.nextCall += 1
      s.lookups[id] = LookupWaiter(done: done)
      return id
    }
    guard let id else { return done(nil) }
    var e = WireEncoder.to(self)
    e.beginFrame(.lookup)
    e.writeVarint(id)
    name.encode(to: &e)
    sendFrame(e.finishFrame())
  }

  func finishLookup(_ id: UInt64, _ found: UInt64?) {
    state.withLock { $0.lookups.removeValue(forKey: id) }?.done(found)
  }

  // MARK: - Signals from the peer (called by the link process)

  func recordInboundLink(local: Pid, remote: WirePid) { _ = state.withLock { $0.links.insert(LinkPair(local: local, remote: remote)) } }
  func forgetLink(local: Pid, remote: WirePid) { _ = state.withLock { $0.links.remove(LinkPair(local: local, remote: remote)) } }

  /// The peer's `watcher` monitors local `target` under its `peerRef`: a local ref
  /// stands for it here.
  func recordInboundMonitor(peerRef: UInt64, watcher: WirePid, target: Pid) -> Ref {
    let ref = core.node.makeRef()
    state.withLock { s in
      s.inMonitors[ref.id] = InboundMonitor(peerRef: peerRef, watcher: watcher, target: target)
      s.inMonitorByPeerRef[peerRef] = ref.id
    }
    return ref
  }

  func takeInboundMonitor(peerRef: UInt64) -> (Ref, Pid)? {
    state.withLock { s in
      guard let local = s.inMonitorByPeerRef.removeValue(forKey: peerRef), let m = s.inMonitors.removeValue(forKey: local) else {
        return nil
      }
      return (core.node.foreignRef(local), m.target)
    }
  }

  func takeOutMonitor(_ refID: UInt64) -> Pid? { state.withLock { $0.outMonitors.removeValue(forKey: refID)?.watcher } }

  // MARK: - Going down

  /// The link is gone (closed, refused, the node left, a bad frame): drop what waits,
  /// fail calls, and tell every local process linked to or monitoring the peer's
  /// processes `noconnection`. Idempotent.
  func goDown(_ reason: String) {
    var wasUp = false
    let s: State? = state.withLock { s in
      if case .down = s.phase { return nil }
      if case .up(let socket) = s.phase {
        socket.close()
        wasUp = true
      }
      let taken = s
      s = State(peerIncarnation: s.peerIncarnation)
      s.phase = .down(reason)
      return taken
    }
    guard let s else { return }
    let node = core.node
    for call in s.calls.values { call.cell.failRemote(.noconnection) }
    for waiter in s.lookups.values { waiter.done(nil) }
    for pair in s.links {
      node.deliverRemoteSignal(.exit(from: core.pid(for: pair.remote, via: self), reason: .noconnection, linked: true), to: pair.local)
    }
    for (refID, m) in s.outMonitors {
      node.deliverRemoteSignal(.down(node.foreignRef(refID), of: core.pid(for: m.target, via: self), reason: .noconnection), to: m.watcher)
    }
    for (refID, m) in s.inMonitors { node.deliverRemoteSignal(.demonitor(node.foreignRef(refID)), to: m.target) }
    core.linkWentDown(self, reason: reason, wasUp: wasUp)
  }
}
