// send_after / start_timer / cancel_timer on top of the schedulers' timer heaps.

@usableFromInline
enum Timers {
  static func sendAfter<T: Sendable>(_ delay: Duration, to target: Process<T>, node: Node, _ message: T) -> TimerRef {
    let ref = node.makeRef()
    let entry = node.timerHost.schedule(
      afterNanos: delay.clampedNanoseconds, action: .deliver(target, { target.push(.message(message), isSignal: false, urgent: true) }))
    if !target.attachTimer(entry) { entry.cancel() }
    return TimerRef(entry: entry, ref: ref)
  }

  static func startTimer<T: Sendable>(_ delay: Duration, to target: Process<T>, node: Node, _ message: T) -> TimerRef {
    let ref = node.makeRef()
    let entry = node.timerHost.schedule(
      afterNanos: delay.clampedNanoseconds,
      action: .deliver(target, { target.push(.timer(ref, message), isSignal: false, urgent: true) }))
    if !target.attachTimer(entry) { entry.cancel() }
    return TimerRef(entry: entry, ref: ref)
  }

  static func cancel(_ timer: TimerRef) -> Duration? {
    timer.entry.cancel().map { Duration.nanoseconds(Int64($0)) }
  }
}

extension Node {
  /// `send_after` from outside any process.
  @discardableResult
  public func sendAfter<T: Sendable>(_ delay: Duration, to target: Address<T>, _ message: T) -> TimerRef {
    Timers.sendAfter(delay, to: target.process, node: self, message)
  }

  /// Cancels a timer from outside any process; the time left, or nil.
  @discardableResult
  public func cancelTimer(_ timer: TimerRef) -> Duration? { Timers.cancel(timer) }
}
