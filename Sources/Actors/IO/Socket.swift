// A socket owned by a process. The scheduler whose epoll the socket is registered with
// reads it when it is readable and the owner has asked for data (active mode), cuts the
// bytes into frames and delivers them as `.io(socket, .data)` system messages; only the
// owner asks for data. Anyone may write: `send` writes at once until the kernel says
// EAGAIN, queues the rest and waits for EPOLLOUT (writev), with a high watermark and a
// policy for peers that do not keep up. The owner's exit closes the socket.
//
// Concurrency: every mutable field is guarded by `lock`; events are delivered after the
// lock is released. The fd is registered with EPOLLONESHOT: after each event the kernel
// disarms it, and the socket re-arms exactly the interest it still has.
import COtterSys
import Glibc
import Synchronization

/// A TCP or Unix stream socket, or a listener. Owned by one process at a time.
///
/// `@unchecked Sendable`: all mutable state is behind `lock`; the fd and id never change.
public final class Socket: Hashable, CustomStringConvertible, @unchecked Sendable {
  public enum Kind: String, Sendable {
    case tcp, unix, tcpListener, unixListener
    /// The read end of a pipe (an OS child's stdout, say): read like a stream socket.
    case pipe
    /// A Unix datagram socket: each read is one datagram, and an empty one is not the end.
    case datagram
    /// A pidfd: it becomes readable when its OS process ends, which is told to the owner
    /// as `.closed` (nothing is read from it).
    case processDescriptor
    var isListener: Bool { self == .tcpListener || self == .unixListener }
  }

  // Fields in an order that packs them (216 bytes, a 224-byte malloc chunk, 32 of them the
  // write queue's inline chunk): every connection keeps one.

  /// Unique within the node.
  public let id: UInt64
  unowned let node: Node

  // lock
  @exclusivity(unchecked) private(set) var owner: ProcessCore
  @exclusivity(unchecked) private var poller: Poller?
  @exclusivity(unchecked) private var queue = WriteQueue()
  /// Processes waiting in `write` for the queue to go under the low watermark.
  @exclusivity(unchecked) private var writeWaiters: [ProcessCore] = []
  @exclusivity(unchecked) private var framer = Framer(.raw)
  let fd: Int32
  let lock = Lock()
  @exclusivity(unchecked) private var armed: UInt32 = 0
  /// Write queue limits, in bytes (`setWatermarks` clamps them to Int32).
  @exclusivity(unchecked) private var highWatermark: Int32 = 1 << 20
  @exclusivity(unchecked) private var lowWatermark: Int32 = 1 << 18
  public let kind: Kind
  @exclusivity(unchecked) private var mode: ActiveMode = .passive
  @exclusivity(unchecked) private var policy: OverflowPolicy = .close
  @exclusivity(unchecked) private var isClosed = false
  /// Whether `armed` was set with EPOLLONESHOT (the kernel disarms the fd after an
  /// event) or level-triggered (stays armed: `.always` mode, no re-arming per read).
  @exclusivity(unchecked) private var armedOneShot = true
  @exclusivity(unchecked) private var closeWhenFlushed = false
  @exclusivity(unchecked) private var connecting = false
  @exclusivity(unchecked) private var peerClosed = false
  /// No I/O with the kernel: the connection is being handed to another OS process
  /// (SocketFreeze.swift); sends are queued, nothing is read or written.
  @exclusivity(unchecked) private var frozen = false
  /// The queue holds sends kept back for a coalesced write (`SendCoalescing`); a
  /// scheduler will call `flushHeld`.
  @exclusivity(unchecked) private var held = false
  /// `SendCoalescing`: -1 off, 0 end of slice, else the window in µs.
  @exclusivity(unchecked) private var coalesceMicros: Int32 = -1
  /// When the socket was last written, in µs of the monotonic clock (wrapping; used by
  /// windowed coalescing only).
  @exclusivity(unchecked) private var lastWriteMicros: UInt32 = 0
  /// Index in the owner's `ownedSockets`, -1 if none. Written under the owner's lock
  /// (atomic because a transfer moves it from one owner's lock to another's). 32 bits,
  /// to fill the gap before `unixPath`.
  let ownerSlot = Atomic<Int32>(-1)
  /// What only some sockets carry, in one field so that every socket stays 216 bytes:
  /// a Unix listener's path, a stream's security layer (set before any byte moves), or
  /// the descriptors a Unix stream has received.
  @exclusivity(unchecked) private var extra: Extra?

  /// Bytes read and written, and bytes waiting in the write queue (readable anywhere).
  let bytesIn = Atomic<UInt64>(0)
  let bytesOut = Atomic<UInt64>(0)
  let queuedBytes = Atomic<Int>(0)
  let dropped = Atomic<UInt64>(0)

  /// What a socket carries besides the common fields (two class references: the enum
  /// and its optional fit in one word).
  private enum Extra {
    case unixPath(UnixListenerPath)
    case security(SocketSecurity)
    /// A Unix socket that carries descriptors: what has arrived and is not claimed yet
    /// (DescriptorPassing.swift).
    case passing(DescriptorInbox)
  }

  /// What a descriptor-carrying socket has received and not handed out (nil for every
  /// other socket). Lock held.
  var passing: DescriptorInbox? {
    get {
      if case .passing(let inbox)? = extra { return inbox }
      return nil
    }
    set { extra = newValue.map(Extra.passing) }
  }

  /// A Unix listener's path, removed when it closes (nil for every other socket). Lock
  /// held.
  var unixPath: UnixListenerPath? {
    get {
      if case .unixPath(let path)? = extra { return path }
      return nil
    }
    set { extra = newValue.map(Extra.unixPath) }
  }

  /// Bytes in the write queue: `queuedBytes`, written only under `lock` (so a read
  /// under it is exact), kept in one field rather than a locked copy and an atomic one.
  private var queued: Int {
    get { queuedBytes.load(ordering: .relaxed) }
    set { queuedBytes.store(newValue, ordering: .relaxed) }
  }

  init(fd: Int32, kind: Kind, owner: ProcessCore, node: Node, connecting: Bool = false) {
    self.id = node.nextSocketID()
    self.fd = fd
    self.kind = kind
    self.owner = owner
    self.node = node
    self.connecting = connecting
    owner.adopt(self)
  }

  deinit {
    if !isClosed { Glibc.close(fd) }
  }

  // MARK: - Identity

  public static func == (a: Socket, b: Socket) -> Bool { a === b }
  public func hash(into h: inout Hasher) { h.combine(id) }
  public var description: String { "#Socket<\(id) \(kind.rawValue) \(peerAddress ?? localAddress ?? "?")>" }

  /// "ip:port" or the path of this end.
  public var localAddress: String? { address(otter_local_address) }
  /// "ip:port" of the other end (nil for listeners and Unix peers without a path).
  public var peerAddress: String? { kind.isListener ? nil : address(otter_peer_address) }

  private func address(_ f: (Int32, UnsafeMutablePointer<CChar>, Int32) -> Int32) -> String? {
    var buf = [CChar](repeating: 0, count: 128)
    let ok = lock.withLock { isClosed ? -1 : f(fd, &buf, 128) }
    guard ok == 0 else { return nil }
    return String(decoding: buf.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
  }

  /// Who is at the other end of a Unix socket (SO_PEERCRED), as they were when they
  /// connected; nil for TCP sockets, listeners and closed sockets.
  public var peerCredentials: PeerCredentials? {
    guard kind == .unix else { return nil }
    var pid: Int32 = 0
    var uid: UInt32 = 0
    var gid: UInt32 = 0
    let ok = lock.withLock { isClosed ? -1 : otter_peer_credentials(fd, &pid, &uid, &gid) }
    guard ok == 0 else { return nil }
    return PeerCredentials(processID: pid, userID: uid, groupID: gid)
  }

  /// The process that owns the socket now.
  public var ownerPid: Pid { Pid(lock.withLock { owner }) }
  public var isOpen: Bool { lock.withLock { !isClosed } }
  /// Bytes waiting in the write queue.
  public var pendingBytes: Int { queuedBytes.load(ordering: .relaxed) }
  /// What the socket keeps allocated between reads and writes: whether its write queue
  /// holds an array for chunks behind the first, and the capacity of the framer's
  /// unfinished frame. Both are given back once emptied (tests of an idle socket).
  var keptStorage: (writeQueue: Bool, framerBytes: Int) { lock.withLock { (queue.hasStorage, framer.partialCapacity) } }

  // MARK: - Configuration

  /// Sets how incoming bytes are cut into frames. Throws `.invalidArgument` for a
  /// framing that cannot work (a maximum length under 1, a header not of 1 to 4 bytes).
  public func setFraming(_ framing: Framing) throws(SocketError) {
    switch framing {
    case .raw: break
    case .line(let max) where max < 1:
      throw .invalidArgument("line framing needs a maximum length of at least 1, not \(max)")
    case .lengthPrefixed(let header, _) where !(1...4).contains(header):
      throw .invalidArgument("length headers are 1 to 4 bytes, not \(header)")
    case .lengthPrefixed(_, let max) where max < 0:
      throw .invalidArgument("negative maximum frame length \(max)")
    default: break
    }
    lock.withLock { framer = Framer(framing) }
  }

  /// Sets the write queue's limits and what happens past the high one.
  public func setWatermarks(high: Int, low: Int? = nil, policy: OverflowPolicy) {
    lock.withLock {
      highWatermark = Int32(clamping: max(1, high))
      lowWatermark = min(highWatermark, Int32(clamping: max(0, low ?? high / 4)))
      self.policy = policy
    }
  }

  /// Sets when `send` writes to the kernel: at once (`.off`, the default), when the
  /// sending process's current run of code ends, or at most once per window
  /// (`SendCoalescing`). Held bytes count against the high watermark like queued ones.
  /// Sends from threads that are not a scheduler's are always written at once.
  public func setSendCoalescing(_ coalescing: SendCoalescing) {
    let micros: Int32
    switch coalescing {
    case .off: micros = -1
    case .endOfSlice: micros = 0
    case .window(let d):
      let us = d.components.seconds * 1_000_000 + d.components.attoseconds / 1_000_000_000_000
      micros = Int32(min(max(us, 1), 1_000_000))
    }
    lock.withLock { coalesceMicros = micros }
  }

  /// Sets the kernel's send and receive buffer sizes (SO_SNDBUF / SO_RCVBUF; the kernel
  /// doubles what it is given). Smaller buffers make backpressure reach the write queue
  /// sooner.
  public func setKernelBuffers(send: Int? = nil, receive: Int? = nil) {
    lock.withLock {
      guard !isClosed else { return }
      _ = otter_socket_buffers(fd, Int32(send ?? 0), Int32(receive ?? 0))
    }
  }

  /// Secures the stream with `layer` (TLS: a `TLSSession`): from now on what `send` is
  /// given is sealed and what is read is unsealed before it is framed, by the socket
  /// itself on the threads doing the I/O. A client layer starts its handshake once the
  /// socket is connected (now, if it is); a server layer waits for the peer. The
  /// handshake advances as the socket is read, so the owner activates it as usual, and
  /// sends made before the handshake completes wait in the layer. Throws
  /// `.invalidArgument` for a listener, a socket that has already read or sent bytes,
  /// or one secured already.
  public func secure(with layer: SocketSecurity) throws(SocketError) {
    var out: [SocketEvent] = []
    let target: ProcessCore? = try lock.withLock { () throws(SocketError) -> ProcessCore? in
      guard !isClosed else { throw .closed }
      guard !kind.isListener else { throw .invalidArgument("a listener cannot be secured (its connections can)") }
      guard extra == nil else { throw .invalidArgument("the socket is secured already") }
      guard bytesIn.load(ordering: .relaxed) == 0, bytesOut.load(ordering: .relaxed) == 0, queue.isEmpty else {
        throw .invalidArgument("a socket is secured before any byte is read or sent")
      }
      extra = .security(layer)
      if !connecting { startLocked(layer, &out) }
      return out.isEmpty ? nil : owner
    }
    if let target { tell(target, out) }
  }

  /// The stream's security layer, if it has one (`secure(with:)`).
  public var security: SocketSecurity? {
    lock.withLock {
      if case .security(let layer)? = extra { return layer }
      return nil
    }
  }

  /// Starts the layer's handshake: its first words, if it has any, go out now. Lock held.
  private func startLocked(_ layer: SocketSecurity, _ out: inout [SocketEvent]) {
    var wire: [UInt8] = []
    if case .failed(let reason) = layer.start(wire: &wire) {
      out.append(.error(.security(reason)))
      closeLocked()
      return
    }
    writeWireLocked(wire, &out)
  }

  /// Lock held.
  var connectingFlag: Bool { connecting }

  /// Lock held: registers for the connect's completion.
  func armForConnect() throws(SocketError) { try updateInterest() }

  // MARK: - Ownership

  /// Called by the owner: sets the active mode (registers with the calling scheduler's
  /// epoll on first use).
  func activate(_ newMode: ActiveMode, by caller: ProcessCore) throws(SocketError) {
    try lock.withLock { () throws(SocketError) in
      guard owner === caller else { throw .notOwner }
      guard !isClosed else { throw .closed }
      mode = newMode
      try updateInterest()
    }
  }

  /// Hands the socket to another process (Erlang's controlling_process). Events already
  /// delivered stay with the old owner.
  func transfer(to newOwner: ProcessCore, by caller: ProcessCore) throws(SocketError) {
    let old: ProcessCore = try lock.withLock { () throws(SocketError) -> ProcessCore in
      guard owner === caller else { throw .notOwner }
      guard !isClosed else { throw .closed }
      let o = owner
      owner = newOwner
      mode = .passive
      try updateInterest()
      return o
    }
    old.disown(self)
    if newOwner.adopt(self) {
      newOwner.pushSignal(.io(self, .owned), urgent: false)
      if !isOpen { newOwner.disown(self) }  // closed meanwhile by another thread
    } else {
      close()
    }
  }

  // MARK: - Epoll interest (lock held)

  private var wantedInterest: UInt32 {
    if frozen { return 0 }
    var events: UInt32 = 0
    if mode != .passive && !peerClosed { events |= UInt32(OTTER_EPOLLIN) | UInt32(OTTER_EPOLLRDHUP) }
    if (!queue.isEmpty && !held) || connecting || passing?.wantsWritable == true { events |= UInt32(OTTER_EPOLLOUT) }
    return events
  }

  /// Arms the fd for what is wanted now (registering it first if needed). `.always`
  /// reading stays armed (level-triggered) so a busy connection costs no epoll_ctl per
  /// read; everything else is one-shot and re-armed only while still wanted. Nothing
  /// wanted is armed as one-shot too: the kernel reports hang-ups and errors even for
  /// an empty interest set, and must do so at most once.
  private func updateInterest() throws(SocketError) {
    let wanted = wantedInterest
    let oneShot = mode != .always || wanted == 0
    if isClosed || (wanted == armed && (wanted == 0 || oneShot == armedOneShot)) { return }
    let flags: UInt32 = wanted | (oneShot ? UInt32(bitPattern: Int32(OTTER_EPOLLONESHOT)) : 0)
    if let poller {
      do { try poller.modify(self, events: flags) } catch { throw .system("epoll_ctl", errno: error.errno) }
    } else {
      guard wanted != 0 else { return }
      let target = node.pollerPlacement()
      do throws(SystemError) {
        try target.poller.register(self, events: flags)
      } catch {
        throw .system("epoll_ctl", errno: error.errno)
      }
      poller = target.poller
      target.ioSourceCount.add(1, ordering: .relaxed)
    }
    armed = wanted
    armedOneShot = oneShot
  }

  // MARK: - Readiness (the polling scheduler's thread)

  func ready(events: UInt32) {
    var out: [SocketEvent] = []
    var target: ProcessCore?
    lock.withLock {
      if armedOneShot { armed = 0 }  // the kernel disarmed the fd
      if isClosed || frozen { return }
      target = owner
      let error = events & UInt32(OTTER_EPOLLERR) != 0
      if connecting && (events & UInt32(OTTER_EPOLLOUT) != 0 || error) {
        connecting = false
        let e = otter_socket_error(fd)
        if e == 0 {
          out.append(.connected)
          if case .security(let layer)? = extra {
            startLocked(layer, &out)
            if isClosed { return }
          }
        } else {
          out.append(.error(.system("connect", errno: e)))
          closeLocked()
          return
        }
      }
      if events & UInt32(OTTER_EPOLLOUT) != 0 && !queue.isEmpty {
        flushLocked(&out)
        if isClosed { return }
      } else if events & UInt32(OTTER_EPOLLOUT) != 0, let passing, passing.wantsWritable {
        // A message with descriptors waits for the kernel to take bytes again.
        passing.wantsWritable = false
        wakeWritersLocked()
      }
      if events & (UInt32(OTTER_EPOLLIN) | UInt32(OTTER_EPOLLRDHUP) | UInt32(OTTER_EPOLLHUP)) != 0 || error {
        if kind.isListener { acceptLocked(&out) } else { readLocked(&out) }
      }
      if !isClosed { try? updateInterest() }
    }
    if let target {
      tell(target, out)
    }
  }

  /// Gives `owner` what happened (lock not held), and drops the socket from its table
  /// if that closed it.
  private func tell(_ owner: ProcessCore, _ events: [SocketEvent]) {
    for event in events { owner.pushSignal(.io(self, event), urgent: true) }
    if !isOpen { owner.disown(self) }
  }

  /// Reads what is there (up to 64 KiB) and frames it. Lock held.
  private func readLocked(_ out: inout [SocketEvent]) {
    guard mode != .passive else { return }
    if kind == .processDescriptor {
      peerClosed = true
      mode = .passive
      out.append(.closed)
      return
    }
    let buffer = Socket.readBuffer
    let n: Int
    if let passing {
      switch passing.receive(fd, into: buffer) {
      case .read(let count): n = count
      case .failed(let e):
        out.append(.error(e))
        closeLocked()
        return
      }
    } else {
      n = Glibc.read(fd, buffer.baseAddress, buffer.count)
    }
    if n > 0 {
      bytesIn.add(UInt64(n), ordering: .relaxed)
      node.countReceived(n)
      var frames: [Framer.Output] = []
      let input = UnsafeRawBufferPointer(UnsafeMutableBufferPointer(rebasing: buffer[0..<n]))
      var session = SecurityStatus.ok
      if case .security(let layer)? = extra {
        var wire: [UInt8] = []
        session = layer.unseal(input, wire: &wire) { framer.feed($0, into: &frames) }
        writeWireLocked(wire, &out)
        if isClosed { return }
      } else {
        framer.feed(input, into: &frames)
      }
      for f in frames {
        switch f {
        case .frame(let bytes): out.append(.data(bytes))
        case .tooLong(let length): out.append(.frameTooLong(length))
        case .fatal(let length):
          out.append(.error(.frameTooLong(length)))
          closeLocked()
          return
        }
      }
      switch session {
      case .ok: break
      case .peerClosed:
        // The session ended in order: end of file for the owner, after what came before.
        peerClosed = true
        mode = .passive
        out.append(.closed)
      case .failed(let reason):
        out.append(.error(.security(reason)))
        closeLocked()
        return
      }
      if mode == .once && !out.isEmpty { mode = .passive }
    } else if n == 0 && kind == .datagram {
      out.append(.data([]))
      if mode == .once { mode = .passive }
    } else if n == 0 {
      if case .security(let layer)? = extra { layer.ended(.endOfFile) }
      peerClosed = true
      mode = .passive
      out.append(.closed)
    } else {
      let e = errno
      if e == EAGAIN || e == EINTR { return }
      if case .security(let layer)? = extra { layer.ended(.reset) }
      out.append(.error(e == ECONNRESET ? .reset : .system("read", errno: e)))
      closeLocked()
    }
  }

  /// Accepts what is waiting (up to 64 connections). Lock held.
  private func acceptLocked(_ out: inout [SocketEvent]) {
    guard mode != .passive else { return }
    for _ in 0..<64 {
      let c = otter_accept(fd)
      if c < 0 {
        if -c == EAGAIN || -c == EINTR || -c == ECONNABORTED { break }
        out.append(.error(.system("accept", errno: -c)))
        // One error per request, as one connection: out of descriptors (EMFILE) the
        // listener stays readable, and re-armed it reported the error again at every
        // poll while its owner waited to retry — a mailbox of millions of errors.
        if mode == .once { mode = .passive }
        break
      }
      if kind == .tcpListener { _ = otter_tcp_nodelay(c) }
      out.append(.accepted(Socket(fd: c, kind: kind == .tcpListener ? .tcp : .unix, owner: owner, node: node)))
      if mode == .once {
        mode = .passive
        break
      }
    }
  }

  // MARK: - Writing

  /// Writes `bytes`, or queues what the kernel does not take now. Any process may call
  /// it. Past the high watermark the overflow policy applies.
  @discardableResult
  public func send(_ bytes: some Collection<UInt8>) -> SendResult { send(ArraySlice(bytes)) }

  /// Writes `bytes` (shared with the caller, not copied), or queues what the kernel does
  /// not take now.
  @discardableResult
  public func send(_ bytes: [UInt8]) -> SendResult { send(bytes[...]) }

  /// Writes `chunk` (shared with the caller, not copied), or queues what the kernel does
  /// not take now.
  @discardableResult
  public func send(_ chunk: ArraySlice<UInt8>) -> SendResult {
    var events: [SocketEvent] = []
    var target: ProcessCore?
    var flushBy: Scheduler?
    var flushAt: UInt64 = 0
    var now: UInt64 = 0
    let result: SendResult = lock.withLock {
      if isClosed { return .closed }
      if frozen { return queueFrozenLocked(chunk) }
      if case .security(let layer)? = extra {
        return sendSealedLocked(chunk, layer, &events, &target, &flushBy, &flushAt, &now)
      }
      return writeLocked(chunk, &events, &target, &flushBy, &flushAt, &now)
    }
    if let flushBy {
      if flushAt == 0 {
        flushBy.held.endOfSlice.append(self)
      } else {
        flushBy.held.hold(self, until: flushAt, now: now)
      }
    }
    if let target {
      tell(target, events)
    }
    return result
  }

  /// `send`'s work under the lock: writes `chunk` at once, or holds it for a coalesced
  /// write, or queues what the kernel did not take. Says through `flushBy` and
  /// `flushAt` which scheduler must write held bytes, and when.
  @inline(__always)
  private func writeLocked(
    _ chunk: ArraySlice<UInt8>, _ events: inout [SocketEvent], _ target: inout ProcessCore?, _ flushBy: inout Scheduler?,
    _ flushAt: inout UInt64, _ now: inout UInt64
  ) -> SendResult {
    if queue.isEmpty && !connecting {
      var nowMicros: UInt32 = 0
      if coalesceMicros >= 0, let scheduler = Scheduler.current {
        if coalesceMicros == 0 {
          flushBy = scheduler
        } else {
          now = scheduler.sliceNow()
          nowMicros = UInt32(truncatingIfNeeded: now / 1000)
          let since = nowMicros &- lastWriteMicros
          if since < UInt32(coalesceMicros) {
            flushBy = scheduler
            flushAt = now &+ UInt64(UInt32(coalesceMicros) - since) &* 1000
          }
        }
        if flushBy != nil {
          held = true
          let r = enqueueLocked(chunk, &events, &target)
          if r != .queued {
            held = false
            flushBy = nil
          }
          return r == .queued ? .held : r
        }
      }
      var done = 0
      let total = chunk.count
      let failed: Int32? = chunk.withUnsafeBytes { raw -> Int32? in
        while done < total {
          let n = otter_send(fd, raw.baseAddress! + done, total - done)
          if n > 0 {
            done += n
          } else {
            let e = Int32(-n)
            if e == EINTR { continue }
            return e == EAGAIN || n == 0 ? nil : e
          }
        }
        return nil
      }
      bytesOut.add(UInt64(done), ordering: .relaxed)
      node.countSent(done)
      if coalesceMicros > 0 { lastWriteMicros = nowMicros }
      if let e = failed {
        events.append(.error(e == EPIPE || e == ECONNRESET ? .reset : .system("write", errno: e)))
        target = owner
        closeLocked()
        return .closed
      }
      if done == total { return .sent }
      return enqueueLocked(chunk[(chunk.startIndex + done)...], &events, &target)
    }
    let r = enqueueLocked(chunk, &events, &target)
    return r == .queued && held ? .held : r
  }

  /// `send` on a secured stream: seals `chunk` and writes the sealed bytes as `send`
  /// writes plain ones, under one hold of the lock, so that records reach the kernel in
  /// the order they were sealed. Before the handshake completes the layer keeps the
  /// plaintext (`.queued`).
  private func sendSealedLocked(
    _ chunk: ArraySlice<UInt8>, _ layer: SocketSecurity, _ events: inout [SocketEvent], _ target: inout ProcessCore?,
    _ flushBy: inout Scheduler?, _ flushAt: inout UInt64, _ now: inout UInt64
  ) -> SendResult {
    // Coalescing: the plaintext waits with the layer and is sealed, with whatever else
    // the sender adds before its run of code ends, into one record (`sealHeldLocked`).
    // Counted in `queued` meanwhile, so the watermarks and `pendingBytes` see it. A
    // window (`SendCoalescing.window`) is taken as the end of the slice here: a record
    // held across slices would hold its whole plaintext copy too.
    if coalesceMicros >= 0, !connecting, let scheduler = Scheduler.current,
      queued + chunk.count <= Int(highWatermark)
    {
      layer.heldPlaintext.append(contentsOf: chunk)
      queued += chunk.count
      if !held {
        held = true
        flushBy = scheduler
      }
      return .held
    }
    guard sealHeldLocked(layer, &events) else {
      target = owner
      return .closed
    }
    var wire: [UInt8] = []
    let status = chunk.withUnsafeBytes { layer.seal($0, wire: &wire) }
    if case .failed(let reason) = status {
      events.append(.error(.security(reason)))
      target = owner
      closeLocked()
      return .closed
    }
    if wire.isEmpty { return .queued }
    return writeLocked(wire[...], &events, &target, &flushBy, &flushAt, &now)
  }

  /// Seals the plaintext held for coalescing (if any) into the write queue, behind what
  /// is there. False, the socket closed and the error in `events`, if sealing failed.
  /// Lock held.
  private func sealHeldLocked(_ layer: SocketSecurity, _ events: inout [SocketEvent]) -> Bool {
    guard !layer.heldPlaintext.isEmpty else { return true }
    let plaintext = layer.heldPlaintext
    layer.heldPlaintext = []
    queued -= plaintext.count
    var wire: [UInt8] = []
    let status = plaintext.withUnsafeBytes { layer.seal($0, wire: &wire) }
    if case .failed(let reason) = status {
      events.append(.error(.security(reason)))
      closeLocked()
      return false
    }
    if wire.isEmpty { return true }  // still handshaking: the layer keeps it
    var ignored: ProcessCore?
    return enqueueLocked(wire[...], &events, &ignored) != .closed
  }

  /// `sealHeldLocked` for a socket that may have no layer. Lock held.
  private func sealHeldIfSecuredLocked(_ events: inout [SocketEvent]) -> Bool {
    guard case .security(let layer)? = extra else { return true }
    return sealHeldLocked(layer, &events)
  }

  /// Writes bytes the security layer produced while reading or starting (handshake
  /// messages, alerts): queued behind anything held, else written now. Lock held.
  private func writeWireLocked(_ wire: [UInt8], _ out: inout [SocketEvent]) {
    guard !wire.isEmpty, !isClosed else { return }
    var ignored: ProcessCore?
    guard enqueueLocked(wire[...], &out, &ignored) == .queued, !held else { return }
    flushLocked(&out)
  }

  /// Starts bringing the socket into the CPU's cache, without waiting for it. A caller
  /// that sends to many sockets in a row (a room's broadcast) calls it a few sockets
  /// ahead: the first touch of each socket, taking its lock, was a cache miss and most
  /// of what a send cost in user space.
  @inlinable
  public func prefetchForSend() {
    let object = UnsafeRawPointer(Unmanaged.passUnretained(self).toOpaque())
    // The whole object: 216 bytes (lock, queue, flags and the reference count alike).
    for offset in stride(from: 0, to: 256, by: 64) { otter_prefetch_for_write(object + offset) }
  }

  /// Writes what `send` held back for coalescing. The scheduler that holds the socket
  /// calls it when the sender's run of code ends, or when the window has passed.
  func flushHeld() {
    var out: [SocketEvent] = []
    let target: ProcessCore? = lock.withLock {
      guard held else { return nil }
      held = false
      if isClosed || frozen { return nil }
      guard sealHeldIfSecuredLocked(&out) else { return owner }
      flushLocked(&out)
      if coalesceMicros > 0 { lastWriteMicros = UInt32(truncatingIfNeeded: (Scheduler.current?.sliceNow() ?? monotonicNanos()) / 1000) }
      if isClosed { return owner }
      // The kernel did not take everything: the rest waits for EPOLLOUT.
      try? updateInterest()
      return out.isEmpty ? nil : owner
    }
    if let target {
      tell(target, out)
    }
  }

  private func enqueueLocked(_ chunk: ArraySlice<UInt8>, _ events: inout [SocketEvent], _ target: inout ProcessCore?) -> SendResult {
    if queued + chunk.count > Int(highWatermark) {
      switch policy {
      case .close:
        events.append(.error(.overflow(queued: queued + chunk.count)))
        target = owner
        closeLocked()
        return .closed
      case .drop:
        dropped.add(UInt64(chunk.count), ordering: .relaxed)
        return .dropped
      case .wait:
        break
      }
    }
    if let scheduler = Scheduler.current {
      queue.append(chunk, spares: &scheduler.writeQueueSpares)
    } else {
      queue.append(chunk)
    }
    queued += chunk.count
    try? updateInterest()
    return .queued
  }

  /// Writes queued chunks with writev until the kernel says EAGAIN. Lock held.
  private func flushLocked(_ out: inout [SocketEvent]) {
    while !queue.isEmpty {
      let n: Int = queue.withIOVecs(limit: 64) { iov, count in otter_sendv(fd, iov, count) }
      if n < 0 {
        let e = Int32(-n)
        if e == EAGAIN || e == EINTR { break }
        out.append(.error(e == EPIPE || e == ECONNRESET ? .reset : .system("writev", errno: e)))
        closeLocked()
        return
      }
      bytesOut.add(UInt64(n), ordering: .relaxed)
      node.countSent(n)
      queued -= n
      // An emptied queue gives its buffer back (WriteQueue): most sockets are quiet most
      // of the time.
      if let scheduler = Scheduler.current {
        queue.removeFirst(bytes: n, spares: &scheduler.writeQueueSpares)
      } else {
        queue.removeFirst(bytes: n)
      }
    }
    if queue.isEmpty && closeWhenFlushed {
      closeLocked()
      return
    }
    if !writeWaiters.isEmpty && queued <= Int(lowWatermark) { wakeWritersLocked() }
  }

  /// For `write`: true if `writer` must wait for `.writable` (it is then told when the
  /// queue goes under the low watermark, or the socket closes).
  func mustWait(_ writer: ProcessCore) -> Bool {
    lock.withLock {
      if isClosed || queued <= Int(highWatermark) { return false }
      if !writeWaiters.contains(where: { $0 === writer }) { writeWaiters.append(writer) }
      return true
    }
  }

  // MARK: - Freezing (SocketFreeze.swift)

  /// Stops all I/O with the kernel; the bytes read and not yet framed.
  func freeze(by caller: ProcessCore) throws(SocketError) -> [UInt8] {
    try lock.withLock { () throws(SocketError) -> [UInt8] in
      guard owner === caller else { throw .notOwner }
      guard !isClosed else { throw .closed }
      var ignored: [SocketEvent] = []
      guard sealHeldIfSecuredLocked(&ignored) else { throw .closed }
      frozen = true
      mode = .passive
      held = false
      if let poller {
        poller.deregister(self)
        self.poller = nil
        armed = 0
        node.schedulerOwning(poller)?.ioSourceCount.subtract(1, ordering: .relaxed)
      }
      return framer.takePartial()
    }
  }

  /// A close-on-exec duplicate of the descriptor (SocketAdoption.swift).
  func duplicateDescriptorLocked() throws(SocketError) -> Int32 {
    try lock.withLock { () throws(SocketError) -> Int32 in
      guard !isClosed else { throw .closed }
      return try Socket.duplicate(fd)
    }
  }

  /// Queues `chunk` on a frozen socket, whatever the watermarks. Lock held.
  private func queueFrozenLocked(_ chunk: ArraySlice<UInt8>) -> SendResult {
    if let scheduler = Scheduler.current {
      queue.append(chunk, spares: &scheduler.writeQueueSpares)
    } else {
      queue.append(chunk)
    }
    queued += chunk.count
    return .queued
  }

  /// Everything queued, in order, taken out of the queue. Lock held.
  private func takeQueuedLocked() -> [UInt8] {
    var out: [UInt8] = []
    out.reserveCapacity(queued)
    while !queue.isEmpty {
      let n = queue.withIOVecs(limit: 64) { iov, count -> Int in
        var total = 0
        for i in 0..<Int(count) {
          out.append(contentsOf: UnsafeRawBufferPointer(start: iov[i].iov_base, count: iov[i].iov_len))
          total += iov[i].iov_len
        }
        return total
      }
      queue.removeFirst(bytes: n)
    }
    queued = 0
    return out
  }

  /// The bytes queued on a frozen socket (nothing of them written), taken out; the
  /// socket stays frozen.
  func takeQueued() -> [UInt8] {
    lock.withLock { isClosed || !frozen ? [] : takeQueuedLocked() }
  }

  /// Resumes I/O: `prepending`, then what was queued while frozen, is written;
  /// `unframedInput` goes before the next bytes read.
  func thaw(prepending: [UInt8], unframedInput: [UInt8], by caller: ProcessCore) throws(SocketError) {
    var out: [SocketEvent] = []
    try lock.withLock { () throws(SocketError) in
      guard owner === caller else { throw .notOwner }
      guard !isClosed else { throw .closed }
      guard frozen else { return }
      frozen = false
      let rest = takeQueuedLocked()
      for part in [prepending, rest] where !part.isEmpty {
        queue.append(part[...])
        queued += part.count
      }
      framer.restorePartial(unframedInput)
      if !queue.isEmpty { flushLocked(&out) }
      if !isClosed { try? updateInterest() }
    }
    if !out.isEmpty { tell(caller, out) }
  }

  // MARK: - Descriptors (DescriptorPassing.swift)

  /// Makes the socket carry messages with descriptors: read with recvmsg, cut into
  /// length-prefixed frames of at most `maximumFrame` bytes.
  func enableDescriptorPassing(maximumFrame: Int) throws(SocketError) {
    guard kind == .unix else { throw .wrongKind }
    lock.withLock {
      if passing == nil { passing = DescriptorInbox() }
      framer = Framer(.lengthPrefixed(headerBytes: 4, maxLength: maximumFrame))
    }
  }

  /// Writes `frame` with `descriptors` attached to its first byte, once nothing sent
  /// before it is still queued: true when it went (the descriptors with its first
  /// bytes; what the kernel did not take is queued). False when it must wait — earlier
  /// bytes are queued, or the kernel takes nothing now —: `waiter` is then told
  /// `.writable` when that may have changed.
  func sendDescriptors(_ frame: [UInt8], _ descriptors: [Int32], waiter: ProcessCore) throws(SocketError) -> Bool {
    var events: [SocketEvent] = []
    var target: ProcessCore?
    let sent: Bool = try lock.withLock { () throws(SocketError) -> Bool in
      guard !isClosed else { throw .closed }
      guard let passing else { throw .invalidArgument("the socket does not carry descriptors (Context.carryDescriptors)") }
      func wait() -> Bool {
        if !writeWaiters.contains(where: { $0 === waiter }) { writeWaiters.append(waiter) }
        return false
      }
      if !queue.isEmpty || held || connecting { return wait() }
      let n = frame.withUnsafeBytes { raw in
        descriptors.withUnsafeBufferPointer { fds in
          otter_send_descriptors(fd, raw.baseAddress, raw.count, fds.baseAddress, Int32(fds.count))
        }
      }
      if n == -Int(EAGAIN) || n == -Int(EINTR) {
        passing.wantsWritable = true
        try updateInterest()
        return wait()
      }
      if n < 0 {
        let e = Int32(-n)
        events.append(.error(e == EPIPE || e == ECONNRESET ? .reset : .system("sendmsg", errno: e)))
        target = owner
        closeLocked()
        return false
      }
      bytesOut.add(UInt64(n), ordering: .relaxed)
      node.countSent(n)
      if n < frame.count {
        // The rest of a message is queued whatever the watermark: a sender waits for the
        // queue to empty before its next message, so it holds one message at most.
        if let scheduler = Scheduler.current {
          queue.append(frame[n...], spares: &scheduler.writeQueueSpares)
        } else {
          queue.append(frame[n...])
        }
        queued += frame.count - n
        try updateInterest()
      }
      return true
    }
    if let target { tell(target, events) }
    if !sent && !isOpen { throw .closed }
    return sent
  }

  /// The next `count` descriptors that arrived (in order), taken by the caller; nil if
  /// fewer have arrived (they stay).
  func takeDescriptors(_ count: Int) -> [Int32]? {
    lock.withLock { passing?.take(count) }
  }

  /// Tells the waiting writers they may go on. Lock held (lock order: socket, then
  /// process; nothing takes a socket's lock while holding a process's).
  private func wakeWritersLocked() {
    let waiters = writeWaiters
    writeWaiters = []
    for w in waiters { w.pushSignal(.io(self, .writable), urgent: true) }
  }

  // MARK: - Closing

  /// Closes the socket now. Bytes held back for coalescing are written first, as far as
  /// the kernel takes them without waiting; bytes queued for lack of kernel buffer space
  /// are dropped (use `closeWhenDone` to write them all).
  public func close() {
    let owner: ProcessCore? = lock.withLock {
      if isClosed { return nil }
      var ignored: [SocketEvent] = []
      if case .security(let layer)? = extra {
        // The session's last words go behind what is held, and are written with it.
        if !sealHeldLocked(layer, &ignored) { return self.owner }
        var wire: [UInt8] = []
        layer.finish(wire: &wire)
        var none: ProcessCore?
        if !wire.isEmpty { _ = enqueueLocked(wire[...], &ignored, &none) }
        if !held { flushLocked(&ignored) }
        if isClosed { return self.owner }
      }
      if held && !frozen {
        held = false
        flushLocked(&ignored)
        if isClosed { return self.owner }
      }
      closeLocked()
      return self.owner
    }
    owner?.disown(self)
  }

  /// Half-closes the socket: the peer reads end of file, while this side can still
  /// read what the peer sends (a lingering close: an HTTP server that is done says so
  /// without destroying a response the peer has not read yet, as closing with unread
  /// input would, by sending RST). Returns false, doing nothing, while bytes are still
  /// queued (wait for `pendingBytes` to be 0) or when the socket is closed.
  @discardableResult
  public func shutdownWrite() -> Bool {
    lock.withLock {
      guard !isClosed, !frozen, !kind.isListener else { return false }
      if case .security(let layer)? = extra, !layer.heldPlaintext.isEmpty {
        // Held plaintext is sealed and written first; the caller waits for it.
        var out: [SocketEvent] = []
        guard sealHeldLocked(layer, &out) else { return false }
        if !held { flushLocked(&out) }
        if !isClosed { try? updateInterest() }
        return false
      }
      guard queue.isEmpty else { return false }
      if case .security(let layer)? = extra {
        // The session ends first, in order; the TCP half-close follows once that is out.
        var wire: [UInt8] = []
        layer.finish(wire: &wire)
        var out: [SocketEvent] = []
        writeWireLocked(wire, &out)
        guard !isClosed, queue.isEmpty else { return false }
      }
      return Glibc.shutdown(fd, Int32(SHUT_WR)) == 0
    }
  }

  /// Closes the socket once its write queue has been written (a goodbye message then
  /// close). Closes at once if nothing is queued.
  public func closeWhenDone() {
    let closedNow: ProcessCore? = lock.withLock {
      if isClosed { return nil }
      // A frozen socket writes nothing: it closes now.
      if case .security(let layer)? = extra {
        var ignored: [SocketEvent] = []
        if !sealHeldLocked(layer, &ignored) { return owner }
        var wire: [UInt8] = []
        layer.finish(wire: &wire)
        var none: ProcessCore?
        if !wire.isEmpty { _ = enqueueLocked(wire[...], &ignored, &none) }
        if isClosed { return owner }
      }
      if queue.isEmpty || frozen {
        closeLocked()
        return owner
      }
      closeWhenFlushed = true
      mode = .passive
      try? updateInterest()
      return nil
    }
    closedNow?.disown(self)
  }

  /// Lock held.
  private func closeLocked() {
    isClosed = true
    if case .security(let layer)? = extra { layer.ended(.closed) }
    if let poller {
      poller.deregister(self)
      self.poller = nil
      node.schedulerOwning(poller)?.ioSourceCount.subtract(1, ordering: .relaxed)
    }
    Glibc.close(fd)
    if let listener = unixPath {
      var st = stat()
      if stat(listener.path, &st) == 0, let file = listener.file, UInt64(st.st_dev) == file.device,
        UInt64(st.st_ino) == file.inode
      {
        unlink(listener.path)
      }
    }
    queue.removeAll()
    queued = 0
    // Descriptors that arrived and were never claimed go with the socket.
    passing?.closeAll()
    if !writeWaiters.isEmpty { wakeWritersLocked() }
  }

  /// A test hook: the next close sends a reset instead of a FIN.
  func abortOnClose() { _ = otter_socket_abort_on_close(fd) }

  // MARK: - Scratch

  /// One read buffer per thread that reads sockets.
  static var readBuffer: UnsafeMutableBufferPointer<UInt8> {
    if let s = Scheduler.current { return s.readBuffer }
    return UnsafeMutableBufferPointer(start: fallbackBuffer, count: 65536)
  }
  nonisolated(unsafe) private static let fallbackBuffer = UnsafeMutablePointer<UInt8>.allocate(capacity: 65536)

  // MARK: - Introspection

  func info() -> SocketInfo {
    let (ownerPid, closed, waiting) = lock.withLock { (Pid(owner), isClosed, writeWaiters.count) }
    return SocketInfo(
      id: id, kind: kind.rawValue, local: localAddress, peer: peerAddress, owner: ownerPid,
      bytesIn: bytesIn.load(ordering: .relaxed), bytesOut: bytesOut.load(ordering: .relaxed),
      queued: queuedBytes.load(ordering: .relaxed), dropped: dropped.load(ordering: .relaxed),
      open: !closed, writersWaiting: waiting)
  }
}

/// The path of a Unix listener and the file's identity (device, inode) when it was
/// made: a listener made later at the same path is not removed with it.
final class UnixListenerPath: Sendable {
  let path: String
  let file: (device: UInt64, inode: UInt64)?
  init(path: String, file: (device: UInt64, inode: UInt64)?) {
    self.path = path
    self.file = file
  }
}

/// The peer of a Unix socket: OS process, user and group ids.
public struct PeerCredentials: Sendable, Equatable {
  public let processID: Int32
  public let userID: UInt32
  public let groupID: UInt32
}

/// A socket as introspection and the observer see it.
public struct SocketInfo: Sendable {
  public let id: UInt64
  public let kind: String
  public let local: String?
  public let peer: String?
  public let owner: Pid
  public let bytesIn: UInt64
  public let bytesOut: UInt64
  public let queued: Int
  public let dropped: UInt64
  public let open: Bool
  /// Processes waiting in `write` for the queue to drain.
  public let writersWaiting: Int
}
