// The receiving half of every hand-over to a process: after an entry goes into its
// mailbox (a message, a signal, a request), or a reply or a timeout comes for a wait, the
// process is made to run. Decided under the process's lock, carried out after it is
// released (see "Wake-up path" in docs/ARCHITECTURE.md): an idle process is marked
// `scheduled` and put on a run queue; a waiting one has its continuation taken and resumed.

/// What the thread that handed something to a process must do once it has released the
/// process's lock.
@usableFromInline
enum WakeUp {
  /// The process runs or is queued already, or waits for something else.
  case none
  /// The process was idle and is now `scheduled`: put it on a run queue.
  case schedule
  /// The process waited and is now `running`: resume it with this.
  case resume(UnsafeContinuation<WakeReason, Never>)
}

extension ProcessCore {
  /// Called with `lock` held, after an entry went into the mailbox: an idle process is
  /// marked `scheduled`, and one waiting for what arrived (any signal when `isSignal`,
  /// messages if it waits in a receive) is taken out of its wait.
  @inlinable final func wakeUpLocked(isSignal: Bool) -> WakeUp {
    switch runState {
    case .idle:
      runState = .scheduled
      return .schedule
    case .waiting where isSignal || waitKind == .messages:
      return takeWaiterLocked()
    default:
      return .none
    }
  }

  /// Called with `lock` held: ends the current wait, handing its continuation to the
  /// caller (which resumes it once the lock is released).
  @inlinable final func takeWaiterLocked() -> WakeUp {
    let taken = continuation
    continuation = nil
    runState = .running
    return taken.map(WakeUp.resume) ?? .none
  }

  /// Carries `wake` out (lock released). `urgent`: a timer or I/O wake-up, served before
  /// the run queue (see `Scheduler.enqueueLocal`).
  @inlinable final func perform(_ wake: WakeUp, reason: WakeReason = .arrival, urgent: Bool = false) {
    switch wake {
    case .none: break
    case .schedule: enqueueRunnable(urgent: urgent)
    case .resume(let c): c.resume(returning: reason)
    }
  }
}
