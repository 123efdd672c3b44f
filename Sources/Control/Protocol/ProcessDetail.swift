// One process in full (the process view), and a socket with its counters.

/// A socket as the observer shows it.
public struct SocketRow: Sendable, Equatable {
  public var id: UInt64
  /// `tcp`, `unix`, `tcpListener`, `unixListener`.
  public var kind: String
  public var local: String?
  public var peer: String?
  public var owner: ProcessID
  public var bytesIn: UInt64
  public var bytesOut: UInt64
  /// Bytes waiting in the write queue.
  public var queued: Int
  public var dropped: UInt64
  public var open: Bool

  public init(
    id: UInt64, kind: String, local: String?, peer: String?, owner: ProcessID, bytesIn: UInt64, bytesOut: UInt64, queued: Int,
    dropped: UInt64, open: Bool
  ) {
    self.id = id
    self.kind = kind
    self.local = local
    self.peer = peer
    self.owner = owner
    self.bytesIn = bytesIn
    self.bytesOut = bytesOut
    self.queued = queued
    self.dropped = dropped
    self.open = open
  }

  public var json: JSON {
    .fields([
      "id": .number(id), "kind": .string(kind), "local": local.map(JSON.string), "peer": peer.map(JSON.string),
      "owner": owner.json, "bytes_in": .number(bytesIn), "bytes_out": .number(bytesOut), "queued": .number(queued),
      "dropped": .number(dropped), "open": .bool(open),
    ])
  }

  public init(json: JSON) throws(ControlError) {
    let f = try Fields(json, "socket")
    self.init(
      id: try f.count("id"), kind: try f.string("kind"), local: try f.optionalString("local"), peer: try f.optionalString("peer"),
      owner: try f.pid("owner"), bytesIn: try f.count("bytes_in"), bytesOut: try f.count("bytes_out"),
      queued: try f.int("queued"), dropped: try f.count("dropped"), open: try f.bool("open"))
  }
}

/// Everything about one process (Erlang's `process_info/1` plus its state).
public struct ProcessDetail: Sendable, Equatable {
  public var row: ProcessRow
  public var parent: ProcessID?
  public var links: [ProcessID]
  /// Processes it monitors.
  public var monitors: [ProcessID]
  public var monitoredBy: [ProcessID]
  public var trapExit: Bool
  /// Seconds since it was spawned.
  public var age: Double
  /// Sockets owned (their count; `sockets` lists them in the `process` operation).
  public var socketCount: Int
  public var sockets: [SocketRow]
  /// The state as the process describes it (a GenServer: `formatStatus`, which redacts
  /// what it must); nil if it keeps no description or did not answer.
  public var state: String?
  /// Why `state` is missing, when it is not simply undescribed.
  public var stateError: String?
  /// For a supervisor.
  public var supervisor: SupervisorSummary?
  /// `row.memory` part by part (nil from a node that does not say).
  public var memoryParts: MemoryParts?
  /// The first messages waiting (the `process` operation's `messages` parameter; nil
  /// when not asked for).
  public var messages: [MessageRow]?
  /// Messages the process has taken into the batch it is working through: they come
  /// before `messages` and cannot be shown while it runs.
  public var messagesInBatch: Int

  public init(
    row: ProcessRow, parent: ProcessID?, links: [ProcessID], monitors: [ProcessID], monitoredBy: [ProcessID],
    trapExit: Bool, age: Double, socketCount: Int, sockets: [SocketRow] = [], state: String? = nil,
    stateError: String? = nil, supervisor: SupervisorSummary? = nil, memoryParts: MemoryParts? = nil,
    messages: [MessageRow]? = nil, messagesInBatch: Int = 0
  ) {
    self.row = row
    self.parent = parent
    self.links = links
    self.monitors = monitors
    self.monitoredBy = monitoredBy
    self.trapExit = trapExit
    self.age = age
    self.socketCount = socketCount
    self.sockets = sockets
    self.state = state
    self.stateError = stateError
    self.supervisor = supervisor
    self.memoryParts = memoryParts
    self.messages = messages
    self.messagesInBatch = messagesInBatch
  }

  public var json: JSON {
    var pairs = row.pairs
    guard
      case .object(let more) = JSON.fields([
        "parent": parent?.json, "links": .array(links.map(\.json)), "monitors": .array(monitors.map(\.json)),
        "monitored_by": .array(monitoredBy.map(\.json)), "trap_exit": .bool(trapExit), "age_s": .double(age),
        "socket_count": .number(socketCount), "sockets": sockets.isEmpty ? nil : .array(sockets.map(\.json)),
        "state": state.map(JSON.string), "state_error": stateError.map(JSON.string), "supervisor": supervisor?.json,
        "memory_parts": memoryParts?.json, "messages": messages.map { .array($0.map(\.json)) },
        "messages_in_batch": messagesInBatch > 0 ? .number(messagesInBatch) : nil,
      ])
    else { return .object(pairs) }
    pairs += more
    return .object(pairs)
  }

  public init(json: JSON) throws(ControlError) {
    let f = try Fields(json, "process")
    let pidList = { (j: JSON) throws(ControlError) -> ProcessID in try ProcessID(json: j, field: "process: a pid in a list") }
    self.init(
      row: try ProcessRow(fields: f), parent: try f.optionalPid("parent"), links: try f.array("links", pidList),
      monitors: try f.array("monitors", pidList), monitoredBy: try f.array("monitored_by", pidList),
      trapExit: try f.bool("trap_exit"), age: try f.double("age_s"), socketCount: try f.int("socket_count"),
      sockets: try f.array("sockets") { (j) throws(ControlError) in try SocketRow(json: j) },
      state: try f.optionalString("state"), stateError: try f.optionalString("state_error"),
      supervisor: try f.value("supervisor").map { (j) throws(ControlError) in try SupervisorSummary(json: j) },
      memoryParts: try f.value("memory_parts").map { (j) throws(ControlError) in try MemoryParts(json: j) },
      messages: try f.optionalArray("messages") { (j) throws(ControlError) in try MessageRow(json: j) },
      messagesInBatch: try f.optionalInt("messages_in_batch") ?? 0)
  }
}

/// Several views at once (the `snapshot` operation): what `observer --json` prints and
/// what the interactive observer fetches each refresh.
public struct Snapshot: Sendable, Equatable {
  public var system: SystemSummary
  public var top: TopPage?
  public var tree: SupervisionTree?
  public var processes: [ProcessDetail]?
  public var sockets: [SocketRow]?

  public init(
    system: SystemSummary, top: TopPage? = nil, tree: SupervisionTree? = nil, processes: [ProcessDetail]? = nil, sockets: [SocketRow]? = nil
  ) {
    self.system = system
    self.top = top
    self.tree = tree
    self.processes = processes
    self.sockets = sockets
  }

  public var json: JSON {
    .fields([
      "system": system.json, "top": top?.json, "tree": tree?.json,
      "processes": processes.map { .array($0.map(\.json)) }, "sockets": sockets.map { .array($0.map(\.json)) },
    ])
  }

  public init(json: JSON) throws(ControlError) {
    let f = try Fields(json, "snapshot")
    self.init(
      system: try SystemSummary(json: f.value("system") ?? .null),
      top: try f.value("top").map { (j) throws(ControlError) in try TopPage(json: j) },
      tree: try f.value("tree").map { (j) throws(ControlError) in try SupervisionTree(json: j) },
      processes: try f.optionalArray("processes") { (j) throws(ControlError) in try ProcessDetail(json: j) },
      sockets: try f.optionalArray("sockets") { (j) throws(ControlError) in try SocketRow(json: j) })
  }
}
