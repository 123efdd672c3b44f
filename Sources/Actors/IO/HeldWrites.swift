// The sockets a scheduler will write for `SendCoalescing`: those to write when the code
// running now ends its slice, and those waiting for their window to end, in a small
// wheel of ~1 ms slots. It belongs to one scheduler thread (the one the sender ran on):
// no lock, no allocation per held send once the slots have grown, and every socket
// whose window ends in the same millisecond is written in the same pass — a room's
// fan-out held a thousand sockets within a millisecond, so one wake-up writes them all.

/// Sockets (`Item`: tests use others) holding sends, by when they are to be written.
/// One scheduler's thread only.
struct HeldWrites<Item> {
  /// 2^20 ns ≈ 1.05 ms per slot.
  static var shift: UInt64 { 20 }
  /// 1,024 slots ≈ 1.07 s ahead: windows are capped at 1 s (`Socket.setSendCoalescing`).
  static var slotCount: Int { 1024 }

  /// To write when the running code's slice ends.
  var endOfSlice: [Item] = []
  /// To write when their slot has passed (a slot is written once its whole time is
  /// over: never early, at most one slot late).
  private var slots = [[Item]](repeating: [], count: HeldWrites.slotCount)
  /// Sockets in `slots`.
  private(set) var waiting = 0
  /// The last slot written.
  private var processedTick: UInt64 = 0
  /// The earliest slot that may hold a socket (exact after each pass).
  private var earliestTick = UInt64.max

  /// When the next windowed sockets are due, in ns of the monotonic clock (max: none).
  var nextDue: UInt64 { waiting == 0 ? .max : (earliestTick &+ 1) << HeldWrites.shift }

  /// Holds `socket` until `deadline` (ns of the monotonic clock, at most ~1 s ahead).
  mutating func hold(_ socket: Item, until deadline: UInt64, now: UInt64) {
    if waiting == 0 { processedTick = (now >> HeldWrites.shift) &- 1 }
    let tick = max(deadline >> HeldWrites.shift, processedTick &+ 1)
    slots[Int(tick % UInt64(HeldWrites.slotCount))].append(socket)
    waiting += 1
    if tick < earliestTick { earliestTick = tick }
  }

  /// Moves the sockets whose slot is over at `now` into `due`.
  mutating func takeDue(now: UInt64, into due: inout [Item]) {
    guard waiting > 0 else { return }
    // A slot is over once the clock is past its end.
    let last = (now >> HeldWrites.shift) &- 1
    guard last >= earliestTick, last > processedTick else { return }
    let count = min(last - processedTick, UInt64(HeldWrites.slotCount))
    var tick = last &- count &+ 1
    while tick <= last {
      let i = Int(tick % UInt64(HeldWrites.slotCount))
      if !slots[i].isEmpty {
        due.append(contentsOf: slots[i])
        waiting -= slots[i].count
        slots[i].removeAll(keepingCapacity: slots[i].capacity <= 4096)
      }
      tick &+= 1
    }
    processedTick = last
    earliestTick = .max
    if waiting > 0 {
      var t = last &+ 1
      while slots[Int(t % UInt64(HeldWrites.slotCount))].isEmpty { t &+= 1 }
      earliestTick = t
    }
  }
}
