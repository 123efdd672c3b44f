// Starting a server: `start`, `startLink`, `startMonitor`, from a process or from
// outside, for `GenServer` and `SyncGenServer`. Start returns once `initialize` has run:
// with the server, nil for `.ignore`, or a StartError — and on failure the server
// process has already exited and left no exit signal or DOWN message behind.
import Actors

/// How a server process is linked to its starter.
@usableFromInline
enum StartMode: Sendable {
  case plain, link, monitor
}

extension Context {
  /// Starts `server` linked to this process (supervisors start children this way).
  /// - Parameters:
  ///   - name: register the server under this name before `initialize` runs.
  ///   - timeout: how long `initialize` may take; past it the process is killed and
  ///     `StartError.timeout` thrown.
  /// - Returns: the server, or nil if `initialize` returned `.ignore`.
  @inlinable
  public func startLink<S: GenServer>(
    _ server: S, name: String? = nil, timeout: Timeout = .infinity, options: SpawnOptions = SpawnOptions()
  ) async throws(StartError) -> GenServerRef<S>? {
    try await startServer(server, name: name, timeout: timeout, options: options, mode: .link).0
  }

  /// Starts `server` without a link.
  @inlinable
  public func start<S: GenServer>(
    _ server: S, name: String? = nil, timeout: Timeout = .infinity, options: SpawnOptions = SpawnOptions()
  ) async throws(StartError) -> GenServerRef<S>? {
    try await startServer(server, name: name, timeout: timeout, options: options, mode: .plain).0
  }

  /// Starts `server` and monitors it. Returns nil if `initialize` returned `.ignore`.
  @inlinable
  public func startMonitor<S: GenServer>(
    _ server: S, name: String? = nil, timeout: Timeout = .infinity, options: SpawnOptions = SpawnOptions()
  ) async throws(StartError) -> (GenServerRef<S>, Ref)? {
    let (ref, monitor) = try await startServer(server, name: name, timeout: timeout, options: options, mode: .monitor)
    guard let ref, let monitor else { return nil }
    return (ref, monitor)
  }

  /// `startLink` for a `SyncGenServer`.
  @inlinable
  public func startLink<S: SyncGenServer>(
    _ server: S, name: String? = nil, timeout: Timeout = .infinity, options: SpawnOptions = SpawnOptions()
  ) async throws(StartError) -> GenServerRef<S>? {
    try await startServer(server, name: name, timeout: timeout, options: options, mode: .link).0
  }

  /// `start` for a `SyncGenServer`.
  @inlinable
  public func start<S: SyncGenServer>(
    _ server: S, name: String? = nil, timeout: Timeout = .infinity, options: SpawnOptions = SpawnOptions()
  ) async throws(StartError) -> GenServerRef<S>? {
    try await startServer(server, name: name, timeout: timeout, options: options, mode: .plain).0
  }

  /// `startMonitor` for a `SyncGenServer`.
  @inlinable
  public func startMonitor<S: SyncGenServer>(
    _ server: S, name: String? = nil, timeout: Timeout = .infinity, options: SpawnOptions = SpawnOptions()
  ) async throws(StartError) -> (GenServerRef<S>, Ref)? {
    let (ref, monitor) = try await startServer(server, name: name, timeout: timeout, options: options, mode: .monitor)
    guard let ref, let monitor else { return nil }
    return (ref, monitor)
  }

  @inlinable
  func startServer<S: GenServer>(
    _ server: S, name: String?, timeout: Timeout, options: SpawnOptions, mode: StartMode
  ) async throws(StartError) -> (GenServerRef<S>?, Ref?) {
    let (ack, pending) = makeReply(StartAck.self)
    let box = ServerBox(server: server, parent: mode == .link ? pid : nil)
    let start: StartHandler<ServerMessage<S>, ServerBox<S>> = { box, ctx in
      try await Loop<S>.start(&box, ctx, name: name, ack: ack)
    }
    let handler: MessageHandler<ServerMessage<S>, ServerBox<S>> = { box, message, ctx in
      try await Loop<S>.handle(&box, message, ctx)
    }
    let describe: @Sendable (ServerBox<S>) -> String = { ServerLoop<S>.describe($0) }
    let (address, monitor): (Address<ServerMessage<S>>, Ref?)
    switch mode {
    case .link:
      (address, monitor) = (
        spawnLink(ServerMessage<S>.self, state: box, options: options, start: start, handler: handler, describe: describe), nil
      )
    case .monitor:
      (address, monitor) = spawnMonitor(
        ServerMessage<S>.self, state: box, options: options, start: start, handler: handler, describe: describe)
    case .plain:
      (address, monitor) = (
        spawn(ServerMessage<S>.self, state: box, options: options, start: start, handler: handler, describe: describe), nil
      )
    }
    return try await awaitStart(pending, address, monitor, timeout: timeout)
  }

  @inlinable
  func startServer<S: SyncGenServer>(
    _ server: S, name: String?, timeout: Timeout, options: SpawnOptions, mode: StartMode
  ) async throws(StartError) -> (GenServerRef<S>?, Ref?) {
    let (ack, pending) = makeReply(StartAck.self)
    let box = ServerBox(server: server, parent: mode == .link ? pid : nil)
    let start: SyncStartHandler<ServerMessage<S>, ServerBox<S>> = { box, ctx in
      try SyncLoop<S>.start(&box, ctx, name: name, ack: ack)
    }
    let handler: SyncMessageHandler<ServerMessage<S>, ServerBox<S>> = { box, message, ctx in
      SyncLoop<S>.handle(&box, message, ctx)
    }
    let describe: @Sendable (ServerBox<S>) -> String = { ServerLoop<S>.describe($0) }
    let (address, monitor): (Address<ServerMessage<S>>, Ref?)
    switch mode {
    case .link:
      (address, monitor) = (
        spawnLink(ServerMessage<S>.self, state: box, options: options, start: start, handler: handler, describe: describe), nil
      )
    case .monitor:
      (address, monitor) = spawnMonitor(
        ServerMessage<S>.self, state: box, options: options, start: start, handler: handler, describe: describe)
    case .plain:
      (address, monitor) = (
        spawn(ServerMessage<S>.self, state: box, options: options, start: start, handler: handler, describe: describe), nil
      )
    }
    return try await awaitStart(pending, address, monitor, timeout: timeout)
  }

  /// Waits for the start handshake and turns its outcome into a result or an error.
  @inlinable
  func awaitStart<S: ServerTypes>(
    _ pending: RequestID<StartAck>, _ address: Address<ServerMessage<S>>, _ monitor: Ref?, timeout: Timeout
  ) async throws(StartError) -> (GenServerRef<S>?, Ref?) {
    let outcome: StartAck
    do {
      outcome = try await receiveResponse(pending, timeout: timeout)
    } catch let e as CallError where e == .timeout {
      // Too slow: unlink first so its death sends us nothing, then kill it.
      unlink(address.pid)
      if let monitor { demonitor(monitor, flush: true) }
      exit(address.pid, reason: .kill)
      throw .timeout
    } catch {
      // This process is being killed while waiting: take the new server with it.
      exit(address.pid, reason: .kill)
      throw .failed((error as? ProcessExit)?.reason ?? .killed)
    }
    if case .started = outcome { return (GenServerRef(address), monitor) }
    // Whatever else happened, the process has ended: drop our monitor's DOWN.
    if let monitor { demonitor(monitor, flush: true) }
    switch outcome {
    case .started, .ignored: return (nil, nil)
    case .alreadyStarted(let holder): throw .alreadyStarted(holder)
    case .failed(let reason): throw .failed(reason)
    }
  }
}

extension Node {
  /// Starts `server` from outside any process (no link). Its parent is the node's system
  /// pid, so an exit signal from `node.exit(_:reason:)` (as `shutdown` sends) stops it
  /// gracefully when it traps exits. See `Context.startLink`.
  public func start<S: GenServer>(
    _ server: S, name: String? = nil, timeout: Timeout = .infinity, options: SpawnOptions = SpawnOptions()
  ) async throws(StartError) -> GenServerRef<S>? {
    let (ack, pending) = makeReply(StartAck.self)
    let address = spawn(
      ServerMessage<S>.self, state: ServerBox(server: server, parent: systemPid), options: options,
      start: { box, ctx in try await Loop<S>.start(&box, ctx, name: name, ack: ack) },
      handler: { box, message, ctx in try await Loop<S>.handle(&box, message, ctx) },
      describe: { ServerLoop<S>.describe($0) })
    return try await awaitStart(pending, address, timeout: timeout)
  }

  /// `start` for a `SyncGenServer`, from outside any process.
  public func start<S: SyncGenServer>(
    _ server: S, name: String? = nil, timeout: Timeout = .infinity, options: SpawnOptions = SpawnOptions()
  ) async throws(StartError) -> GenServerRef<S>? {
    let (ack, pending) = makeReply(StartAck.self)
    let address = spawn(
      ServerMessage<S>.self, state: ServerBox(server: server, parent: systemPid), options: options,
      start: { box, ctx in try SyncLoop<S>.start(&box, ctx, name: name, ack: ack) },
      handler: { box, message, ctx in SyncLoop<S>.handle(&box, message, ctx) },
      describe: { ServerLoop<S>.describe($0) })
    return try await awaitStart(pending, address, timeout: timeout)
  }

  func awaitStart<S: ServerTypes>(
    _ pending: RequestID<StartAck>, _ address: Address<ServerMessage<S>>, timeout: Timeout
  ) async throws(StartError) -> GenServerRef<S>? {
    let outcome: StartAck
    do {
      outcome = try await receiveResponse(pending, timeout: timeout)
    } catch {
      exit(address.pid, reason: .kill)
      throw .timeout
    }
    switch outcome {
    case .started: return GenServerRef(address)
    case .ignored: return nil
    case .alreadyStarted(let holder): throw .alreadyStarted(holder)
    case .failed(let reason): throw .failed(reason)
    }
  }
}
