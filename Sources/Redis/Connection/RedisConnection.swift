// One connection to Redis, as a process that owns its socket. Callers send it commands
// (already encoded); it writes everything that has arrived in one write, reads the
// replies active-once, and answers callers strictly in order. It reconnects by itself
// with backoff, failing what was in flight, and restores subscriptions.
//
// Owner: all the state below belongs to the connection process (a value on its stack);
// it shares only its ConnectionSlot (current address, subscriptions).
import Actors

struct RedisConnection {
  /// What the connection is for.
  enum Role: Sendable {
    /// Commands from any caller, pipelined.
    case commands
    /// Subscriptions only (RESP2 allows nothing else on a subscribed connection).
    case subscriber
  }

  /// A subscribe waiting for Redis to confirm each name.
  private struct Confirmation {
    var kind: RedisSubscriptionKind
    var remaining: Set<String>
    var names: [String]
    var pid: Pid?
    var reply: ReplyTo<Result<Void, RedisError>>?
  }

  private let ctx: Context<ConnectionMessage>
  private let config: RedisConfiguration
  private let slot: ConnectionSlot
  private let role: Role

  private var socket: Socket?
  private var decoder = RESPDecoder()
  private var pending = PendingReplies()
  /// The replies collected so far for the batch at the head of `pending`.
  private var batchValues: [RESPValue] = []
  /// Bytes to write once the mailbox is drained.
  private var out: [UInt8] = []
  private var protocolVersion = 0
  private var subscriptions: SubscriptionTable
  private var monitors: [Pid: Ref] = [:]
  private var confirmations: [Confirmation] = []
  /// Names being unsubscribed by us (their confirmations are expected, not news).
  private var unsubscribing: [RedisSubscriptionKind: [String: Int]] = [:]
  /// Resubscribe confirmations still expected after a reconnect.
  private var resubscribing = 0
  private var lastError: String?
  private var attempt = 0
  private var nextAttempt: ContinuousClock.Instant?
  private var needsConnect = true
  private var triedOnce = false
  private var readyWaiters: [ReplyTo<Result<Void, RedisError>>] = []
  private var connections = 0
  private var closing = false
  private var ownerMonitor: Ref?

  /// The body of a connection process.
  /// - Parameter owner: a process whose end ends this connection (a dedicated
  ///   connection's user; a link would not do, as a normal exit does not travel on links).
  static func run(
    _ ctx: Context<ConnectionMessage>, config: RedisConfiguration, slot: ConnectionSlot, role: Role, owner: Pid? = nil
  ) async throws {
    var connection = RedisConnection(ctx: ctx, config: config, slot: slot, role: role)
    if let owner { connection.ownerMonitor = ctx.monitor(owner) }
    defer { slot.connected.store(false, ordering: .relaxed) }
    try await connection.loop()
  }

  private init(ctx: Context<ConnectionMessage>, config: RedisConfiguration, slot: ConnectionSlot, role: Role) {
    self.ctx = ctx
    self.config = config
    self.slot = slot
    self.role = role
    let restored = slot.state.withLock { $0.subscriptions }
    subscriptions = restored
    ctx.label = "redis \(role == .subscriber ? "pubsub" : "conn \(slot.index)") \(config.endpoint)"
    for s in restored.oneForEachSubscriber { monitors[s.pid] = ctx.monitor(s.pid) }
  }

  private mutating func loop() async throws {
    while true {
      if needsConnect {
        needsConnect = false
        await connect()
      }
      guard let message = try await ctx.receive() else { continue }
      handle(message)
      while !needsConnect, !closing, let more = try await ctx.receive(timeout: .zero) { handle(more) }
      flush()
      if closing {
        pending.failAll(.stopped)
        socket?.close()
        return
      }
    }
  }

  private mutating func handle(_ message: Message<ConnectionMessage>) {
    switch message {
    case .message(let m): handleRequest(m)
    case .io(let s, let event):
      guard s === socket else { return }
      handleSocket(event)
    case .down(let ref, let pid, _):
      if ref == ownerMonitor { closing = true } else { subscriberEnded(pid) }
    case .timer(_, .reconnect): needsConnect = true
    default: break
    }
  }

  // MARK: - Requests

  private mutating func handleRequest(_ message: ConnectionMessage) {
    switch message {
    case .command(let bytes, let reply):
      guard socket != nil else {
        reply.reply(.failure(.notConnected(notConnectedReason)))
        return
      }
      guard reply.isOpen else { return }  // its caller gave up before it was sent
      out.append(contentsOf: bytes)
      pending.append(.one(reply))
    case .batch(let bytes, let count, let reply):
      guard socket != nil else {
        reply.reply(.failure(.notConnected(notConnectedReason)))
        return
      }
      guard reply.isOpen else { return }
      if count == 0 {
        reply.reply(.success([]))
        return
      }
      out.append(contentsOf: bytes)
      pending.append(.batch(reply, count: count))
    case .subscribe(let kind, let names, let subscriber, let reply):
      guard socket != nil else {
        reply.reply(.failure(.notConnected(notConnectedReason)))
        return
      }
      if monitors[subscriber.pid] == nil { monitors[subscriber.pid] = ctx.monitor(subscriber.pid) }
      let fresh = subscriptions.add(kind, names, subscriber)
      saveSubscriptions()
      for command in commands(kind.subscribeCommand, kind, fresh) { out.append(contentsOf: command.bytes) }
      // Wait for Redis to confirm the new names, and any of these still unconfirmed.
      let waiting = Set(names).filter { name in
        fresh.contains(name) || confirmations.contains { $0.kind == kind && $0.remaining.contains(name) }
      }
      if waiting.isEmpty {
        reply.reply(.success(()))
        return
      }
      confirmations.append(Confirmation(kind: kind, remaining: waiting, names: names, pid: subscriber.pid, reply: reply))
    case .unsubscribe(let kind, let names, let pid, let reply):
      let emptied = subscriptions.remove(kind, names, pid: pid)
      saveSubscriptions()
      if !subscriptions.contains(pid: pid), let ref = monitors.removeValue(forKey: pid) { _ = ctx.demonitor(ref, flush: true) }
      sendUnsubscribe(kind, emptied)
      reply.reply(.success(()))
    case .awaitReady(let reply):
      if !triedOnce {
        readyWaiters.append(reply)
      } else {
        reply.reply(socket != nil ? .success(()) : .failure(.notConnected(notConnectedReason)))
      }
    case .status(let reply):
      reply.reply(
        RedisConnectionStatus(
          connected: socket != nil, protocolVersion: protocolVersion, inFlight: pending.count, subscriptions: subscriptions.count,
          connections: connections, lastError: lastError))
    case .reconnect:
      needsConnect = socket == nil
    case .close:
      closing = true
    }
  }

  private mutating func sendUnsubscribe(_ kind: RedisSubscriptionKind, _ names: [String]) {
    guard !names.isEmpty, socket != nil else { return }
    for name in names { unsubscribing[kind, default: [:]][name, default: 0] += 1 }
    for command in commands(kind.unsubscribeCommand, kind, names) { out.append(contentsOf: command.bytes) }
  }

  /// One (UN)SUBSCRIBE for all the names; for shard channels one per slot, as Redis
  /// Cluster refuses shard channels of several slots in one command (CROSSSLOT).
  private func commands(_ name: String, _ kind: RedisSubscriptionKind, _ names: [String]) -> [RedisCommand] {
    guard !names.isEmpty else { return [] }
    guard kind == .shard else { return [RedisCommand(arguments: [name] + names)] }
    var bySlot: [Int: [String]] = [:]
    for n in names { bySlot[HashSlot.of(n), default: []].append(n) }
    return bySlot.keys.sorted().map { RedisCommand(arguments: [name] + bySlot[$0]!) }
  }

  private mutating func subscriberEnded(_ pid: Pid) {
    monitors[pid] = nil
    let emptied = subscriptions.removeAll(pid: pid)
    saveSubscriptions()
    for (kind, names) in emptied { sendUnsubscribe(kind, names) }
  }

  private func saveSubscriptions() {
    let table = subscriptions
    slot.state.withLock { $0.subscriptions = table }
  }

  private var notConnectedReason: String {
    var why = lastError ?? "connecting to \(config.endpoint)"
    if let next = nextAttempt {
      let left = max(0, (next - ContinuousClock.now) / .milliseconds(1))
      why += "; reconnecting, next attempt in \(Int(left.rounded())) ms"
    }
    return why
  }

  // MARK: - Writing

  private mutating func flush() {
    guard !out.isEmpty, let socket else { return }
    let chunk = out
    out = []
    if socket.send(chunk) == .closed { lose("the connection to \(config.endpoint) closed while writing") }
  }

  // MARK: - Reading

  private mutating func handleSocket(_ event: SocketEvent) {
    switch event {
    case .data(let bytes):
      decoder.feed(bytes)
      do {
        while socket != nil, let value = try decoder.next() { handleValue(value) }
      } catch {
        return lose("\(config.endpoint) sent something that is not RESP (\(error))", protocolError: true)
      }
      if let socket {
        do { try ctx.activate(socket, .once) } catch { lose("\(error)") }
      }
    case .closed: lose("\(config.endpoint) closed the connection")
    case .error(let e): lose("\(config.endpoint): \(e)")
    default: break
    }
  }

  private mutating func handleValue(_ value: RESPValue) {
    if case .push(let items) = value, handlePush(items) { return }
    if protocolVersion == 2, role == .subscriber, case .array(let items) = value, handlePush(items) { return }
    guard let head = pending.first else {
      // Redis answers a refused subscribe with an error, not a push.
      if case .error(let e) = value, let i = confirmations.firstIndex(where: { $0.reply != nil }) {
        let c = confirmations.remove(at: i)
        if let pid = c.pid {
          _ = subscriptions.remove(c.kind, c.names, pid: pid)
          saveSubscriptions()
        }
        c.reply?.reply(.failure(.server(e)))
        return
      }
      return lose("\(config.endpoint) sent a reply no command was waiting for (\(value.typeName))", protocolError: true)
    }
    switch head {
    case .one(let reply):
      _ = pending.removeFirst()
      reply.reply(.success(value))
    case .batch(let reply, let count):
      batchValues.append(value)
      if batchValues.count == count {
        _ = pending.removeFirst()
        reply.reply(.success(batchValues))
        batchValues = []
      }
    case .own:
      _ = pending.removeFirst()
    }
  }

  /// Handles pub/sub traffic; false if `items` is not (a RESP2 `pong` is a reply).
  private mutating func handlePush(_ items: [RESPValue]) -> Bool {
    guard let word = items.first?.bytes else { return false }
    // Every published message passes here: recognise the word by its bytes (no String).
    switch PushWord(word) {
    case .message:
      guard items.count >= 3, let channel = items[1].string, let payload = items[2].bytes else { return true }
      deliver(.channel, channel, RedisPubSubMessage(kind: .channel, channel: channel, payload: payload))
    case .smessage:
      guard items.count >= 3, let channel = items[1].string, let payload = items[2].bytes else { return true }
      deliver(.shard, channel, RedisPubSubMessage(kind: .shard, channel: channel, payload: payload))
    case .pmessage:
      guard items.count >= 4, let pattern = items[1].string, let channel = items[2].string, let payload = items[3].bytes else {
        return true
      }
      deliver(.pattern, pattern, RedisPubSubMessage(kind: .pattern, channel: channel, pattern: pattern, payload: payload))
    case .subscribe: confirmed(.channel, items)
    case .psubscribe: confirmed(.pattern, items)
    case .ssubscribe: confirmed(.shard, items)
    case .unsubscribe: unsubscribed(.channel, items)
    case .punsubscribe: unsubscribed(.pattern, items)
    case .sunsubscribe: unsubscribed(.shard, items)
    case .pong: return false
    default: break  // invalidations and other pushes we did not ask for
    }
    return true
  }

  private func deliver(_ kind: RedisSubscriptionKind, _ name: String, _ message: RedisPubSubMessage) {
    guard let subscribers = subscriptions.subscribers(kind, name) else { return }
    for s in subscribers { s.deliver(.message(message)) }
  }

  private mutating func confirmed(_ kind: RedisSubscriptionKind, _ items: [RESPValue]) {
    guard items.count >= 2, let name = items[1].string else { return }
    var i = 0
    while i < confirmations.count {
      if confirmations[i].kind == kind, confirmations[i].remaining.remove(name) != nil, confirmations[i].remaining.isEmpty {
        let c = confirmations.remove(at: i)
        if let reply = c.reply {
          reply.reply(.success(()))
        } else {
          resubscribing -= 1
          if resubscribing == 0 { for s in subscriptions.oneForEachSubscriber { s.deliver(.resubscribed) } }
        }
        continue
      }
      i += 1
    }
  }

  private mutating func unsubscribed(_ kind: RedisSubscriptionKind, _ items: [RESPValue]) {
    guard items.count >= 2, let name = items[1].string else { return }
    if let n = unsubscribing[kind]?[name] {
      unsubscribing[kind]?[name] = n > 1 ? n - 1 : nil
      return
    }
    // Not asked for: the server ended it (a shard channel whose slot moved away).
    guard let subscribers = subscriptions.subscribers(kind, name).map(Array.init) else { return }
    for s in subscribers {
      _ = subscriptions.remove(kind, [name], pid: s.pid)
      s.deliver(.disconnected(reason: "Redis ended the subscription to \(kind.rawValue) \(name) (its slot moved to another node)"))
    }
    saveSubscriptions()
  }

  // MARK: - Connecting

  private mutating func connect() async {
    nextAttempt = nil
    do {
      let s = try await open()
      // Pipelined bursts of many callers: room for 64 MiB waiting to be written (a
      // server that stops reading for that long loses the connection: bounded memory).
      s.setWatermarks(high: 64 << 20, policy: .close)
      decoder = RESPDecoder()
      try await handshake(s)
      socket = s
      slot.connected.store(true, ordering: .relaxed)
      attempt = 0
      connections += 1
      lastError = nil
      try ctx.activate(s, .once)
      resubscribe()
      flush()
      for w in readyWaiters { w.reply(.success(())) }
    } catch let error as ProcessExit {
      _ = error
      return
    } catch {
      socket?.close()
      socket = nil
      if case .notConnected(let why) = error as? RedisError { lastError = why } else { lastError = "\(config.endpoint): \(error)" }
      let delay = config.reconnectBackoff.delay(attempt: attempt, random: Double.random(in: 0..<1))
      attempt += 1
      nextAttempt = .now + delay
      ctx.startTimer(delay, .reconnect)
      for w in readyWaiters { w.reply(.failure(.notConnected(notConnectedReason))) }
    }
    readyWaiters = []
    triedOnce = true
  }

  private func open() async throws -> Socket {
    let timeout = Timeout.after(config.connectTimeout)
    do {
      switch config.endpoint {
      case .tcp(let host, let port): return try await ctx.connect(tcp: host, port: port, timeout: timeout)
      case .unix(let path): return try await ctx.connect(unix: path, timeout: timeout)
      }
    } catch let e as SocketError {
      switch e {
      case .system(_, let errno) where errno == 111: throw RedisError.notConnected("connection refused by \(config.endpoint)")
      case .system(_, let errno) where errno == 2: throw RedisError.notConnected("no Unix socket at \(config.endpoint)")
      case .timeout: throw RedisError.notConnected("connecting to \(config.endpoint) took over \(config.connectTimeout)")
      default: throw RedisError.notConnected("cannot connect to \(config.endpoint): \(e)")
      }
    }
  }

  /// HELLO (or AUTH and CLIENT SETNAME on RESP2), then SELECT: each reply read before the
  /// connection takes commands.
  private mutating func handshake(_ s: Socket) async throws {
    let deadline = ContinuousClock.now + config.connectTimeout
    protocolVersion = 2
    if config.protocolVersion == .resp3 {
      var hello: [String] = ["HELLO", "3"]
      if let password = config.password { hello += ["AUTH", config.username ?? "default", password] }
      if let name = config.clientName { hello += ["SETNAME", name] }
      let reply = try await roundTrip(s, [RedisCommand(hello)], deadline: deadline)[0]
      if case .error(let e) = reply {
        if e.code == "NOPROTO" || e.message.lowercased().contains("unknown command") {
          protocolVersion = 2  // Redis before 6: speak RESP2
        } else {
          throw handshakeError("HELLO", e)
        }
      } else {
        protocolVersion = reply.dictionary?["proto"]?.int ?? 3
      }
    }
    var setup: [(String, RedisCommand)] = []
    if protocolVersion == 2 {
      if let password = config.password {
        setup.append(("AUTH", config.username.map { RedisCommand("AUTH", $0, password) } ?? RedisCommand("AUTH", password)))
      }
      if let name = config.clientName { setup.append(("CLIENT SETNAME", RedisCommand("CLIENT", "SETNAME", name))) }
    }
    if config.database != 0 { setup.append(("SELECT", RedisCommand("SELECT", config.database))) }
    guard !setup.isEmpty else { return }
    let replies = try await roundTrip(s, setup.map(\.1), deadline: deadline)
    for (i, reply) in replies.enumerated() {
      if case .error(let e) = reply { throw handshakeError(setup[i].0, e) }
    }
  }

  private func handshakeError(_ step: String, _ e: RedisServerError) -> RedisError {
    switch e.kind {
    case .loading: return .notConnected("\(config.endpoint) is loading its dataset into memory (\(e.message))")
    case .wrongPassword, .noAuth: return .notConnected("authentication to \(config.endpoint) failed: \(e.message)")
    default: return .notConnected("\(step) failed at \(config.endpoint): \(e.message)")
    }
  }

  /// Writes `commands` and reads their replies, before the socket is active.
  private mutating func roundTrip(_ s: Socket, _ commands: [RedisCommand], deadline: ContinuousClock.Instant) async throws
    -> [RESPValue]
  {
    var bytes: [UInt8] = []
    for c in commands { bytes += c.bytes }
    guard s.send(bytes) != .closed else { throw RedisError.notConnected("\(config.endpoint) closed the connection") }
    var replies: [RESPValue] = []
    while replies.count < commands.count {
      if let v = try decoder.next() {
        replies.append(v)
        continue
      }
      let left = deadline - .now
      guard left > .zero else {
        throw RedisError.notConnected("\(config.endpoint) did not answer the handshake in \(config.connectTimeout)")
      }
      let chunk: [UInt8]?
      do {
        chunk = try await ctx.read(s, timeout: .after(left))
      } catch SocketError.timeout {
        throw RedisError.notConnected("\(config.endpoint) did not answer the handshake in \(config.connectTimeout)")
      }
      guard let chunk else { throw RedisError.notConnected("\(config.endpoint) closed the connection during the handshake") }
      decoder.feed(chunk)
    }
    return replies
  }

  /// After a reconnect: SUBSCRIBE again to everything subscribers still want.
  private mutating func resubscribe() {
    resubscribing = 0
    for kind in RedisSubscriptionKind.allCases {
      let names = subscriptions.names(kind)
      guard !names.isEmpty else { continue }
      for command in commands(kind.subscribeCommand, kind, names) { out.append(contentsOf: command.bytes) }
      confirmations.append(Confirmation(kind: kind, remaining: Set(names), names: names, pid: nil, reply: nil))
      resubscribing += 1
    }
  }

  /// The connection is gone: fail what was in flight, tell subscribers, reconnect.
  private mutating func lose(_ reason: String, protocolError: Bool = false) {
    socket?.close()
    socket = nil
    slot.connected.store(false, ordering: .relaxed)
    lastError = reason
    pending.failAll(protocolError ? .protocolError(reason) : .connectionLost(reason))
    batchValues = []
    out = []
    unsubscribing = [:]
    resubscribing = 0
    for c in confirmations {
      if let pid = c.pid { _ = subscriptions.remove(c.kind, c.names, pid: pid) }
      c.reply?.reply(.failure(.connectionLost(reason)))
    }
    confirmations = []
    saveSubscriptions()
    for s in subscriptions.oneForEachSubscriber { s.deliver(.disconnected(reason: reason)) }
    needsConnect = true
  }
}
