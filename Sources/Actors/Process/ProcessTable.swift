// Every live process, for enumeration (introspection, shutdown). Sharded so that spawns
// and exits on different threads rarely meet on one lock.
import Synchronization

final class ProcessTable: Sendable {
  /// One shard: a slot array with a free list, as in ERTS. Inserting and removing touch
  /// only the process's own slot (an intrusive list would touch two cold neighbours).
  /// When a shard empties, or is mostly free, its arrays shrink back.
  /// `@unchecked Sendable`: all fields, and `tableSlot` of every member, are only used
  /// with `lock` held.
  private final class Shard: @unchecked Sendable {
    let lock = Lock()
    var slots: [ProcessCore?] = []
    var free: [Int32] = []
    var live = 0
    /// Reductions of the processes that left this shard (so that node-wide totals do
    /// not go down when processes exit).
    var exitedReductions: UInt64 = 0

    func insert(_ p: ProcessCore) {
      if let slot = free.popLast() {
        slots[Int(slot)] = p
        p.tableSlot = slot
      } else {
        p.tableSlot = Int32(slots.count)
        slots.append(p)
      }
      live += 1
    }

    func remove(_ p: ProcessCore) -> Bool {
      let slot = Int(p.tableSlot)
      guard slot >= 0, slot < slots.count, slots[slot] === p else { return false }
      slots[slot] = nil
      p.tableSlot = -1
      live -= 1
      exitedReductions &+= p.reductions.load(ordering: .relaxed)
      if live == 0 {
        slots = []
        free = []
      } else if slots.count > 1024 && live * 8 < slots.count {
        compact()
      } else {
        free.append(Int32(slot))
      }
      return true
    }

    private func compact() {
      var packed: [ProcessCore?] = []
      packed.reserveCapacity(live * 2)
      for case let q? in slots {
        q.tableSlot = Int32(packed.count)
        packed.append(q)
      }
      slots = packed
      free = []
    }
  }

  private let shards: [Shard] = (0..<16).map { _ in Shard() }
  private let live = Atomic<Int>(0)
  let spawned = Atomic<UInt64>(0)

  func insert(_ p: ProcessCore) {
    let shard = shards[Int(p.id & 15)]
    shard.lock.withLock { shard.insert(p) }
    live.add(1, ordering: .relaxed)
    spawned.add(1, ordering: .relaxed)
  }

  func remove(_ p: ProcessCore) {
    let shard = shards[Int(p.id & 15)]
    if shard.lock.withLock({ shard.remove(p) }) { live.subtract(1, ordering: .relaxed) }
  }

  var count: Int { live.load(ordering: .relaxed) }

  /// The live process numbered `id`, if any. Looks through one shard only.
  func find(id: UInt64) -> ProcessCore? {
    let shard = shards[Int(id & 15)]
    return shard.lock.withLock { shard.slots.first { $0?.id == id } ?? nil }
  }

  /// The live process numbered `id`, looked for first in `slot` (where it was when it
  /// was sampled), then through its shard.
  func find(id: UInt64, slot: Int32) -> ProcessCore? {
    let shard = shards[Int(id & 15)]
    return shard.lock.withLock {
      let i = Int(slot)
      if i >= 0, i < shard.slots.count, let p = shard.slots[i], p.id == id { return p }
      return shard.slots.first { $0?.id == id } ?? nil
    }
  }

  /// Calls `body` with every live process and its slot, under its shard's lock, a shard
  /// at a time: for reading atomics of many processes without copying the table or
  /// retaining anyone. `body` must take no lock: holding a shard's lock blocks spawns
  /// and exits in that shard, so the work inside must stay a few loads per process.
  func forEach(_ body: (ProcessCore, Int32) -> Void) {
    for s in shards {
      s.lock.withLock {
        for (i, slot) in s.slots.enumerated() {
          if let p = slot { body(p, Int32(i)) }
        }
      }
    }
  }

  /// Reductions of every process the table has held, live and exited. Reads atomics
  /// under each shard's lock in turn; copies nothing.
  func totalReductions() -> UInt64 {
    var total: UInt64 = 0
    for s in shards {
      s.lock.withLock {
        total &+= s.exitedReductions
        for case let p? in s.slots { total &+= p.reductions.load(ordering: .relaxed) }
      }
    }
    return total
  }

  /// Bytes of the shards' slot and free-list arrays (their capacity), for the memory
  /// report.
  var storageBytes: Int {
    shards.reduce(0) { total, s in
      total + s.lock.withLock { s.slots.capacity * MemoryLayout<ProcessCore?>.stride + s.free.capacity * MemoryLayout<Int32>.stride }
    }
  }

  /// A snapshot of all live processes, in no particular order. Holds each shard's lock
  /// only while copying that shard.
  func all() -> [ProcessCore] {
    var out: [ProcessCore] = []
    out.reserveCapacity(count + 16)
    for s in shards {
      s.lock.withLock {
        for case let p? in s.slots { out.append(p) }
      }
    }
    return out
  }
}

/// Registered names (Erlang's `register/2`).
final class Registry: Sendable {
  private let names = Locked<[String: ProcessCore]>([:])

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
