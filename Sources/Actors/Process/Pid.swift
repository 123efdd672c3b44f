// Process identifiers and references.
//
// A `Pid` is one pointer wide: it holds the process object itself, so sending needs no
// table lookup. A dead process keeps only its small core alive while pids to it exist;
// its mailbox, state and tables are released when it exits.

/// Identifies a process for its whole life and after: pids are never reused within a node.
/// Printed like Erlang's, `<0.42.0>`.
public struct Pid: Hashable, Sendable, Comparable, CustomStringConvertible {
  @usableFromInline let core: ProcessCore

  @inlinable init(_ core: ProcessCore) { self.core = core }

  /// The process number, unique for its node's lifetime (for a process of another
  /// node, its number there).
  public var id: UInt64 {
    if _slowPath(core.isRemote), let r = core.remoteIdentity { return r.id }
    return core.id
  }

  /// Whether the process is still running (a snapshot: it may exit right after).
  public var isAlive: Bool { core.isAlive }

  /// The typed address of this process if it takes messages of type `M`, else nil.
  public func address<M: Sendable>(as type: M.Type) -> Address<M>? {
    (core as? Process<M>).map(Address.init)
  }

  /// Equal when they name the same process: the same object, or two proxies for the
  /// same process of another node (one typed, one not).
  public static func == (lhs: Pid, rhs: Pid) -> Bool {
    if lhs.core === rhs.core { return true }
    guard _slowPath(lhs.core.isRemote && rhs.core.isRemote) else { return false }
    return lhs.core.remoteIdentity == rhs.core.remoteIdentity
  }
  public static func < (lhs: Pid, rhs: Pid) -> Bool {
    let (l, r) = (lhs.core.remoteIdentity, rhs.core.remoteIdentity)
    if l == nil && r == nil { return lhs.core.id < rhs.core.id }
    return (l?.nodeIndex ?? 0, l?.id ?? lhs.core.id) < (r?.nodeIndex ?? 0, r?.id ?? rhs.core.id)
  }
  public func hash(into hasher: inout Hasher) {
    if _slowPath(core.isRemote), let r = core.remoteIdentity {
      hasher.combine(r)
    } else {
      hasher.combine(core.id)
    }
  }
  /// `<0.42.0>` for a process of this node; `<N.42.0>` for one of another node, N being
  /// the number this node gave that node (as Erlang prints them).
  public var description: String {
    if _slowPath(core.isRemote), let r = core.remoteIdentity { return "<\(r.nodeIndex).\(r.id).0>" }
    return "<0.\(core.id).0>"
  }

  /// The node this process runs on, if another node's (nil: this node).
  public var remoteNode: String? { core.isRemote ? core.remoteIdentity?.nodeName : nil }
}

/// The typed address of a process: what you send its messages to. Sending through an
/// address is checked by the compiler; `pid` gives the untyped identity for links,
/// monitors and exit signals.
public struct Address<M: Sendable>: Hashable, Sendable, CustomStringConvertible {
  @usableFromInline let process: Process<M>

  @inlinable init(_ process: Process<M>) { self.process = process }

  /// The process behind this address.
  @inlinable public var pid: Pid { Pid(process) }

  /// Sends `message`. Never blocks and never fails: a message to a dead process is
  /// dropped, as in Erlang. Messages from one sender to one receiver keep their order.
  @inlinable public func send(_ message: M) {
    process.deliver(message)
  }

  public static func == (lhs: Address, rhs: Address) -> Bool { lhs.pid == rhs.pid }
  public func hash(into hasher: inout Hasher) { hasher.combine(pid) }
  public var description: String { pid.description }
}

/// A unique reference (Erlang's `make_ref()`): monitors, timers and requests are named by one.
public struct Ref: Hashable, Sendable, Comparable, CustomStringConvertible {
  public let id: UInt64
  @inlinable init(id: UInt64) { self.id = id }
  public static func < (lhs: Ref, rhs: Ref) -> Bool { lhs.id < rhs.id }
  public var description: String { "#Ref<0.\(id)>" }
}

/// A hook added by `Context.onExit`, for `Context.removeExitHook`.
public struct ExitHook: Hashable, Sendable {
  let id: UInt32
}
