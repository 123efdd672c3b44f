// Signals: everything besides plain messages that one process sends another.
//
// As in ERTS, links, monitors and exit signals are not applied by the sender to the
// receiver's tables: they travel through the receiver's mailbox, in order with its
// messages, and the receiver applies them itself when it next runs. Only the owner ever
// mutates its own link and monitor tables, which keeps them lock-free for the owner and
// keeps the per-pair ordering of messages and signals that OTP promises.

@usableFromInline
enum Signal: Sendable {
  /// `from` linked to us; add it to our link set.
  case link(ProcessCore)
  /// `from` removed its link to us.
  case unlink(ProcessCore)
  /// An exit signal. `linked` is true when it comes from a link (the process `from` ended),
  /// false for an explicit `exit(pid, reason)`.
  case exit(from: ProcessCore, reason: ExitReason, linked: Bool)
  /// `watcher` monitors us under `ref`.
  case monitor(Ref, watcher: ProcessCore)
  /// The monitor `ref` on us was removed by its watcher.
  case demonitor(Ref)
  /// The process `of`, which we monitored under `ref`, ended.
  case down(Ref, of: ProcessCore, reason: ExitReason)
  /// The idle timeout of a handler expired; stale unless the generation still matches.
  case idleTimeout(UInt64)
  /// Asks the process to describe its state (`sys:get_status`): answered by the process
  /// itself, so its state is never read from another thread.
  case describe(ReplyCell<String?>)
  /// An event of a socket this process owns.
  case io(Socket, SocketEvent)

  @inlinable var wakesWaitingReceiver: Bool { true }
}

/// An entry of a mailbox before the process has looked at it.
@usableFromInline
enum Inbound<M: Sendable>: Sendable {
  case message(M)
  case timer(Ref, M)
  case signal(Signal)
  /// A socket event: a message for the mailbox's purposes (it does not wake a process
  /// that waits only for signals or a reply), but built by the runtime.
  case io(Socket, SocketEvent)
}

/// What handling a signal did, as seen by the code that drains the mailbox.
@usableFromInline
enum SignalEffect {
  /// Nothing the process code sees (a table update, or a signal that was dropped).
  case none
  /// The signal became this system message.
  case exitMessage(Pid, ExitReason)
  case downMessage(Ref, Pid, ExitReason)
  case timeoutMessage
  case ioMessage(Socket, SocketEvent)
  /// The process has terminated while handling the signal.
  case terminated
}
