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

  /// The process number, unique for the node's lifetime.
  public var id: UInt64 { core.id }

  /// Whether the process is still running (a snapshot: it may exit right after).
  public var isAlive: Bool { core.isAlive }

  /// The typed address of this process if it takes messages of type `M`, else nil.
  public func address<M: Sendable>(as type: M.Type) -> Address<M>? {
    (core as? Process<M>).map(Address.init)
  }

  public static func == (lhs: Pid, rhs: Pid) -> Bool { lhs.core === rhs.core }
  public static func < (lhs: Pid, rhs: Pid) -> Bool { lhs.core.id < rhs.core.id }
  public func hash(into hasher: inout Hasher) { hasher.combine(core.id) }
  public var description: String { "<0.\(core.id).0>" }
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

  public static func == (lhs: Address, rhs: Address) -> Bool { lhs.process === rhs.process }
  public func hash(into hasher: inout Hasher) { hasher.combine(process.id) }
  public var description: String { "<0.\(process.id).0>" }
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
