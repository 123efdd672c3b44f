// Memory a node's processes hold outside the runtime's sight — a database's page cache,
// an application's tables — reported by the process that owns it, so that the node's
// memory report (MemoryReport.swift) can say where the allocator's bytes went. A reporter
// belongs to the process that added it and goes when that process exits. The registry
// is written by those processes (add, and remove at exit), read by whoever asks for a
// report.
import Synchronization

/// The reporters of one node.
final class MemoryReporters: Sendable {
  struct Reporter: Sendable {
    let name: String
    let counted: String
    let bytes: @Sendable () -> UInt64
  }

  private let reporters = Mutex<[UInt64: Reporter]>([:])
  private let nextID = Atomic<UInt64>(1)

  func add(_ reporter: Reporter) -> UInt64 {
    let id = nextID.add(1, ordering: .relaxed).oldValue
    reporters.withLock { $0[id] = reporter }
    return id
  }

  func remove(_ id: UInt64) { reporters.withLock { _ = $0.removeValue(forKey: id) } }

  /// Every reporter's figure, in the order they were added. The figures are read outside
  /// the registry's lock (a reporter may take locks of its own).
  func read() -> [(name: String, counted: String, bytes: UInt64)] {
    let all = reporters.withLock { $0.sorted { $0.key < $1.key }.map(\.value) }
    return all.map { ($0.name, $0.counted, $0.bytes()) }
  }
}

extension Context {
  /// Reports memory this process holds that the runtime cannot see (a database's cache,
  /// a table it owns): `bytes` is read whenever the node's memory report is made, from
  /// another process, so it must be quick and thread-safe. `counted` says what the
  /// figure covers, for the people reading it. The report goes when this process exits.
  public func reportMemory(_ name: String, counted: String, _ bytes: @escaping @Sendable () -> UInt64) {
    let reporters = process.node.memoryReporters
    let id = reporters.add(MemoryReporters.Reporter(name: name, counted: counted, bytes: bytes))
    _ = onExit { _ in reporters.remove(id) }
  }
}
