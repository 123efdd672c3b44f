// One observer connection: a process that owns the socket, reads request lines, and
// answers each in order. Everything it does waits as a process (socket reads and writes,
// supervisors' answers, a process describing its state), never on its thread; a large
// answer is written in pieces, waiting while the socket's queue is full.
import Actors
import GenServer
import Glibc
import Supervision

/// What every connection of one endpoint knows.
struct EndpointConfig: Sendable {
  let path: String
  let root: TreeRoot
  /// The endpoint process (the tree's `automatic` root is the topmost supervisor above it).
  let endpoint: Pid
  /// The operations the application added, by name.
  let operations: [String: ControlOperation]
}

struct Connection {
  let config: EndpointConfig
  let socket: Socket
  var sampler = Sampler()
  var generation = 0

  /// The connection process's body: takes the socket the endpoint hands over, then
  /// serves requests until the peer closes.
  static func serve(_ ctx: Context<ConnectionMessage>, _ config: EndpointConfig) async throws {
    let socket = try await ctx.receiveSocket()
    defer { socket.close() }
    // Only this user (or root) may talk to the node, whatever the socket file's mode.
    if let peer = socket.peerCredentials, peer.userID != geteuid(), peer.userID != 0 {
      let error = ControlError(.permissionDenied, "uid \(peer.userID) may not use the control endpoint of uid \(geteuid())")
      _ = socket.send(ControlProtocol.failure(id: nil, error).bytes + [0x0A])
      socket.closeWhenDone()
      return
    }
    try socket.setFraming(.line(maxLength: ControlProtocol.maximumRequestBytes))
    socket.setWatermarks(high: 4 << 20, low: 1 << 20, policy: .wait)
    var connection = Connection(config: config, socket: socket)
    while true {
      let line: [UInt8]
      do {
        guard let l = try await ctx.read(socket) else { return }
        line = l
      } catch SocketError.frameTooLong(let n) {
        let error = ControlError(.requestTooLong, "request of \(n) bytes or more; at most \(ControlProtocol.maximumRequestBytes) per line")
        try await connection.reply(ControlProtocol.failure(id: nil, error), ctx)
        continue
      }
      if line.allSatisfy({ $0 == 0x20 || $0 == 0x09 || $0 == 0x0D }) { continue }
      let response: JSON
      switch ControlRequest.parse(line, added: Set(config.operations.keys)) {
      case .failure(let failure):
        response = ControlProtocol.failure(id: failure.id, failure.error)
      case .success(let request):
        do throws(ControlError) {
          response = ControlProtocol.success(id: request.id, try await connection.handle(request, ctx))
        } catch {
          response = ControlProtocol.failure(id: request.id, error)
        }
      }
      try await connection.reply(response, ctx)
    }
  }

  /// Writes one response line, in pieces of at most 1 MiB.
  func reply(_ response: JSON, _ ctx: Context<ConnectionMessage>) async throws {
    var bytes: [UInt8] = []
    response.write(to: &bytes)
    bytes.append(0x0A)
    var start = 0
    while start < bytes.count {
      let end = min(bytes.count, start + (1 << 20))
      try await ctx.write(socket, bytes[start..<end])
      start = end
    }
  }

  // MARK: - Operations

  mutating func handle(_ request: ControlRequest, _ ctx: Context<ConnectionMessage>) async throws(ControlError) -> JSON {
    let f = request.fields
    let node = ctx.node
    guard let op = request.op else {
      guard let added = config.operations[request.name] else { throw ControlError(.unknownOp, "no operation \"\(request.name)\"") }
      try f.onlyKnown(ControlRequest.envelope.union(added.parameters))
      let parameters = JSON.object(f.pairs.filter { !ControlRequest.envelope.contains($0.key) })
      return try await added.run(parameters, node).get()
    }
    switch op {
    case .hello:
      try f.onlyKnown(ControlRequest.envelope)
      return .fields([
        "protocol": .number(ControlProtocol.version), "node": .string(node.name), "os_pid": .number(Int(getpid())),
        "socket": .string(config.path), "schedulers": .number(node.schedulerCount),
        "ops": .array((ControlProtocol.Op.allCases.map(\.rawValue) + config.operations.keys.sorted()).map { .string($0) }),
      ])
    case .stats:
      try f.onlyKnown(ControlRequest.envelope)
      return sampler.system(node).json
    case .top:
      try f.onlyKnown(ControlRequest.envelope.union(TopParameters.names))
      let p = try TopParameters(f)
      return sampler.top(node, sort: p.sort, limit: p.limit, offset: p.offset).json
    case .tree:
      try f.onlyKnown(ControlRequest.envelope.union(TreeParameters.names))
      return try await tree(TreeParameters(f), ctx).json
    case .snapshot:
      try f.onlyKnown(ControlRequest.envelope.union(["top", "tree", "processes", "sockets"]))
      var snapshot = Snapshot(system: sampler.system(node))
      if let top = try part(f, "top", byDefault: false) {
        let p = try TopParameters(top, "top")
        snapshot.top = sampler.top(node, sort: p.sort, limit: p.limit, offset: p.offset)
      }
      if let tree = try part(f, "tree", byDefault: true) {
        snapshot.tree = try await self.tree(try TreeParameters(tree, "tree"), ctx)
      }
      if try f.optionalBool("processes") ?? true { snapshot.processes = node.snapshot().sorted { $0.pid < $1.pid }.map(ProcessDetail.init) }
      if try f.optionalBool("sockets") ?? true { snapshot.sockets = node.sockets().map(SocketRow.init) }
      return snapshot.json
    case .process:
      try f.onlyKnown(ControlRequest.envelope.union(["pid", "state_timeout_ms", "messages"]))
      let pid = try process(f.pid("pid"), node)
      let wait = try milliseconds(f, "state_timeout_ms", default: 1000)
      let messages = try f.optionalInt("messages") ?? 20
      guard (0...1000).contains(messages) else { throw .badRequest("process: messages must be in 0...1000, not \(messages)") }
      return try await detail(pid, stateTimeout: wait, messages: messages, ctx).json
    case .processes:
      try f.onlyKnown(ControlRequest.envelope)
      return .fields(["processes": .array(node.snapshot().sorted { $0.pid < $1.pid }.map { ProcessDetail($0).json })])
    case .kill:
      try f.onlyKnown(ControlRequest.envelope.union(["pid", "reason"]))
      let pid = try process(f.pid("pid"), node)
      let reason = Connection.exitReason(try f.optionalString("reason") ?? "kill")
      node.exit(pid, reason: reason)
      return .fields(["pid": ProcessID(pid).json, "reason": .string(reason.description), "sent": .bool(true)])
    case .sockets:
      try f.onlyKnown(ControlRequest.envelope)
      return .fields(["sockets": .array(node.sockets().map { SocketRow($0).json })])
    case .restart:
      try f.onlyKnown(ControlRequest.envelope.union(["supervisor", "child"]))
      let supervisor = try process(f.pid("supervisor"), node)
      let child = try f.string("child")
      try await checkRestartable(child, of: supervisor, ctx)
      // The restart itself (a graceful stop, then a start that may wait for readiness)
      // runs in a helper: the connection answers at once and the tree shows the rest.
      let logger = node.logger
      ctx.spawn(Never.self, options: SpawnOptions(label: "control restart helper")) { helper in
        do throws(SupervisorError) {
          _ = try await helper.restartChild(of: supervisor, id: child, timeout: .infinity)
        } catch {
          logger.error(
            "restarting child \(child) of \(supervisor), as the observer asked, failed: \(error)",
            metadata: ["child": .string(child), "supervisor_pid": .string(supervisor.description)], source: "Control")
        }
      }
      return .fields(["supervisor": ProcessID(supervisor).json, "child": .string(child), "restarting": .bool(true)])
    case .memory:
      try f.onlyKnown(ControlRequest.envelope)
      return MemoryBreakdown(node.memoryReport()).json
    }
  }

  /// A part of a snapshot: absent → `byDefault`; `true`/`false`; or an object of the
  /// part's parameters. Nil when the part is not wanted.
  private func part(_ f: Fields, _ key: String, byDefault: Bool) throws(ControlError) -> Fields? {
    guard let v = f.value(key) else { return byDefault ? try Fields(.object([]), key) : nil }
    if let b = v.boolValue { return b ? try Fields(.object([]), key) : nil }
    return try Fields(v, key)
  }

  private mutating func tree(_ p: TreeParameters, _ ctx: Context<ConnectionMessage>) async throws(ControlError) -> SupervisionTree {
    generation += 1
    var gatherer = TreeGatherer(node: ctx.node, childLimit: p.childLimit, timeout: p.timeout, generation: generation)
    do {
      return try await gatherer.gather(config.root, endpoint: config.endpoint, ctx)
    } catch {
      throw ControlError(.internal, "gathering the tree failed: \(error)")
    }
  }

  private func detail(_ pid: Pid, stateTimeout: Duration, messages: Int, _ ctx: Context<ConnectionMessage>) async throws(ControlError)
    -> ProcessDetail
  {
    let node = ctx.node
    guard let info = node.processInfo(pid) else { throw ControlError(.noSuchProcess, "\(pid) has exited") }
    var detail = ProcessDetail(info)
    detail.sockets = node.sockets().filter { $0.owner == pid }.map(SocketRow.init)
    if messages > 0, let peek = node.queuedMessages(of: pid, limit: messages) {
      detail.messages = peek.messages.map(MessageRow.init)
      detail.messagesInBatch = peek.inBatch
    }
    do {
      if pid == ctx.pid {
        // This process cannot answer itself while it waits for the answer.
        detail.state = "(the connection serving this request)"
      } else {
        detail.state = try await node.describeState(of: pid, timeout: stateTimeout)
      }
    } catch .timeout {
      detail.stateError = "no answer within \(stateTimeout) (busy?)"
    } catch {
      detail.stateError = error.description
    }
    if pid.isSupervisor {
      do {
        if let report = try await ctx.supervisorReport(of: pid, childLimit: 0, timeout: .after(stateTimeout)) {
          detail.supervisor = SupervisorSummary(report)
        }
      } catch {
        detail.stateError = detail.stateError ?? error.description
      }
    }
    return detail
  }

  /// Throws unless `child` is a child of the static supervisor `supervisor`.
  private func checkRestartable(_ child: String, of supervisor: Pid, _ ctx: Context<ConnectionMessage>) async throws(ControlError) {
    let report: SupervisorReport?
    do {
      report = try await ctx.supervisorReport(of: supervisor, childLimit: 0, timeout: .seconds(5))
    } catch {
      throw ControlError(.timeout, "\(supervisor) did not answer: \(error)")
    }
    guard let report else { throw ControlError(.badRequest, "\(supervisor) is not a supervisor") }
    guard report.strategy != "simple_one_for_one" else {
      throw ControlError(.badRequest, "\(supervisor) is a dynamic supervisor: it restarts no child by id (kill the child instead)")
    }
    let children = try? await ctx.supervisorReport(of: supervisor, childLimit: nil, timeout: .seconds(5))?.children
    guard children?.contains(where: { $0.id == child }) == true else {
      throw ControlError(.badRequest, "\(supervisor) has no child \"\(child)\"")
    }
  }

  private func process(_ id: ProcessID, _ node: Node) throws(ControlError) -> Pid {
    guard let pid = node.pid(id: id.id) else { throw ControlError(.noSuchProcess, "no process \(id) (never was, or has exited)") }
    return pid
  }

  static func exitReason(_ text: String) -> ExitReason {
    switch text {
    case "kill": return .kill
    case "shutdown": return .shutdown
    case "normal": return .normal
    default: return .custom(text)
    }
  }
}

func milliseconds(_ f: Fields, _ key: String, default value: Int, range: ClosedRange<Int> = 1...60_000) throws(ControlError) -> Duration {
  let ms = try f.optionalInt(key) ?? value
  guard range.contains(ms) else {
    throw .badRequest("\(f.context): \(key) must be in \(range.lowerBound)...\(range.upperBound), not \(ms)")
  }
  return .milliseconds(ms)
}

/// The `top` operation's parameters.
struct TopParameters {
  static let names: Set<String> = ["sort", "limit", "offset"]
  var sort = TopSort.reductions
  var limit = 50
  var offset = 0

  init(_ f: Fields, _ context: String? = nil) throws(ControlError) {
    if context != nil { try f.onlyKnown(TopParameters.names) }
    if let name = try f.optionalString("sort") {
      guard let s = TopSort(name: name) else {
        throw .badRequest(
          "\(f.context): unknown sort \"\(name)\"; use one of \(TopSort.allCases.map { "\($0.key)/\($0.rawValue)" }.joined(separator: ", "))"
        )
      }
      sort = s
    }
    limit = try f.optionalInt("limit") ?? limit
    offset = try f.optionalInt("offset") ?? offset
    guard (1...10_000).contains(limit) else { throw .badRequest("\(f.context): limit must be in 1...10000, not \(limit)") }
    guard offset >= 0 else { throw .badRequest("\(f.context): offset must be ≥ 0, not \(offset)") }
  }
}

/// The `tree` operation's parameters.
struct TreeParameters {
  static let names: Set<String> = ["child_limit", "timeout_ms"]
  var childLimit = 100
  var timeout = Duration.seconds(1)

  init(_ f: Fields, _ context: String? = nil) throws(ControlError) {
    if context != nil { try f.onlyKnown(TreeParameters.names) }
    childLimit = try f.optionalInt("child_limit") ?? childLimit
    guard (0...100_000).contains(childLimit) else {
      throw .badRequest("\(f.context): child_limit must be in 0...100000, not \(childLimit)")
    }
    timeout = try milliseconds(f, "timeout_ms", default: 1000)
  }
}
