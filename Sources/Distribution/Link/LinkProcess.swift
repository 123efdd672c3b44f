// The process that owns a link's socket: it dials (or was handed an accepted socket),
// runs the handshake — each side proves it knows the cluster secret with an HMAC of the
// other's random challenge, so the secret never crosses; an incarnation the membership
// declared down is refused — then reads frames and applies
// them: messages to exported processes, replies to calls, links, monitors, exits. A
// frame it cannot read closes this link only.
//
// Owner: the process owns the socket; the PeerLink it serves is shared (see there).
@_spi(Distribution) import Actors

/// What a link process is sent besides its socket's events.
enum LinkMessage: Sendable {
  /// Senders left frames in the PeerLink's buffer: write them.
  case flush
}

enum LinkProcess {
  static let protocolVersion: UInt64 = 1

  enum Side {
    /// We dial `address`, expecting `peer` (incarnation 0: any).
    case dialing(peer: String, incarnation: UInt64, address: String)
    /// A connection we accepted.
    case accepted(Socket)
  }

  /// Runs a link to its end. `settled` hears once: up, or why not.
  static func run(
    _ ctx: Context<LinkMessage>, core: DistributionCore, side: Side, settled: (@Sendable (Result<Void, DistributionError>) -> Void)? = nil
  ) async {
    var link: PeerLink?
    var reported = false
    func report(_ r: Result<Void, DistributionError>) {
      if !reported { settled?(r) }
      reported = true
    }
    /// Whether this process's socket serves the link (else another connection does).
    var mine = false
    do {
      let socket: Socket
      switch side {
      case .dialing(let peer, let incarnation, let address):
        let (l, isNew) = core.linkFor(peer: peer, incarnation: incarnation)
        if !isNew && l.isUp { return report(.success(())) }
        link = l
        ctx.label = "dist link \(peer) (dialing)"
        let (host, port) = try split(address)
        socket = try await ctx.connect(tcp: host, port: port, timeout: .seconds(3))
        try prepare(socket)
        let incarnation = try await dial(ctx, socket, core: core, peer: peer, expected: incarnation)
        mine = l.becomeUp(socket, incarnation: incarnation, process: ctx.address)
      case .accepted(let s):
        socket = s
        try prepare(socket)
        let (peer, incarnation) = try await accept(ctx, socket, core: core)
        let (l, _) = core.linkFor(peer: peer, incarnation: incarnation)
        link = l
        mine = l.becomeUp(socket, incarnation: incarnation, process: ctx.address)
      }
      guard let link else { return }
      guard mine else {
        // Connected the other way meanwhile: that connection serves the link.
        socket.close()
        return report(link.isUp ? .success(()) : .failure(.noconnection(link.peerName)))
      }
      ctx.label = "dist link \(link.peerName)"
      core.linkCameUp(link)
      report(.success(()))
      try await readLoop(ctx, socket, link: link, core: core)
      link.goDown("\(link.peerName) closed the connection")
    } catch let exit as ProcessExit {
      if mine || link?.isUp == false { link?.goDown("the link process ended (\(exit.reason))") }
      report(.failure(.noconnection("\(link?.peerName ?? "?") (\(exit.reason))")))
    } catch {
      // A handshake that failed while another connection serves the link leaves it be.
      if mine || link?.isUp == false { link?.goDown("\(error)") }
      let peer: String
      if case .dialing(let p, _, _) = side { peer = p } else { peer = link?.peerName ?? "?" }
      report(.failure(error as? DistributionError ?? .noconnection("\(peer): \(error)")))
    }
  }

  /// Frames in, and room for bursts out: a peer that stops reading for 64 MiB worth of
  /// frames loses its link (bounded memory; Erlang's busy limit blocks instead).
  private static func prepare(_ socket: Socket) throws {
    try socket.setFraming(.lengthPrefixed(headerBytes: 4, maxLength: maxFrameLength))
    socket.setWatermarks(high: linkBufferLimit, policy: .close)
  }

  static let linkBufferLimit = 64 << 20

  /// A node address's host and port ("host:port", as a member announces it).
  static func split(_ address: String) throws -> (String, Int) {
    guard let colon = address.lastIndex(of: ":"), let port = Int(address[address.index(after: colon)...]) else {
      throw DistributionError.invalid("a node address \"\(address)\" (expected host:port)")
    }
    return (String(address[..<colon]), port)
  }

  // MARK: - Handshake

  private static func nonce() -> [UInt8] {
    var g = SystemRandomNumberGenerator()
    return (0..<16).map { _ in UInt8.random(in: 0...255, using: &g) }
  }

  private static func readFrame(_ ctx: Context<LinkMessage>, _ socket: Socket, _ kind: FrameKind) async throws -> WireDecoder {
    guard let bytes = try await ctx.read(socket, timeout: .seconds(5)) else {
      throw DistributionError.refused("the peer closed the connection in the handshake")
    }
    guard bytes.first == kind.rawValue else {
      throw DistributionError.refused("the peer answered the handshake with frame \(bytes.first ?? 0)")
    }
    return WireDecoder(bytes, offset: 1, context: nil)
  }

  private static func send(_ socket: Socket, _ kind: FrameKind, _ write: (inout WireEncoder) -> Void) {
    var e = WireEncoder(context: nil)
    e.beginFrame(kind)
    write(&e)
    _ = socket.send(e.finishFrame())
  }

  static func proof(_ secret: [UInt8], _ label: String, _ a: [UInt8], _ b: [UInt8], _ dialer: String, _ acceptor: String) -> [UInt8] {
    HMAC.sha1(key: secret, message: Array(label.utf8) + a + b + Array(dialer.utf8) + [0] + Array(acceptor.utf8))
  }

  /// The dialing side; returns the peer's incarnation.
  private static func dial(_ ctx: Context<LinkMessage>, _ socket: Socket, core: DistributionCore, peer: String, expected: UInt64)
    async throws
    -> UInt64
  {
    let mine = nonce()
    send(socket, .hello) { e in
      e.writeVarint(protocolVersion)
      core.cluster.encode(to: &e)
      core.name.encode(to: &e)
      e.writeVarint(core.incarnation)
      e.writeRaw(mine)
    }
    var d = try await readFrame(ctx, socket, .challenge)
    let name = try String(from: &d)
    let incarnation = try d.readVarint()
    let theirs = try d.readRaw()
    let mac = try d.readRaw()
    guard name == peer else { throw DistributionError.refused("dialed \(peer) but \(name) answered") }
    guard expected == 0 || incarnation == expected else {
      throw DistributionError.refused("\(peer) is at incarnation \(incarnation), not \(expected)")
    }
    guard HMAC.equal(mac, proof(core.secret, "otter-b", mine, theirs, core.name, peer)) else {
      throw DistributionError.refused("\(peer) does not know the cluster secret")
    }
    send(socket, .proof) { e in e.writeRaw(proof(core.secret, "otter-a", theirs, mine, core.name, peer)) }
    _ = try await readFrame(ctx, socket, .accepted)
    return incarnation
  }

  /// The accepting side; returns the peer's name and incarnation.
  private static func accept(_ ctx: Context<LinkMessage>, _ socket: Socket, core: DistributionCore) async throws -> (String, UInt64) {
    var d = try await readFrame(ctx, socket, .hello)
    let version = try d.readVarint()
    guard version == protocolVersion else { throw DistributionError.refused("protocol version \(version), expected \(protocolVersion)") }
    let cluster = try String(from: &d)
    guard cluster == core.cluster else { throw DistributionError.refused("a node of cluster \(cluster), not \(core.cluster)") }
    let peer = try String(from: &d)
    let incarnation = try d.readVarint()
    let theirs = try d.readRaw()
    guard !peer.isEmpty, peer != core.name, theirs.count == 16 else { throw DistributionError.refused("a bad hello") }
    guard !core.isDeclaredDown(peer, incarnation: incarnation) else {
      throw DistributionError.refused("\(peer) is down as incarnation \(incarnation) (it must rejoin the cluster)")
    }
    let mine = nonce()
    send(socket, .challenge) { e in
      core.name.encode(to: &e)
      e.writeVarint(core.incarnation)
      e.writeRaw(mine)
      e.writeRaw(proof(core.secret, "otter-b", theirs, mine, peer, core.name))
    }
    var p = try await readFrame(ctx, socket, .proof)
    guard HMAC.equal(try p.readRaw(), proof(core.secret, "otter-a", mine, theirs, peer, core.name)) else {
      throw DistributionError.refused("\(peer) does not know the cluster secret")
    }
    send(socket, .accepted) { _ in }
    return (peer, incarnation)
  }

  // MARK: - Frames

  private static func readLoop(_ ctx: Context<LinkMessage>, _ socket: Socket, link: PeerLink, core: DistributionCore) async throws {
    enum Next {
      case io(SocketEvent)
      case flush
    }
    var armed = false
    while true {
      if !armed {
        try ctx.activate(socket, .once)
        armed = true
      }
      let next = try await ctx.receive { message -> Next? in
        switch message {
        case .io(let s, let event) where s === socket: return .io(event)
        case .message(.flush): return .flush
        default: return nil
        }
      }
      guard case .io(let event)? = next else {
        if case .flush? = next { link.flush() }
        continue
      }
      armed = false
      switch event {
      case .data(let frame):
        do {
          try apply(frame, link: link, core: core)
        } catch {
          throw DistributionError.refused("a malformed frame from \(link.peerName): \(error)")
        }
        // More frames of the same read are already in the mailbox.
        while let more = try await ctx.receive(
          timeout: .zero,
          { message -> [UInt8]? in
            if case .io(let s, .data(let b)) = message, s === socket { return b }
            return nil
          })
        {
          do {
            try apply(more, link: link, core: core)
          } catch {
            throw DistributionError.refused("a malformed frame from \(link.peerName): \(error)")
          }
        }
      case .closed: return
      case .error(let e): throw e
      case .frameTooLong(let n): throw DistributionError.refused("a frame of \(n) bytes from \(link.peerName)")
      default: continue
      }
    }
  }

  static func apply(_ frame: [UInt8], link: PeerLink, core: DistributionCore) throws {
    guard let first = frame.first, let kind = FrameKind(rawValue: first) else { throw WireError.invalid("frame kind \(frame.first ?? 0)") }
    let context = WireContext(core: core, link: link)
    var d = WireDecoder(frame, offset: 1, context: context)
    let node = core.node
    switch kind {
    case .send:
      let id = try d.readVarint()
      guard let export = core.exported(id) else { return }  // ended, or never exported: dropped
      try deliver(export, &d)
    case .request:
      let id = try d.readVarint()
      let callID = try d.readVarint()
      guard let export = core.exported(id) else {
        // No such process (any more): the caller hears noproc now, not at its timeout.
        var e = WireEncoder.to(link)
        e.beginFrame(.callFailed)
        e.writeVarint(callID)
        ExitReason.noproc.encode(to: &e)
        return link.sendFrame(e.finishFrame())
      }
      try deliver(export, &d)
    case .sendName:
      let name = try String(from: &d)
      guard let export = core.registered(name) else { return }
      try deliver(export, &d)
    case .reply:
      let id = try d.readVarint()
      guard let call = link.takeCall(id) else { return }
      try call.answer(&d)
    case .callFailed:
      let id = try d.readVarint()
      let reason = try ExitReason(from: &d)
      link.takeCall(id)?.cell.failRemote(reason)
    case .lookup:
      let id = try d.readVarint()
      let name = try String(from: &d)
      var e = WireEncoder.to(link)
      e.beginFrame(.lookupReply)
      e.writeVarint(id)
      let found = core.registered(name).map(\.pid.id)
      found.encode(to: &e)
      link.sendFrame(e.finishFrame())
    case .lookupReply:
      let id = try d.readVarint()
      link.finishLookup(id, try UInt64?(from: &d))
    case .link:
      let from = try d.readWirePid()
      let to = try d.readVarint()
      let proxy = core.pid(for: from, via: link)
      guard let target = node.localProcess(id: to), core.incarnation == core.incarnation else {
        // Linking to a process that is gone: noproc goes back.
        return sendExit(link, from: to, to: from, reason: .noproc)
      }
      link.recordInboundLink(local: target, remote: from)
      node.deliverRemoteSignal(.link(from: proxy), to: target)
    case .unlink:
      let from = try d.readWirePid()
      let to = try d.readVarint()
      guard let target = node.localProcess(id: to) else { return }
      link.forgetLink(local: target, remote: from)
      node.deliverRemoteSignal(.unlink(from: core.pid(for: from, via: link)), to: target)
    case .exit:
      let from = try d.readWirePid()
      let to = try d.readVarint()
      let reason = try ExitReason(from: &d)
      let linked = try Bool(from: &d)
      guard let target = node.localProcess(id: to) else { return }
      if linked { link.forgetLink(local: target, remote: from) }
      node.deliverRemoteSignal(.exit(from: core.pid(for: from, via: link), reason: reason, linked: linked), to: target)
    case .monitor:
      let peerRef = try d.readVarint()
      let watcher = try d.readWirePid()
      let to = try d.readVarint()
      guard let target = node.localProcess(id: to) else {
        var e = WireEncoder.to(link)
        e.beginFrame(.down)
        e.writeVarint(peerRef)
        e.writePid(core.pid(for: WirePid(node: core.name, incarnation: core.incarnation, id: to)))
        e.writeVarint(watcher.id)
        ExitReason.noproc.encode(to: &e)
        return link.sendFrame(e.finishFrame())
      }
      let ref = link.recordInboundMonitor(peerRef: peerRef, watcher: watcher, target: target)
      node.deliverRemoteSignal(.monitor(ref, watcher: core.pid(for: watcher, via: link)), to: target)
    case .demonitor:
      let peerRef = try d.readVarint()
      _ = try d.readVarint()
      if let (ref, target) = link.takeInboundMonitor(peerRef: peerRef) { node.deliverRemoteSignal(.demonitor(ref), to: target) }
    case .down:
      let refID = try d.readVarint()
      let of = try d.readWirePid()
      _ = try d.readVarint()
      let reason = try ExitReason(from: &d)
      guard let watcher = link.takeOutMonitor(refID) else { return }
      node.deliverRemoteSignal(.down(node.foreignRef(refID), of: core.pid(for: of, via: link), reason: reason), to: watcher)
    case .tick: return
    case .hello, .challenge, .proof, .accepted: throw WireError.invalid("a handshake frame after the handshake")
    }
  }

  /// A message the sender could not encode whole is dropped; the link stays.
  private static func deliver(_ export: DistributionCore.Export, _ d: inout WireDecoder) throws {
    do {
      try export.deliver(&d)
    } catch WireError.dropped {
      return
    }
  }

  private static func sendExit(_ link: PeerLink, from localID: UInt64, to remote: WirePid, reason: ExitReason) {
    var e = WireEncoder.to(link)
    e.beginFrame(.exit)
    e.writePid(link.core.pid(for: WirePid(node: link.core.name, incarnation: link.core.incarnation, id: localID)))
    e.writeVarint(remote.id)
    reason.encode(to: &e)
    true.encode(to: &e)
    link.sendFrame(e.finishFrame())
  }
}
