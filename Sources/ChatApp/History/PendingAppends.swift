// The messages the Redis history holds until Redis has them: a bounded first-in,
// first-out buffer that drops its oldest when full and counts what it dropped, so the
// log can say how many. A value owned by the Redis archive's process
// (History/RedisHistory.swift), which alone reads and writes it.

/// Appends waiting to be written, oldest first, at most `limit`.
struct PendingAppends {
  /// Held appends, oldest first: a channel's folded name and the message.
  typealias Batch = ArraySlice<(key: String, entry: HistoryEntry)>

  let limit: Int
  private var items: [(key: String, entry: HistoryEntry)] = []
  /// Where the oldest item sits in `items` (what was taken before is dead space,
  /// reclaimed once it is most of the array).
  private var head = 0
  /// Dropped (oldest first, for room) since the count was last taken.
  private(set) var dropped = 0

  init(limit: Int) { self.limit = max(1, limit) }

  var count: Int { items.count - head }
  var isEmpty: Bool { count == 0 }

  /// Adds a message, dropping the oldest if the buffer is full.
  mutating func append(_ key: String, _ entry: HistoryEntry) {
    if count >= limit {
      head += 1
      dropped += 1
    }
    items.append((key, entry))
    compact()
  }

  /// The oldest `n` messages, left in the buffer (`removeFirst` takes them once written).
  func first(_ n: Int) -> Batch { items[head..<(head + min(n, count))] }

  /// Removes the oldest `n` (they were written).
  mutating func removeFirst(_ n: Int) {
    head += min(n, count)
    compact()
  }

  /// How many were dropped since the last call, and starts counting again.
  mutating func takeDropped() -> Int {
    defer { dropped = 0 }
    return dropped
  }

  private mutating func compact() {
    if head == items.count {
      items.removeAll(keepingCapacity: true)
      head = 0
    } else if head > 1024 && head * 2 > items.count {
      items.removeFirst(head)
      head = 0
    }
  }
}
