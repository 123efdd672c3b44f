// Each scheduler keeps its timers in a binary min-heap ordered by deadline. The heap is
// behind a mutex because timers are cancelled from whatever thread the canceller runs on;
// the owner thread fires them between dispatches and bounds its epoll sleep by the next
// deadline. Cancelling removes the entry at once (each entry knows its heap slot), so
// receive timeouts that are set and cancelled a million times leave nothing behind.
import Synchronization

/// What a timer does when it fires.
@usableFromInline
enum TimerAction: Sendable {
  /// Ends the wait numbered `generation` of a suspended process (receive timeout).
  case wake(ProcessCore, generation: UInt64)
  /// Pushes a signal into a process (a handler's idle timeout).
  case signal(ProcessCore, Signal)
  /// Delivers a message to a process (send_after); the closure does the typed push.
  case deliver(ProcessCore, @Sendable () -> Void)
  /// Anything else (timeouts of callers that are not processes).
  case closure(@Sendable () -> Void)
}

/// One timer. `@unchecked Sendable`: `heapIndex` is guarded by the owning service's lock,
/// `state` is atomic, everything else is immutable.
@usableFromInline
final class TimerEntry: @unchecked Sendable {
  static let pending: UInt8 = 0
  static let fired: UInt8 = 1
  static let cancelled: UInt8 = 2

  @usableFromInline let deadline: UInt64
  @usableFromInline let sequence: UInt64
  let action: TimerAction
  unowned(unsafe) let service: TimerService
  @exclusivity(unchecked) var heapIndex = -1
  let state = Atomic<UInt8>(0)

  init(deadline: UInt64, sequence: UInt64, action: TimerAction, service: TimerService) {
    self.deadline = deadline
    self.sequence = sequence
    self.action = action
    self.service = service
  }

  /// Cancels the timer. Returns the nanoseconds that were left, or nil if it had already
  /// fired or been cancelled.
  @usableFromInline @discardableResult
  func cancel() -> UInt64? {
    guard state.compareExchange(expected: TimerEntry.pending, desired: TimerEntry.cancelled, ordering: .acquiringAndReleasing).exchanged
    else { return nil }
    service.remove(self)
    if case .deliver(let target, _) = action { target.detachTimer(self) }
    let now = monotonicNanos()
    return deadline > now ? deadline - now : 0
  }

  /// Nanoseconds left, or nil if no longer pending.
  var remaining: UInt64? {
    guard state.load(ordering: .acquiring) == TimerEntry.pending else { return nil }
    let now = monotonicNanos()
    return deadline > now ? deadline - now : 0
  }

  @inlinable static func before(_ a: TimerEntry, _ b: TimerEntry) -> Bool {
    a.deadline < b.deadline || (a.deadline == b.deadline && a.sequence < b.sequence)
  }
}

struct TimerHeap {
  var items: [TimerEntry] = []
  var sequence: UInt64 = 0

  mutating func insert(_ e: TimerEntry) {
    e.heapIndex = items.count
    items.append(e)
    siftUp(items.count - 1)
  }

  mutating func remove(at index: Int) {
    let last = items.count - 1
    items[index].heapIndex = -1
    if index != last {
      items.swapAt(index, last)
      items[index].heapIndex = index
      items.removeLast()
      siftDown(index)
      siftUp(index)
    } else {
      items.removeLast()
    }
    if items.isEmpty && items.capacity > 4096 { items = [] }
  }

  mutating func popMin() -> TimerEntry {
    let top = items[0]
    remove(at: 0)
    return top
  }

  private mutating func siftUp(_ start: Int) {
    var i = start
    while i > 0 {
      let parent = (i - 1) / 2
      if TimerEntry.before(items[i], items[parent]) {
        items.swapAt(i, parent)
        items[i].heapIndex = i
        items[parent].heapIndex = parent
        i = parent
      } else {
        return
      }
    }
  }

  private mutating func siftDown(_ start: Int) {
    var i = start
    let n = items.count
    while true {
      let l = 2 * i + 1
      if l >= n { return }
      var smallest = l
      let r = l + 1
      if r < n && TimerEntry.before(items[r], items[l]) { smallest = r }
      if TimerEntry.before(items[smallest], items[i]) {
        items.swapAt(i, smallest)
        items[i].heapIndex = i
        items[smallest].heapIndex = smallest
        i = smallest
      } else {
        return
      }
    }
  }
}

/// The timers of one scheduler.
@usableFromInline
final class TimerService: @unchecked Sendable {
  let heap = Mutex(TimerHeap())
  unowned(unsafe) let scheduler: Scheduler
  /// The earliest deadline, readable without the lock (UInt64.max: none).
  let earliest = Atomic<UInt64>(UInt64.max)

  init(scheduler: Scheduler) { self.scheduler = scheduler }

  @usableFromInline
  func schedule(at deadline: UInt64, action: TimerAction) -> TimerEntry {
    let entry: TimerEntry = heap.withLock { h in
      h.sequence &+= 1
      let e = TimerEntry(deadline: deadline, sequence: h.sequence, action: action, service: self)
      h.insert(e)
      earliest.store(h.items[0].deadline, ordering: .relaxed)
      return e
    }
    // A new earliest deadline must shorten the owner's sleep.
    if entry.heapIndex == 0 && Scheduler.current !== scheduler { scheduler.wakeIfSleeping() }
    return entry
  }

  @usableFromInline
  func schedule(afterNanos ns: UInt64, action: TimerAction) -> TimerEntry {
    schedule(at: monotonicNanos() &+ ns, action: action)
  }

  func remove(_ e: TimerEntry) {
    heap.withLock { h in
      if e.heapIndex >= 0 {
        h.remove(at: e.heapIndex)
        earliest.store(h.items.first?.deadline ?? UInt64.max, ordering: .relaxed)
      }
    }
  }

  /// Fires every timer due at `now`. Returns how many fired. Owner thread.
  @discardableResult
  func fireDue(now: UInt64) -> Int {
    if earliest.load(ordering: .relaxed) > now { return 0 }
    var due: [TimerEntry] = []
    heap.withLock { h in
      while let top = h.items.first, top.deadline <= now {
        let e = h.popMin()
        if e.state.compareExchange(expected: TimerEntry.pending, desired: TimerEntry.fired, ordering: .acquiringAndReleasing).exchanged {
          due.append(e)
        }
      }
      earliest.store(h.items.first?.deadline ?? UInt64.max, ordering: .relaxed)
    }
    for e in due {
      switch e.action {
      case .wake(let p, let generation): p.wakeForTimeout(generation: generation)
      case .signal(let p, let s): p.pushSignal(s)
      case .deliver(let target, let push):
        target.detachTimer(e)
        push()
      case .closure(let body): body()
      }
    }
    return due.count
  }

  /// The earliest pending deadline, if any.
  var nextDeadline: UInt64? {
    let e = earliest.load(ordering: .relaxed)
    return e == UInt64.max ? nil : e
  }

  var count: Int { heap.withLock { $0.items.count } }
}

/// A running timer, returned by `sendAfter` and `startTimer`; cancel it with `cancelTimer`.
public struct TimerRef: Hashable, Sendable, CustomStringConvertible {
  @usableFromInline let entry: TimerEntry
  /// The reference delivered with `.timer(ref, message)` for timers made by `startTimer`.
  public let ref: Ref

  @usableFromInline init(entry: TimerEntry, ref: Ref) {
    self.entry = entry
    self.ref = ref
  }

  /// Time left before it fires, or nil if it fired or was cancelled (`erlang:read_timer`).
  public var remaining: Duration? { entry.remaining.map { Duration.nanoseconds(Int64($0)) } }

  public static func == (a: TimerRef, b: TimerRef) -> Bool { a.entry === b.entry }
  public func hash(into h: inout Hasher) { h.combine(ObjectIdentifier(entry)) }
  public var description: String { "#TimerRef<\(ref.id)>" }
}
