// Every live process, for enumeration (introspection, shutdown). Sharded so that spawns
// and exits on different threads rarely meet on one lock.
import Synchronization

final class ProcessTable: Sendable {
  private final class Shard: Sendable {
    let map = Mutex<[UInt64: ProcessCore]>([:])
  }

  private let shards: [Shard] = (0..<16).map { _ in Shard() }
  private let live = Atomic<Int>(0)
  let spawned = Atomic<UInt64>(0)

  func insert(_ p: ProcessCore) {
    shards[Int(p.id & 15)].map.withLock { $0[p.id] = p }
    live.add(1, ordering: .relaxed)
    spawned.add(1, ordering: .relaxed)
  }

  func remove(_ p: ProcessCore) {
    let removed = shards[Int(p.id & 15)].map.withLock { $0.removeValue(forKey: p.id) != nil }
    if removed { live.subtract(1, ordering: .relaxed) }
  }

  func lookup(_ id: UInt64) -> ProcessCore? {
    shards[Int(id & 15)].map.withLock { $0[id] }
  }

  var count: Int { live.load(ordering: .relaxed) }

  /// A snapshot of all live processes, in no particular order. Holds each shard's lock
  /// only while copying that shard.
  func all() -> [ProcessCore] {
    var out: [ProcessCore] = []
    out.reserveCapacity(count + 16)
    for s in shards { s.map.withLock { out.append(contentsOf: $0.values) } }
    return out
  }
}

/// Registered names (Erlang's `register/2`).
final class Registry: Sendable {
  private let names = Mutex<[String: ProcessCore]>([:])

  func register(_ name: String, _ p: ProcessCore) throws(ProcessError) {
    if name.isEmpty { throw .invalidName(name) }
    try names.withLock { (table) throws(ProcessError) -> Void in
      if table[name] != nil { throw ProcessError.nameTaken(name) }
      let problem: ProcessError? = p.lock.withLock {
        if p.runState == .dead { return .noproc }
        if let existing = p.registeredName { return .alreadyRegistered(existing) }
        p.registeredName = name
        return nil
      }
      if let problem { throw problem }
      table[name] = p
    }
  }

  func unregister(_ name: String) throws(ProcessError) {
    try names.withLock { (table) throws(ProcessError) -> Void in
      guard let p = table.removeValue(forKey: name) else { throw ProcessError.notRegistered(name) }
      p.lock.withLock { p.registeredName = nil }
    }
  }

  func whereis(_ name: String) -> ProcessCore? { names.withLock { $0[name] } }

  /// Called on exit, before any exit signal or DOWN leaves the process.
  func releaseName(of p: ProcessCore) {
    names.withLock { table in
      let name: String? = p.lock.withLock {
        let n = p.registeredName
        p.registeredName = nil
        return n
      }
      if let name, table[name] === p { table.removeValue(forKey: name) }
    }
  }

  func all() -> [String: ProcessCore] { names.withLock { $0 } }
}
