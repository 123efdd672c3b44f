// A process's link, monitor, socket and exit-hook tables, holding their first entry
// inline. Almost every process has at most one of each (a worker linked to its
// supervisor, monitored by one server, owning one socket): a `Set` or `Dictionary` with
// one entry is a heap block of 80 to 104 bytes, an `Array` with one entry 40 to 48, where
// the inline entry costs nothing more than the table's own field. A table that grows
// past one entry becomes the ordinary collection; emptied, it frees it.
// Inline, `PidSet` is 9 bytes (a pointer and a tag) and `RefTable` 17, against 8 for
// the collection they replace.

/// The pids a process is linked to.
@usableFromInline
enum PidSet: Sendable {
  case empty
  case one(Pid)
  case many(Set<Pid>)

  var isEmpty: Bool {
    if case .empty = self { return true }
    return false
  }

  var count: Int {
    switch self {
    case .empty: return 0
    case .one: return 1
    case .many(let s): return s.count
    }
  }

  /// Inserts `pid`; false if it was already there.
  @discardableResult
  mutating func insert(_ pid: Pid) -> Bool {
    switch self {
    case .empty:
      self = .one(pid)
      return true
    case .one(let p):
      if p == pid { return false }
      self = .many([p, pid])
      return true
    case .many(var s):
      self = .empty  // keep `s` uniquely referenced
      let inserted = s.insert(pid).inserted
      self = .many(s)
      return inserted
    }
  }

  /// Removes `pid`; false if it was not there.
  @discardableResult
  mutating func remove(_ pid: Pid) -> Bool {
    switch self {
    case .empty:
      return false
    case .one(let p):
      if p != pid { return false }
      self = .empty
      return true
    case .many(var s):
      self = .empty
      let removed = s.remove(pid) != nil
      if s.count == 1 {
        self = .one(s.first!)
      } else if !s.isEmpty {
        self = .many(s)
      }
      return removed
    }
  }

  var elements: [Pid] {
    switch self {
    case .empty: return []
    case .one(let p): return [p]
    case .many(let s): return Array(s)
    }
  }
}

/// Monitors: reference → the other process (the watched one, or the watcher).
@usableFromInline
enum RefTable: Sendable {
  case empty
  case one(Ref, ProcessCore)
  case many([Ref: ProcessCore])

  var isEmpty: Bool {
    if case .empty = self { return true }
    return false
  }

  var count: Int {
    switch self {
    case .empty: return 0
    case .one: return 1
    case .many(let d): return d.count
    }
  }

  subscript(ref: Ref) -> ProcessCore? {
    get {
      switch self {
      case .empty: return nil
      case .one(let r, let p): return r == ref ? p : nil
      case .many(let d): return d[ref]
      }
    }
    set {
      guard let newValue else {
        removeValue(forKey: ref)
        return
      }
      switch self {
      case .empty:
        self = .one(ref, newValue)
      case .one(let r, let p):
        self = r == ref ? .one(ref, newValue) : .many([r: p, ref: newValue])
      case .many(var d):
        self = .empty
        d[ref] = newValue
        self = .many(d)
      }
    }
  }

  @discardableResult
  mutating func removeValue(forKey ref: Ref) -> ProcessCore? {
    switch self {
    case .empty:
      return nil
    case .one(let r, let p):
      if r != ref { return nil }
      self = .empty
      return p
    case .many(var d):
      self = .empty
      let removed = d.removeValue(forKey: ref)
      if d.count == 1, let (r, p) = d.first {
        self = .one(r, p)
      } else if !d.isEmpty {
        self = .many(d)
      }
      return removed
    }
  }

  var values: [ProcessCore] {
    switch self {
    case .empty: return []
    case .one(_, let p): return [p]
    case .many(let d): return Array(d.values)
    }
  }

  var entries: [(Ref, ProcessCore)] {
    switch self {
    case .empty: return []
    case .one(let r, let p): return [(r, p)]
    case .many(let d): return d.map { ($0.key, $0.value) }
    }
  }
}

/// The sockets a process owns, in slots (`Socket.ownerSlot`): removal moves the last
/// one into the freed slot.
@usableFromInline
enum SocketList: Sendable {
  case empty
  case one(Socket)
  case many([Socket])

  var count: Int {
    switch self {
    case .empty: return 0
    case .one: return 1
    case .many(let a): return a.count
    }
  }

  var isEmpty: Bool { count == 0 }

  subscript(i: Int) -> Socket {
    get {
      switch self {
      case .empty: preconditionFailure("SocketList index out of range")
      case .one(let s):
        precondition(i == 0, "SocketList index out of range")
        return s
      case .many(let a): return a[i]
      }
    }
    set {
      switch self {
      case .empty: preconditionFailure("SocketList index out of range")
      case .one:
        precondition(i == 0, "SocketList index out of range")
        self = .one(newValue)
      case .many(var a):
        self = .empty
        a[i] = newValue
        self = .many(a)
      }
    }
  }

  mutating func append(_ socket: Socket) {
    switch self {
    case .empty: self = .one(socket)
    case .one(let s): self = .many([s, socket])
    case .many(var a):
      self = .empty
      a.append(socket)
      self = .many(a)
    }
  }

  mutating func removeLast() -> Socket {
    switch self {
    case .empty: preconditionFailure("removeLast from an empty SocketList")
    case .one(let s):
      self = .empty
      return s
    case .many(var a):
      self = .empty
      let last = a.removeLast()
      if a.count == 1 {
        self = .one(a[0])
      } else if !a.isEmpty {
        self = .many(a)
      }
      return last
    }
  }

  var elements: [Socket] {
    switch self {
    case .empty: return []
    case .one(let s): return [s]
    case .many(let a): return a
    }
  }
}

/// What runs when a process exits (`Context.onExit`), each with the number it was
/// given so it can be removed.
@usableFromInline
enum ExitHookList {
  @usableFromInline typealias Hook = (ExitReason) -> Void
  /// A struct, not a tuple: a closure in an array of tuples is stored behind a
  /// reabstraction thunk (a heap block per hook, and another each time it moves back
  /// inline); in a struct field it is stored as is.
  @usableFromInline struct Entry {
    let id: UInt32
    let hook: Hook
  }
  case empty
  case one(UInt32, Hook)
  case many([Entry])

  var isEmpty: Bool {
    if case .empty = self { return true }
    return false
  }

  mutating func append(_ id: UInt32, _ hook: @escaping Hook) {
    switch self {
    case .empty: self = .one(id, hook)
    case .one(let i, let h): self = .many([Entry(id: i, hook: h), Entry(id: id, hook: hook)])
    case .many(var a):
      self = .empty
      a.append(Entry(id: id, hook: hook))
      self = .many(a)
    }
  }

  /// Removes the hook numbered `id`; false if it is not there.
  @discardableResult
  mutating func remove(_ id: UInt32) -> Bool {
    switch self {
    case .empty:
      return false
    case .one(let i, _):
      if i != id { return false }
      self = .empty
      return true
    case .many(var a):
      guard let k = a.firstIndex(where: { $0.id == id }) else { return false }
      self = .empty
      a.remove(at: k)
      if a.count == 1 {
        self = .one(a[0].id, a[0].hook)
      } else if !a.isEmpty {
        self = .many(a)
      }
      return true
    }
  }

  /// The hooks, oldest first.
  var hooks: [Hook] {
    switch self {
    case .empty: return []
    case .one(_, let h): return [h]
    case .many(let a): return a.map(\.hook)
    }
  }
}
