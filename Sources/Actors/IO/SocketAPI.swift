// What a process does with sockets. Reading is active-once (`activate`, then `.io`
// messages); `accept`, `connect`, `read` and `write` are built on it for code that would
// rather wait in line.
import COtterSys
import Glibc

extension Context {
  /// A TCP listener owned by this process. `port` 0 picks a free port (see
  /// `socket.localAddress`). Throws `SocketError.system` (e.g. address in use).
  public func listen(
    tcp host: String, port: Int, backlog: Int = 1024, reuseAddress: Bool = true, reusePort: Bool = false
  ) throws(SocketError) -> Socket {
    var bound: Int32 = 0
    let fd = otter_tcp_listen(host, Int32(port), Int32(backlog), reuseAddress ? 1 : 0, reusePort ? 1 : 0, &bound)
    if fd < 0 { throw -fd == EINVAL ? .badAddress(host) : .system("listen \(host):\(port)", errno: -fd) }
    return Socket(fd: fd, kind: .tcpListener, owner: process, node: process.node)
  }

  /// A Unix stream listener at `path`, created with file mode `mode` (0600: only this
  /// user may connect). An old socket file at `path` is replaced. Closing the listener
  /// removes the file, unless another listener has replaced it since.
  public func listen(unix path: String, mode: Int32 = 0o600, backlog: Int = 128) throws(SocketError) -> Socket {
    let fd = otter_unix_listen(path, Int32(backlog), mode)
    if fd < 0 { throw .system("listen \(path)", errno: -fd) }
    let socket = Socket(fd: fd, kind: .unixListener, owner: process, node: process.node)
    var st = stat()
    let made = stat(path, &st) == 0 ? (device: UInt64(st.st_dev), inode: UInt64(st.st_ino)) : nil
    socket.lock.withLock { socket.unixPath = UnixListenerPath(path: path, file: made) }
    return socket
  }

  /// Takes `fd`, a descriptor this process got elsewhere (an inherited listener, a pipe's
  /// read end, a Unix datagram socket, a pidfd), as a socket it owns: read with
  /// `activate` like any other, closed when this process ends or `close` is called. The
  /// descriptor is made non-blocking; it belongs to the socket from now on.
  public func adopt(descriptor fd: Int32, kind: Socket.Kind) throws(SocketError) -> Socket {
    guard fd >= 0 else { throw .invalidArgument("no descriptor \(fd)") }
    let e = otter_set_nonblocking(fd)
    if e != 0 { throw .system("adopt descriptor \(fd)", errno: -e) }
    return Socket(fd: fd, kind: kind, owner: process, node: process.node)
  }

  /// Sets how this process receives from `socket`: `.once` delivers the next read as
  /// `.io` messages then stops until called again. Only the owner may call it.
  public func activate(_ socket: Socket, _ mode: ActiveMode = .once) throws(SocketError) {
    try socket.activate(mode, by: process)
  }

  /// Gives `socket` to another process (Erlang's controlling_process). Only the owner
  /// may call it; the socket is passive afterwards.
  public func transfer(_ socket: Socket, to pid: Pid) throws(SocketError) {
    try socket.transfer(to: pid.core, by: process)
  }

  /// Waits until a socket is transferred to this process (the `.owned` event) and
  /// returns it: how a connection process started by an acceptor gets its socket.
  public func receiveSocket(timeout: Timeout = .seconds(5)) async throws -> Socket {
    let socket = try await receive(timeout: timeout) { message -> Socket? in
      if case .io(let s, .owned) = message { return s }
      return nil
    }
    guard let socket else { throw SocketError.timeout }
    return socket
  }

  /// Waits for the next connection on `listener` (which this process owns). The new
  /// socket is owned by this process.
  public func accept(_ listener: Socket, timeout: Timeout = .infinity) async throws -> Socket {
    guard listener.kind.isListener else { throw SocketError.wrongKind }
    while true {
      guard let event = try await nextEvent(of: listener, timeout: timeout) else { throw SocketError.timeout }
      switch event {
      case .accepted(let c): return c
      case .error(let e): throw e
      default: continue
      }
    }
  }

  /// Connects to `host:port` (numeric address or "localhost"), binding first to the
  /// local `source` address if given. Suspends this process until connected.
  public func connect(tcp host: String, port: Int, source: String? = nil, timeout: Timeout = .seconds(10)) async throws -> Socket {
    var inProgress: Int32 = 0
    let what = "connect \(host):\(port)"
    let fd = otter_tcp_connect(host, Int32(port), source, &inProgress)
    if fd < 0 {
      throw -fd == EINVAL ? SocketError.badAddress(source.map { "\(host) (source \($0))" } ?? host) : SocketError.system(what, errno: -fd)
    }
    _ = otter_tcp_nodelay(fd)
    let socket = Socket(fd: fd, kind: .tcp, owner: process, node: process.node, connecting: inProgress != 0)
    return try await finishConnect(socket, what: what, timeout: timeout)
  }

  /// Connects to the Unix socket at `path`.
  public func connect(unix path: String, timeout: Timeout = .seconds(10)) async throws -> Socket {
    var inProgress: Int32 = 0
    let fd = otter_unix_connect(path, &inProgress)
    if fd < 0 { throw SocketError.system("connect \(path)", errno: -fd) }
    let socket = Socket(fd: fd, kind: .unix, owner: process, node: process.node, connecting: inProgress != 0)
    return try await finishConnect(socket, what: "connect \(path)", timeout: timeout)
  }

  private func finishConnect(_ socket: Socket, what: String, timeout: Timeout) async throws -> Socket {
    let pending = socket.lock.withLock { socket.isConnecting }
    if !pending { return socket }
    try socket.lock.withLock { () throws(SocketError) in try socket.armForConnect() }
    let outcome = try await receive(timeout: timeout) { message -> Result<Void, SocketError>? in
      guard case .io(let s, let event) = message, s === socket else { return nil }
      switch event {
      case .connected: return .success(())
      case .error(.system(_, let e)): return .failure(.system(what, errno: e))
      case .error(let e): return .failure(e)
      default: return nil
      }
    }
    guard let outcome else {
      socket.close()
      throw SocketError.timeout
    }
    try outcome.get()
    return socket
  }

  /// Waits for the next frame (or chunk) from `socket`; nil when the peer has closed.
  /// Throws the socket's error, or `SocketError.frameTooLong` for a line over the limit
  /// (the line is discarded; the socket stays open and the next read goes on after it).
  public func read(_ socket: Socket, timeout: Timeout = .infinity) async throws -> [UInt8]? {
    while true {
      let event = try await nextEvent(of: socket, timeout: timeout)
      guard let event else { throw SocketError.timeout }
      switch event {
      case .data(let bytes): return bytes
      case .closed: return nil
      case .error(let e): throw e
      case .frameTooLong(let n): throw SocketError.frameTooLong(n)
      default: continue
      }
    }
  }

  /// The next event of `socket`: one already delivered if there is one (a single read
  /// may bring several frames, and the socket may have closed after them), else asks
  /// for the next read and waits.
  private func nextEvent(of socket: Socket, timeout: Timeout) async throws -> SocketEvent? {
    let match = { (message: Message<M>) -> SocketEvent? in
      guard case .io(let s, let event) = message, s === socket else { return nil }
      return event
    }
    if let event = try await receive(timeout: .zero, match) { return event }
    try activate(socket, .once)
    return try await receive(timeout: timeout, match)
  }

  /// Sends `bytes`, then waits (this process, not its thread) while the socket's write
  /// queue is over its high watermark — the `.wait` overflow policy's writer. Any process
  /// may write; throws `SocketError.closed` if the socket is or gets closed.
  public func write(_ socket: Socket, _ bytes: some Collection<UInt8>) async throws {
    switch socket.send(bytes) {
    case .closed: throw SocketError.closed
    case .dropped, .sent: return
    case .queued, .held: break
    }
    guard socket.mustWait(process) else { return }
    _ = try await receive { message -> Bool? in
      guard case .io(let s, .writable) = message, s === socket else { return nil }
      return true
    }
    if !socket.isOpen { throw SocketError.closed }
  }
}

extension Socket {
  var isConnecting: Bool { connectingFlag }
}
