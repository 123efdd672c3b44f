// Each scheduler keeps its timers in a timing wheel: 4,096 slots of 131 µs (about half a
// second ahead), each a doubly-linked list of entries, plus a min-heap for timers further
// out, which move into the wheel as it turns. Setting, cancelling and firing a timer are
// O(1) and touch only the entry and its slot. A timer fires once its slot has passed:
// never early, at most one slot (131 µs) late, plus the time to get to it.
//
// The wheel is behind a mutex because timers are cancelled from whatever thread the
// canceller runs on; the owner thread fires them between dispatches and bounds its
// epoll sleep by the next non-empty slot (found through a bitmap). Cancelling removes the
// entry at once, so receive timeouts that are set and cancelled a million times leave
// nothing behind.
import COtterSys
import Synchronization

/// What a timer does when it fires.
@usableFromInline
enum TimerAction: Sendable {
  /// The reusable wait timer of a process: ends the wait numbered `entry.generation`.
  case waitTimeout(ProcessCore)
  /// Tells a handler process its idle timeout `generation` has passed (a signal: kept
  /// this small rather than carrying any `Signal`, which would make every timer entry
  /// 16 bytes larger).
  case idleTimeout(ProcessCore, generation: UInt64)
  /// Delivers a message to a process (send_after); the closure does the typed push.
  case deliver(ProcessCore, @Sendable () -> Void)
  /// Anything else (timeouts of callers that are not processes).
  case closure(@Sendable () -> Void)
}

/// One timer.
@usableFromInline
// `@unchecked Sendable`: `heapIndex` and the wheel links are guarded by the owning
// service's lock, `state` is atomic, everything else is immutable.
final class TimerEntry: @unchecked Sendable {
  static let pending: UInt8 = 0
  static let fired: UInt8 = 1
  static let cancelled: UInt8 = 2

  /// Fixed once the entry is in a wheel; rewritten only by `TimerService.rearm` (lock).
  @exclusivity(unchecked) @usableFromInline var deadline: UInt64
  @exclusivity(unchecked) @usableFromInline var sequence: UInt64
  /// The wait a reusable wait timer ends (set by `rearm`, read when it fires).
  @exclusivity(unchecked) @usableFromInline var generation: UInt64 = 0
  let action: TimerAction
  /// (Declared here, in the padding after `action`: the entry stays at 104 bytes.)
  let state = Atomic<UInt8>(0)
  @usableFromInline unowned(unsafe) let service: TimerService
  /// Where the entry is (service lock): `TimerEntry.nowhere`, `.overdue`, `.far` (then
  /// `heapIndex` is its heap slot) or a wheel slot index.
  @exclusivity(unchecked) var place: Int32 = TimerEntry.nowhere
  @exclusivity(unchecked) var heapIndex: Int32 = -1
  @exclusivity(unchecked) var wheelNext: TimerEntry?
  @exclusivity(unchecked) unowned(unsafe) var wheelPrevious: TimerEntry?

  static let nowhere: Int32 = -1
  static let overdue: Int32 = -2
  static let far: Int32 = -3

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
    guard cancelQuietly() else { return nil }
    let now = monotonicNanos()
    return deadline > now ? deadline - now : 0
  }

  /// Cancels without working out the time left; true if it was pending.
  @usableFromInline @discardableResult
  func cancelQuietly() -> Bool {
    guard state.compareExchange(expected: TimerEntry.pending, desired: TimerEntry.cancelled, ordering: .acquiringAndReleasing).exchanged
    else { return false }
    service.remove(self)
    if case .deliver(let target, _) = action { target.detachTimer(self) }
    return true
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
    e.heapIndex = Int32(items.count)
    items.append(e)
    siftUp(items.count - 1)
  }

  mutating func remove(at index: Int) {
    let last = items.count - 1
    items[index].heapIndex = -1
    if index != last {
      items.swapAt(index, last)
      items[index].heapIndex = Int32(index)
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
        items[i].heapIndex = Int32(i)
        items[parent].heapIndex = Int32(parent)
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
        items[i].heapIndex = Int32(i)
        items[smallest].heapIndex = Int32(smallest)
        i = smallest
      } else {
        return
      }
    }
  }
}

/// The timing wheel proper (see the top of the file). Not thread-safe: used under
/// `TimerService.wheel`'s lock.
struct TimerWheel {
  static let shift: UInt64 = 17  // 131,072 ns per slot
  static let slotCount = 4096
  static let mask = UInt64(slotCount - 1)

  var slots = [TimerEntry?](repeating: nil, count: TimerWheel.slotCount)
  var occupied = [UInt64](repeating: 0, count: TimerWheel.slotCount / 64)
  /// Entries whose slot had already been processed when they were set: fired next.
  var overdue: TimerEntry?
  var far = TimerHeap()
  /// Every slot with a tick up to this one has been fired.
  var processedTick: UInt64
  var count = 0
  var sequence: UInt64 = 0

  init(now: UInt64) { processedTick = (now >> TimerWheel.shift) &- 1 }

  mutating func insert(_ e: TimerEntry) {
    count += 1
    let tick = e.deadline >> TimerWheel.shift
    if tick <= processedTick {
      e.place = TimerEntry.overdue
      TimerWheel.push(e, onto: &overdue)
    } else if tick - processedTick >= UInt64(TimerWheel.slotCount) {
      e.place = TimerEntry.far
      far.insert(e)
    } else {
      let index = Int(tick & TimerWheel.mask)
      e.place = Int32(index)
      TimerWheel.push(e, onto: &slots[index])
      occupied[index >> 6] |= 1 << UInt64(index & 63)
    }
  }

  mutating func remove(_ e: TimerEntry) {
    switch e.place {
    case TimerEntry.nowhere: return
    case TimerEntry.far: far.remove(at: Int(e.heapIndex))
    case TimerEntry.overdue: TimerWheel.unlink(e, from: &overdue)
    default:
      let index = Int(e.place)
      TimerWheel.unlink(e, from: &slots[index])
      if slots[index] == nil { occupied[index >> 6] &= ~(1 << UInt64(index & 63)) }
    }
    e.place = TimerEntry.nowhere
    count -= 1
  }

  /// Takes out every entry due at `now`, in no particular order.
  mutating func takeDue(now: UInt64, into due: inout [TimerEntry]) {
    let nowTick = now >> TimerWheel.shift
    // Slots strictly before the current one have fully passed.
    while processedTick &+ 1 < nowTick {
      // Jump over empty stretches using the bitmap.
      guard let next = nextOccupiedTick(after: processedTick), next < nowTick else {
        processedTick = nowTick &- 1
        break
      }
      let index = Int(next & TimerWheel.mask)
      count -= TimerWheel.drain(&slots[index], into: &due)
      occupied[index >> 6] &= ~(1 << UInt64(index & 63))
      processedTick = next
    }
    // Far timers now within the horizon move into the wheel; any whose slot has already
    // passed (after a long sleep) land in `overdue` and fire just below.
    while let top = far.items.first, (top.deadline >> TimerWheel.shift) < processedTick &+ UInt64(TimerWheel.slotCount) {
      far.remove(at: 0)
      count -= 1
      insert(top)
    }
    count -= TimerWheel.drain(&overdue, into: &due)
  }

  /// When the next timer will be due (the end of its slot), if there is one.
  func nextDue(now: UInt64) -> UInt64? {
    if overdue != nil { return now }
    var best: UInt64?
    if let tick = nextOccupiedTick(after: processedTick) { best = (tick &+ 1) << TimerWheel.shift }
    if let top = far.items.first { best = min(best ?? top.deadline, top.deadline) }
    return best
  }

  /// The first tick after `tick` whose slot holds entries (within one turn of the wheel).
  func nextOccupiedTick(after tick: UInt64) -> UInt64? {
    var t = tick &+ 1
    let end = tick &+ UInt64(TimerWheel.slotCount)
    while t <= end {
      let index = Int(t & TimerWheel.mask)
      let word = occupied[index >> 6] >> UInt64(index & 63)
      if word != 0 { return t &+ UInt64(word.trailingZeroBitCount) }
      t &+= UInt64(64 - (index & 63))
    }
    return nil
  }

  private static func push(_ e: TimerEntry, onto head: inout TimerEntry?) {
    e.wheelNext = head
    head?.wheelPrevious = e
    e.wheelPrevious = nil
    head = e
  }

  private static func unlink(_ e: TimerEntry, from head: inout TimerEntry?) {
    if let p = e.wheelPrevious { p.wheelNext = e.wheelNext } else { head = e.wheelNext }
    e.wheelNext?.wheelPrevious = e.wheelPrevious
    e.wheelNext = nil
    e.wheelPrevious = nil
  }

  /// Moves a whole list into `due`; returns how many entries it held.
  private static func drain(_ head: inout TimerEntry?, into due: inout [TimerEntry]) -> Int {
    var e = head
    head = nil
    var n = 0
    while let current = e {
      e = current.wheelNext
      current.wheelNext = nil
      current.wheelPrevious = nil
      current.place = TimerEntry.nowhere
      n += 1
      due.append(current)
    }
    return n
  }
}

/// The timers of one scheduler.
@usableFromInline
// `@unchecked Sendable`: every field is immutable, the wheel is behind its lock and
// `earliest` is atomic; only `unowned(unsafe) scheduler` keeps the compiler from seeing
// it, and the scheduler owns this service, so it outlives it.
final class TimerService: @unchecked Sendable {
  let wheel: Locked<TimerWheel>
  unowned(unsafe) let scheduler: Scheduler
  /// When the next timer is due (UInt64.max: none), readable without the lock.
  let earliest = Atomic<UInt64>(UInt64.max)

  init(scheduler: Scheduler) {
    self.scheduler = scheduler
    self.wheel = Locked(TimerWheel(now: monotonicNanos()))
  }

  @usableFromInline
  func schedule(at deadline: UInt64, action: TimerAction, generation: UInt64 = 0) -> TimerEntry {
    let (entry, earlier): (TimerEntry, Bool) = wheel.withLock { w in
      // An empty wheel does not turn; bring it to the present before using it.
      // (The coarse clock is cheap and may lag by a few ms: anchoring too early is
      // harmless, anchoring too late could fire a timer early.)
      if w.count == 0 { w.processedTick = (otter_coarse_monotonic_ns() >> TimerWheel.shift) &- 1 }
      w.sequence &+= 1
      let e = TimerEntry(deadline: deadline, sequence: w.sequence, action: action, service: self)
      e.generation = generation
      w.insert(e)
      let due = max(deadline, ((deadline >> TimerWheel.shift) &+ 1) << TimerWheel.shift)
      let earlier = due < earliest.load(ordering: .relaxed)
      if earlier { earliest.store(due, ordering: .relaxed) }
      return (e, earlier)
    }
    // A new earliest deadline must shorten the owner's sleep.
    if earlier && Scheduler.current !== scheduler { scheduler.wakeIfSleeping() }
    return entry
  }

  @usableFromInline
  func schedule(afterNanos ns: UInt64, action: TimerAction) -> TimerEntry {
    schedule(at: monotonicNanos() &+ ns, action: action)
  }

  /// Puts a cancelled reusable wait timer back in the wheel for a new wait.
  @usableFromInline
  func rearm(_ e: TimerEntry, at deadline: UInt64, generation: UInt64) {
    let earlier: Bool = wheel.withLock { w in
      if w.count == 0 { w.processedTick = (otter_coarse_monotonic_ns() >> TimerWheel.shift) &- 1 }
      w.sequence &+= 1
      e.deadline = deadline
      e.sequence = w.sequence
      e.generation = generation
      e.state.store(TimerEntry.pending, ordering: .releasing)
      w.insert(e)
      let due = max(deadline, ((deadline >> TimerWheel.shift) &+ 1) << TimerWheel.shift)
      let earlier = due < earliest.load(ordering: .relaxed)
      if earlier { earliest.store(due, ordering: .relaxed) }
      return earlier
    }
    if earlier && Scheduler.current !== scheduler { scheduler.wakeIfSleeping() }
  }

  func remove(_ e: TimerEntry) {
    wheel.withLock { $0.remove(e) }
  }

  /// Fires every timer due at `now`. Returns how many fired. Owner thread.
  @discardableResult
  func fireDue(now: UInt64) -> Int {
    if earliest.load(ordering: .relaxed) > now { return 0 }
    var taken: [TimerEntry] = []
    wheel.withLock { w in
      w.takeDue(now: now, into: &taken)
      earliest.store(w.nextDue(now: now) ?? UInt64.max, ordering: .relaxed)
    }
    var fired = 0
    for e in taken {
      guard e.state.compareExchange(expected: TimerEntry.pending, desired: TimerEntry.fired, ordering: .acquiringAndReleasing).exchanged
      else { continue }
      fired += 1
      switch e.action {
      case .waitTimeout(let p): p.wakeForTimeout(generation: e.generation)
      case .idleTimeout(let p, let generation): p.pushSignal(.idleTimeout(generation), urgent: true)
      case .deliver(let target, let push):
        target.detachTimer(e)
        push()
      case .closure(let body): body()
      }
    }
    return fired
  }

  /// When the next timer is due, if any.
  var nextDeadline: UInt64? {
    let e = earliest.load(ordering: .relaxed)
    return e == UInt64.max ? nil : e
  }

  var count: Int { wheel.withLock { $0.count } }
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
