// One-shot reply slots for request/response between processes (what gen_server:call
// builds on). The caller makes a cell, sends it inside its request, and waits on the cell,
// not on its mailbox: a reply that arrives after the caller gave up finds the cell
// abandoned and is dropped, so it can never land in the caller's mailbox (OTP's aliases).
// The server's core keeps the cells it has been sent until they are answered, so its exit
// fails them with its exit reason (what the caller's monitor does in OTP).
import Synchronization

/// Why a request got no reply.
public enum CallError: Error, Sendable, Equatable, CustomStringConvertible {
  /// No reply within the timeout.
  case timeout
  /// The server was not alive (or the name was not registered) when the request was sent.
  case noproc
  /// The server exited with this reason before replying.
  case exited(ExitReason)
  /// A process tried to call itself.
  case callingSelf
  /// The name is registered, but to a live process that takes `registered` messages, not
  /// the `expected` ones the call would send: nothing was sent (a server of another type
  /// would not understand the request).
  case wrongType(name: String, registered: String, expected: String)

  public var description: String {
    switch self {
    case .timeout: return "call timed out"
    case .noproc: return "no such process"
    case .exited(let reason): return "server exited: \(reason)"
    case .callingSelf: return "a process cannot call itself"
    case .wrongType(let name, let registered, let expected):
      return "the name '\(name)' is bound to a process of another type: it takes \(registered), not \(expected)"
    }
  }
}

@usableFromInline
enum ReplyFailure: Sendable {
  case noproc
  case serverExited(ExitReason)

  @usableFromInline var callError: CallError {
    switch self {
    case .noproc: return .noproc
    case .serverExited(let r): return .exited(r)
    }
  }
}

/// The untyped part of a reply cell.
///
/// `@unchecked Sendable`: `failure` and the typed value are written once, by the thread
/// that wins the `state` transition 0 → 1, and read only after observing state 2 or 3
/// with acquire ordering.
public class AnyReplyCell: @unchecked Sendable {
  @usableFromInline static let pending: UInt8 = 0
  @usableFromInline static let writing: UInt8 = 1
  @usableFromInline static let replied: UInt8 = 2
  @usableFromInline static let failed: UInt8 = 3
  @usableFromInline static let abandoned: UInt8 = 4

  @usableFromInline let state = Atomic<UInt8>(0)
  @usableFromInline var failure: ReplyFailure?
  /// The waiting process, or nil when the caller is not a process.
  @usableFromInline let waiter: ProcessCore?
  @usableFromInline let external = Locked<UnsafeContinuation<Void, Never>?>(nil)
  /// For a request that came from another node: sends the outcome back there (set by
  /// the Distribution target before the cell is shared; nil otherwise).
  @usableFromInline var forward: (@Sendable (AnyReplyCell) -> Void)?

  @usableFromInline init(waiter: ProcessCore?) { self.waiter = waiter }

  /// True once replied, failed or abandoned.
  @inlinable var isSettled: Bool { state.load(ordering: .acquiring) >= AnyReplyCell.replied }

  /// Claims the right to write the outcome.
  @inlinable func claim() -> Bool {
    state.compareExchange(expected: AnyReplyCell.pending, desired: AnyReplyCell.writing, ordering: .acquiring).exchanged
  }

  @usableFromInline func fail(_ failure: ReplyFailure) {
    guard claim() else { return }
    self.failure = failure
    state.store(AnyReplyCell.failed, ordering: .releasing)
    wake()
  }

  /// Gives up waiting. Returns false if an outcome is already there (or being written:
  /// then this waits the few instructions until it is complete).
  @inlinable func abandon() -> Bool {
    let (exchanged, current) = state.compareExchange(
      expected: AnyReplyCell.pending, desired: AnyReplyCell.abandoned, ordering: .acquiringAndReleasing)
    if exchanged { return true }
    var s = current
    while s == AnyReplyCell.writing { s = state.load(ordering: .acquiring) }
    return false
  }

  @usableFromInline func wake() {
    if let waiter {
      waiter.wakeForReply()
    } else if let forward {
      forward(self)
    } else {
      let c = external.withLock { c -> UnsafeContinuation<Void, Never>? in
        let taken = c
        c = nil
        return taken
      }
      c?.resume()
    }
  }

  /// Suspends a caller that is not a process until the cell settles or `timeout` passes.
  @usableFromInline func waitExternally(timeoutNanos: UInt64?, node: Node) async {
    var timer: TimerEntry?
    if let t = timeoutNanos {
      timer = node.timerHost.schedule(
        afterNanos: t,
        action: .closure({ [self] in
          if self.abandon() { self.wake() }
        }))
    }
    await withUnsafeContinuation { (c: UnsafeContinuation<Void, Never>) in
      let settledAlready = external.withLock { slot -> Bool in
        if state.load(ordering: .acquiring) >= AnyReplyCell.replied { return true }
        slot = c
        return false
      }
      if settledAlready { c.resume() }
    }
    timer?.cancel()
  }
}

/// A reply slot for a value of type `R`.
public final class ReplyCell<R: Sendable>: AnyReplyCell, @unchecked Sendable {
  @usableFromInline var value: R?

  @inlinable override init(waiter: ProcessCore?) { super.init(waiter: waiter) }

  /// Stores the reply and wakes the caller. Returns false (and drops the value) if the
  /// cell already settled: the caller timed out, or someone replied before.
  @inlinable @discardableResult func fulfill(_ value: R) -> Bool {
    guard claim() else { return false }
    self.value = value
    state.store(AnyReplyCell.replied, ordering: .releasing)
    wake()
    return true
  }

  /// The outcome, once settled; nil while pending.
  @inlinable var outcome: Result<R, CallError>? {
    switch state.load(ordering: .acquiring) {
    case AnyReplyCell.replied: return .success(value!)
    case AnyReplyCell.failed: return .failure(failure!.callError)
    case AnyReplyCell.abandoned: return .failure(.timeout)
    default: return nil
    }
  }
}

/// Where to send the reply to one request (Erlang's `From`). Any process, or code outside
/// processes, may answer through it; only the first answer counts.
public struct ReplyTo<R: Sendable>: Sendable, Hashable {
  @usableFromInline let cell: ReplyCell<R>
  @inlinable init(cell: ReplyCell<R>) { self.cell = cell }

  /// The caller, if it is a process.
  public var caller: Pid? { cell.waiter.map { Pid($0) } }

  /// Whether an answer can still be given (the caller waits, nobody answered yet).
  public var isOpen: Bool { !cell.isSettled }

  /// Answers the request. Returns false if the caller no longer waits (it timed out or
  /// exited) or the request was already answered.
  @inlinable @discardableResult public func reply(_ value: R) -> Bool { cell.fulfill(value) }

  public static func == (a: ReplyTo, b: ReplyTo) -> Bool { a.cell === b.cell }
  public func hash(into h: inout Hasher) { h.combine(ObjectIdentifier(cell)) }
}
