// One process as a row of the top view, and a page of such rows ranked by a key.

/// One process's figures (a row of the top view, the live part of a tree node).
public struct ProcessRow: Sendable, Equatable {
  public var pid: ProcessID
  public var name: String?
  public var label: String?
  /// `waiting`, `runnable`, `running`, `waiting_reply`, `sleeping`.
  public var status: String
  public var reductions: UInt64
  /// Reductions over the interval since this connection's previous ranking; nil when
  /// the process was not seen then.
  public var reductionsDelta: UInt64?
  public var messageQueueLength: Int
  public var memory: Int
  /// `handler` or `body`.
  public var kind: String?
  /// The Swift type of its messages (a GenServer's shows the server type).
  public var messageType: String?
  /// Bytes read from and written to the sockets it owns (nil: it owns none).
  public var io: (bytesIn: UInt64, bytesOut: UInt64)?

  public init(
    pid: ProcessID, name: String? = nil, label: String? = nil, status: String, reductions: UInt64,
    reductionsDelta: UInt64? = nil, messageQueueLength: Int, memory: Int, kind: String? = nil, messageType: String? = nil,
    io: (bytesIn: UInt64, bytesOut: UInt64)? = nil
  ) {
    self.pid = pid
    self.name = name
    self.label = label
    self.status = status
    self.reductions = reductions
    self.reductionsDelta = reductionsDelta
    self.messageQueueLength = messageQueueLength
    self.memory = memory
    self.kind = kind
    self.messageType = messageType
    self.io = io
  }

  /// Equal field by field (the tuple is compared by its parts).
  public static func == (a: ProcessRow, b: ProcessRow) -> Bool {
    a.pid == b.pid && a.name == b.name && a.label == b.label && a.status == b.status && a.reductions == b.reductions
      && a.reductionsDelta == b.reductionsDelta && a.messageQueueLength == b.messageQueueLength && a.memory == b.memory
      && a.kind == b.kind && a.messageType == b.messageType && a.io?.bytesIn == b.io?.bytesIn && a.io?.bytesOut == b.io?.bytesOut
  }

  /// Registered name, else label, else message type: how the process is called.
  public var displayName: String { name ?? label ?? messageType ?? "" }

  var pairs: [(key: String, value: JSON)] {
    guard
      case .object(let p) = JSON.fields([
        "pid": pid.json, "name": name.map(JSON.string), "label": label.map(JSON.string), "status": .string(status),
        "reductions": .number(reductions), "reductions_delta": reductionsDelta.map { JSON.number($0) },
        "message_queue": .number(messageQueueLength), "memory": .number(memory), "kind": kind.map(JSON.string),
        "message_type": messageType.map(JSON.string), "io_in": io.map { JSON.number($0.bytesIn) },
        "io_out": io.map { JSON.number($0.bytesOut) },
      ])
    else { return [] }
    return p
  }

  public var json: JSON { .object(pairs) }

  public init(json: JSON) throws(ControlError) {
    try self.init(fields: try Fields(json, "process"))
  }

  init(fields f: Fields) throws(ControlError) {
    self.init(
      pid: try f.pid("pid"), name: try f.optionalString("name"), label: try f.optionalString("label"),
      status: try f.string("status"), reductions: try f.count("reductions"),
      reductionsDelta: try f.optionalCount("reductions_delta"),
      messageQueueLength: try f.int("message_queue"), memory: try f.int("memory"), kind: try f.optionalString("kind"),
      messageType: try f.optionalString("message_type"), io: try ProcessRow.io(f))
  }

  /// `io_in` and `io_out`, present together or not at all.
  private static func io(_ f: Fields) throws(ControlError) -> (bytesIn: UInt64, bytesOut: UInt64)? {
    guard let bytesIn = try f.optionalCount("io_in") else { return nil }
    return (bytesIn, try f.count("io_out"))
  }
}

/// What the top view ranks processes by (observer_cli's keys in brackets).
public enum TopSort: String, Sendable, CaseIterable {
  /// Reductions since the process started [r].
  case reductions
  /// Reductions over the last interval [rr].
  case reductionsRate = "reductions_rate"
  /// Message queue length [mq].
  case messageQueue = "message_queue"
  /// Memory [m].
  case memory

  /// observer_cli's key for it.
  public var key: String {
    switch self {
    case .reductions: return "r"
    case .reductionsRate: return "rr"
    case .messageQueue: return "mq"
    case .memory: return "m"
    }
  }

  /// From its name or its key.
  public init?(name: String) {
    if let s = TopSort(rawValue: name) {
      self = s
    } else if let s = TopSort.allCases.first(where: { $0.key == name }) {
      self = s
    } else {
      return nil
    }
  }
}

/// A page of processes ranked by a key (the `top` operation).
public struct TopPage: Sendable, Equatable {
  public var sort: TopSort
  /// Live processes ranked.
  public var total: Int
  public var offset: Int
  /// Seconds since this connection's previous ranking (what `reductionsDelta` covers).
  public var interval: Double?
  public var rows: [ProcessRow]

  public init(sort: TopSort, total: Int, offset: Int, interval: Double?, rows: [ProcessRow]) {
    self.sort = sort
    self.total = total
    self.offset = offset
    self.interval = interval
    self.rows = rows
  }

  public var json: JSON {
    .fields([
      "sort": .string(sort.rawValue), "total": .number(total), "offset": .number(offset),
      "interval_s": interval.map(JSON.double), "rows": .array(rows.map(\.json)),
    ])
  }

  public init(json: JSON) throws(ControlError) {
    let f = try Fields(json, "top")
    let name = try f.string("sort")
    guard let sort = TopSort(name: name) else { throw .badRequest("top: unknown sort \"\(name)\"") }
    self.init(
      sort: sort, total: try f.int("total"), offset: try f.int("offset"), interval: try f.optionalDouble("interval_s"),
      rows: try f.array("rows") { (j) throws(ControlError) in try ProcessRow(json: j) })
  }
}
