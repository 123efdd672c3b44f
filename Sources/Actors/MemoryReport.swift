// Where a node's memory is: the kernel's resident set split as the kernel splits it
// (mapped files, anonymous memory), the anonymous part split into the allocator's heap
// and thread stacks, and the allocator's bytes in use split into what the runtime can
// attribute (processes, schedulers, sockets, its tables, what applications report) and
// what it cannot. Each figure says how it was counted, so that a reader can tell a
// measurement from an estimate — the point being that the figures add up, where a
// per-process "1 KB" against a "27 MB" RSS did not.
//
// Made on request (the observer's memory view), never on a hot path: it visits every
// process and socket (each under its own lock, briefly) and reads /proc/self/status.
import COtterSys

/// Where a node's memory is (`Node.memoryReport()`).
public struct NodeMemory: Sendable {
  /// Resident memory as the kernel counts it (/proc/self/status), in bytes.
  public struct Resident: Sendable, Equatable {
    /// VmRSS: all of it.
    public let total: UInt64
    /// RssFile: pages of mapped files — the program and its shared libraries (the Swift
    /// runtime, Foundation, ICU): code and read-only data, shared with every process
    /// that maps the same files.
    public let files: UInt64
    /// RssAnon: the allocator's heap, thread stacks, other private mappings.
    public let anonymous: UInt64
    /// RssShmem: shared memory.
    public let shared: UInt64
  }

  /// The C allocator's figures (mallinfo2, every arena), in bytes.
  public struct Allocator: Sendable, Equatable {
    /// Obtained from the kernel: the brk heap plus blocks mapped on their own.
    public let heap: UInt64
    /// Handed out and not freed.
    public let inUse: UInt64
    /// Free inside the heap (kept by the allocator for reuse).
    public let free: UInt64
  }

  /// One part of the allocator's bytes in use that the node can attribute.
  public struct Part: Sendable, Equatable {
    public let name: String
    /// Bytes: measured (allocation sizes) or estimated, as `counted` says.
    public let bytes: UInt64
    /// How many things it covers (processes, sockets...), if that is meaningful.
    public let count: Int?
    /// What was counted, and how.
    public let counted: String
  }

  /// The processes of one message type.
  public struct ProcessType: Sendable, Equatable {
    public let type: String
    public let count: Int
    public let bytes: UInt64
  }

  public let resident: Resident
  /// The main thread's stack (VmStk).
  public let mainStack: UInt64
  /// Threads of the OS process.
  public let threads: Int
  /// The schedulers' thread stacks: their size, and how much of it is in memory
  /// (mincore over each stack).
  public let schedulerStacksReserved: UInt64
  public let schedulerStacksResident: UInt64
  public let allocator: Allocator
  /// Parts of `allocator.inUse`, largest first; what they leave is `unattributed`.
  public let parts: [Part]
  /// Process memory by message type, largest first (at most ten types).
  public let processTypes: [ProcessType]

  /// Bytes in use that no part covers: the Swift runtime's metadata, Foundation's
  /// caches, Swift Tasks (body processes, suspended handlers), what process states point
  /// to (arrays, dictionaries, strings), and the allocator's per-block overhead.
  public var unattributed: UInt64 {
    let attributed = parts.reduce(UInt64(0)) { $0 &+ $1.bytes }
    return allocator.inUse > attributed ? allocator.inUse - attributed : 0
  }

  /// Anonymous memory that is neither the allocator's heap nor a stack counted here:
  /// other threads' stacks, the runtime's own mappings. Negative when part of the heap
  /// is not resident (pages the allocator gave back, or never touched).
  public var otherAnonymous: Int64 {
    Int64(resident.anonymous) - Int64(allocator.heap) - Int64(schedulerStacksResident) - Int64(mainStack)
  }
}

extension Node {
  /// Where this node's memory is. Visits every process and socket, briefly each: for the
  /// observer's memory view, not for a hot path.
  public func memoryReport() -> NodeMemory {
    var status = otter_memory_status()
    otter_memory_status(&status)

    // Processes: each one's object, mailbox and tables, and the totals by message type.
    var processBytes: UInt64 = 0
    var processCount = 0
    var byType: [String: (count: Int, bytes: UInt64)] = [:]
    for p in table.all() {
      let c = p.counters()
      guard c.status != .exited else { continue }
      processCount += 1
      processBytes &+= UInt64(c.memory)
      byType[p.messageTypeName, default: (0, 0)].count += 1
      byType[p.messageTypeName, default: (0, 0)].bytes &+= UInt64(c.memory)
    }
    let types = byType.map { NodeMemory.ProcessType(type: $0.key, count: $0.value.count, bytes: $0.value.bytes) }
      .sorted { $0.bytes != $1.bytes ? $0.bytes > $1.bytes : $0.type < $1.type }

    // Schedulers: fixed buffers, and the timers pending in their wheels.
    let wheelBytes = (4096 + 4096 / 64) * 8
    let perScheduler = 65_536 + wheelBytes + 256 * 12
    var schedulerBytes: UInt64 = 0
    var stackReserved: UInt64 = 0
    var stackResident: UInt64 = 0
    for s in schedulers {
      schedulerBytes &+= UInt64(perScheduler + s.timers.count * 96 + s.ioSourceCount.load(ordering: .relaxed) * 48)
      let base = s.stackBase.load(ordering: .acquiring)
      let size = s.stackSize.load(ordering: .relaxed)
      if base != 0 && size > 0 {
        stackReserved &+= UInt64(size)
        stackResident &+= otter_resident_bytes(base, size)
      }
    }

    // Sockets: their objects and what waits in their write queues.
    var socketBytes: UInt64 = 0
    var queued: UInt64 = 0
    let sockets = openSockets()
    for socket in sockets {
      socketBytes &+= UInt64(otter_malloc_usable_size(Unmanaged.passUnretained(socket).toOpaque()))
      queued &+= UInt64(max(0, socket.pendingBytes))
    }

    let names = registry.all().count
    var parts = [
      NodeMemory.Part(
        name: "processes", bytes: processBytes, count: processCount,
        counted: "each process object (its state inline), mailbox buffers, link/monitor/timer tables; not what states point to"),
      NodeMemory.Part(
        name: "schedulers", bytes: schedulerBytes, count: schedulers.count,
        counted: "estimate: a 64 KiB read buffer, a 33 KiB timing wheel and epoll events each; 96 B per pending timer"),
      NodeMemory.Part(
        name: "sockets", bytes: socketBytes &+ queued, count: sockets.count,
        counted: "socket objects, and \(queued) bytes queued to write; the kernel's socket buffers are kernel memory, not in RSS"),
      NodeMemory.Part(
        name: "process table, names", bytes: UInt64(table.storageBytes + names * 64), count: names,
        counted: "the process table's slots; registered names at about 64 B each"),
    ]
    for r in memoryReporters.read() {
      parts.append(NodeMemory.Part(name: r.name, bytes: r.bytes, count: nil, counted: r.counted))
    }
    parts.sort { $0.bytes > $1.bytes }

    return NodeMemory(
      resident: NodeMemory.Resident(
        total: status.resident, files: status.resident_file, anonymous: status.resident_anonymous, shared: status.resident_shared),
      mainStack: status.main_stack, threads: Int(status.threads), schedulerStacksReserved: stackReserved,
      schedulerStacksResident: stackResident,
      allocator: NodeMemory.Allocator(
        heap: status.malloc_arena &+ status.malloc_mmapped, inUse: status.malloc_in_use &+ status.malloc_mmapped,
        free: status.malloc_free),
      parts: parts, processTypes: Array(types.prefix(10)))
  }
}
