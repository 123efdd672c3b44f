// What a process receives: its own typed messages and the runtime's system messages.

/// One entry of a process's mailbox as the process sees it.
///
/// `M` is the process's own message type. The runtime adds the system messages of OTP:
/// `exit` (an exit signal turned into a message because the process traps exits),
/// `down` (a monitored process ended), `timer` (a timer started with `startTimer`), and
/// `timeout` (the idle timeout a handler asked for expired).
public enum Message<M: Sendable>: Sendable {
  /// A message sent to this process.
  case message(M)
  /// Erlang's `{'EXIT', From, Reason}`: a linked process ended, or `exit(pid, reason)`
  /// was called on this process while it traps exits.
  case exit(from: Pid, reason: ExitReason)
  /// Erlang's `{'DOWN', Ref, process, Pid, Reason}`.
  case down(Ref, pid: Pid, reason: ExitReason)
  /// Erlang's `{timeout, TimerRef, Msg}`: a timer made with `startTimer` fired.
  case timer(Ref, M)
  /// The idle timeout returned by a handler (`.continue(timeout:)`) expired with no
  /// message arriving in the meantime.
  case timeout
  /// Erlang's `{tcp, Socket, Data}` and friends: an event of a socket this process owns.
  case io(Socket, SocketEvent)

  /// The user message, if this is one.
  @inlinable public var value: M? {
    if case .message(let m) = self { return m }
    return nil
  }
}

/// How long a `receive` waits.
public enum Timeout: Sendable, Equatable {
  /// Wait until a matching message arrives.
  case infinity
  /// Wait at most this long; `.zero` only looks at what is already in the mailbox.
  case after(Duration)

  /// Poll: take a matching message if there is one, never wait.
  public static let zero = Timeout.after(.zero)
  public static func milliseconds(_ ms: Int) -> Timeout { .after(.milliseconds(ms)) }
  public static func seconds(_ s: Int) -> Timeout { .after(.seconds(s)) }

  @usableFromInline var nanoseconds: UInt64? {
    switch self {
    case .infinity: return nil
    case .after(let d):
      let (s, atto) = d.components
      if s < 0 { return 0 }
      let ns = s.multipliedReportingOverflow(by: 1_000_000_000)
      if ns.overflow { return UInt64.max / 2 }
      return UInt64(ns.partialValue) &+ UInt64(max(0, atto / 1_000_000_000))
    }
  }
}

/// What a message handler asks for after handling one message.
public enum Next: Sendable {
  /// Wait for the next message.
  case `continue`
  /// Wait for the next message; if none arrives within `timeout`, the handler gets
  /// `.timeout` (like a gen_server timeout action).
  case continueWithTimeout(Duration)
  /// End the process with this reason.
  case stop(ExitReason)
}
