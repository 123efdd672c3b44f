// The node's memory as the `memory` operation answers it: the resident set split as the
// kernel splits it, the anonymous part into the allocator's heap and stacks, and the
// allocator's bytes in use into the parts the node can attribute and the rest — each
// part saying how it was counted. The figures add up: see `NodeMemory` (Actors).

/// Where a node's memory is (the `memory` operation; the observer's memory view).
public struct MemoryBreakdown: Sendable, Equatable {
  /// One part of the allocator's bytes in use.
  public struct Part: Sendable, Equatable {
    public var name: String
    public var bytes: UInt64
    /// How many things it covers (processes, sockets...), when that means something.
    public var count: Int?
    /// What was counted, and how (a measurement or an estimate).
    public var counted: String

    public init(name: String, bytes: UInt64, count: Int?, counted: String) {
      self.name = name
      self.bytes = bytes
      self.count = count
      self.counted = counted
    }

    var json: JSON {
      .fields(["name": .string(name), "bytes": .number(bytes), "count": count.map { .number($0) }, "counted": .string(counted)])
    }

    init(json: JSON) throws(ControlError) {
      let f = try Fields(json, "memory part")
      self.init(
        name: try f.string("name"), bytes: try f.count("bytes"), count: try f.optionalInt("count"), counted: try f.string("counted"))
    }
  }

  /// Processes of one message type.
  public struct ProcessType: Sendable, Equatable {
    public var type: String
    public var count: Int
    public var bytes: UInt64

    public init(type: String, count: Int, bytes: UInt64) {
      self.type = type
      self.count = count
      self.bytes = bytes
    }

    var json: JSON { .fields(["type": .string(type), "count": .number(count), "bytes": .number(bytes)]) }

    init(json: JSON) throws(ControlError) {
      let f = try Fields(json, "process type")
      self.init(type: try f.string("type"), count: try f.int("count"), bytes: try f.count("bytes"))
    }
  }

  /// VmRSS, and its parts: mapped files (the program and its libraries), anonymous
  /// memory, shared memory.
  public var residentTotal: UInt64
  public var residentFiles: UInt64
  public var residentAnonymous: UInt64
  public var residentShared: UInt64
  /// The main thread's stack (VmStk).
  public var mainStack: UInt64
  public var threads: Int
  /// The schedulers' stacks: reserved, and in memory.
  public var schedulerStacksReserved: UInt64
  public var schedulerStacksResident: UInt64
  /// The allocator: obtained from the kernel, in use, free inside.
  public var mallocHeap: UInt64
  public var mallocInUse: UInt64
  public var mallocFree: UInt64
  /// Parts of `mallocInUse`, largest first.
  public var parts: [Part]
  /// `mallocInUse` less the parts.
  public var unattributed: UInt64
  /// Anonymous memory less the heap and the stacks counted (negative when part of the
  /// heap is not resident).
  public var otherAnonymous: Int64
  /// Process memory by message type, largest first.
  public var processTypes: [ProcessType]

  public init(
    residentTotal: UInt64, residentFiles: UInt64, residentAnonymous: UInt64, residentShared: UInt64, mainStack: UInt64, threads: Int,
    schedulerStacksReserved: UInt64, schedulerStacksResident: UInt64, mallocHeap: UInt64, mallocInUse: UInt64, mallocFree: UInt64,
    parts: [Part], unattributed: UInt64, otherAnonymous: Int64, processTypes: [ProcessType]
  ) {
    self.residentTotal = residentTotal
    self.residentFiles = residentFiles
    self.residentAnonymous = residentAnonymous
    self.residentShared = residentShared
    self.mainStack = mainStack
    self.threads = threads
    self.schedulerStacksReserved = schedulerStacksReserved
    self.schedulerStacksResident = schedulerStacksResident
    self.mallocHeap = mallocHeap
    self.mallocInUse = mallocInUse
    self.mallocFree = mallocFree
    self.parts = parts
    self.unattributed = unattributed
    self.otherAnonymous = otherAnonymous
    self.processTypes = processTypes
  }

  public var json: JSON {
    .fields([
      "rss": .fields([
        "total": .number(residentTotal), "files": .number(residentFiles), "anonymous": .number(residentAnonymous),
        "shared": .number(residentShared),
      ]),
      "main_stack": .number(mainStack), "threads": .number(threads),
      "scheduler_stacks": .fields(["reserved": .number(schedulerStacksReserved), "resident": .number(schedulerStacksResident)]),
      "malloc": .fields(["heap": .number(mallocHeap), "in_use": .number(mallocInUse), "free": .number(mallocFree)]),
      "parts": .array(parts.map(\.json)), "unattributed": .number(unattributed), "other_anonymous": .int(otherAnonymous),
      "process_types": .array(processTypes.map(\.json)),
    ])
  }

  public init(json: JSON) throws(ControlError) {
    let f = try Fields(json, "memory")
    let rss = try f.object("rss")
    let stacks = try f.object("scheduler_stacks")
    let malloc = try f.object("malloc")
    guard let other = f.value("other_anonymous")?.intValue else { throw .badRequest("memory: missing field \"other_anonymous\"") }
    self.init(
      residentTotal: try rss.count("total"), residentFiles: try rss.count("files"), residentAnonymous: try rss.count("anonymous"),
      residentShared: try rss.count("shared"), mainStack: try f.count("main_stack"), threads: try f.int("threads"),
      schedulerStacksReserved: try stacks.count("reserved"), schedulerStacksResident: try stacks.count("resident"),
      mallocHeap: try malloc.count("heap"), mallocInUse: try malloc.count("in_use"), mallocFree: try malloc.count("free"),
      parts: try f.array("parts") { (j) throws(ControlError) in try Part(json: j) }, unattributed: try f.count("unattributed"),
      otherAnonymous: other, processTypes: try f.array("process_types") { (j) throws(ControlError) in try ProcessType(json: j) })
  }
}
