// What CHATHISTORY asks of a channel's stored messages, in the store's own terms, and
// how every backend answers it the same way: a query becomes one or two reads of a
// range of the channel's order (the oldest or the newest few in it), and the reads'
// rows become the answer. Pure values and functions: the SQLite writer thread and the
// Redis archive's query helpers run them; no state.
//
// The order: every backend keeps a channel's messages in one total order that holds
// for the life of the history, a message's `HistoryPosition` — its time (Unix ms), then
// a number that orders messages of the same millisecond (SQLite's row id, a stream
// entry's sequence). A msgid selector points at a message's position; a timestamp
// selector falls between positions (before every message of that millisecond, or after
// all of them), so "before", "after" and "between" exclude what they name, as the
// specification asks.

/// Where a CHATHISTORY parameter points: a time, or a message by its msgid.
enum HistorySelector: Sendable, Equatable {
  /// Unix milliseconds (`timestamp=`).
  case time(Int64)
  /// A message's msgid (`msgid=`).
  case msgid(String)
}

/// A message's place in its channel's order: time first, then a number the backend
/// gives messages of the same millisecond.
struct HistoryPosition: Sendable, Comparable, Hashable {
  /// Unix milliseconds.
  var time: Int64
  var sequence: UInt64

  static func < (a: HistoryPosition, b: HistoryPosition) -> Bool {
    a.time != b.time ? a.time < b.time : a.sequence < b.sequence
  }

  /// The first position of millisecond `time`: before every message sent in it.
  static func start(of time: Int64) -> HistoryPosition { HistoryPosition(time: time, sequence: 0) }

  /// The position right after this one.
  var next: HistoryPosition {
    sequence == .max ? HistoryPosition(time: time + 1, sequence: 0) : HistoryPosition(time: time, sequence: sequence + 1)
  }
}

/// One read of a channel: the messages at positions in `from..<to` (nil: no bound on
/// that side), the oldest `limit` of them or the newest. Backends return them oldest
/// first either way.
struct HistoryRange: Sendable, Equatable {
  var from: HistoryPosition?
  var to: HistoryPosition?
  var newest: Bool
  var limit: Int

  /// Whether no position can be in the range (a read can be skipped).
  var isEmpty: Bool {
    if let from, let to { return from >= to }
    return limit <= 0
  }
}

/// A CHATHISTORY query of one channel, as the store is asked it.
enum HistoryQuery: Sendable, Equatable {
  /// The newest `limit` messages; only those after `after` if given (LATEST).
  case latest(after: HistorySelector?, limit: Int)
  /// The newest `limit` messages before the selector (BEFORE).
  case before(HistorySelector, limit: Int)
  /// The oldest `limit` messages after the selector (AFTER).
  case after(HistorySelector, limit: Int)
  /// Up to `limit` messages around the selector: a message it names is included (AROUND).
  case around(HistorySelector, limit: Int)
  /// Up to `limit` messages strictly between two selectors, counted from the first
  /// (BETWEEN: forwards in time when the first is the earlier, else backwards).
  case between(HistorySelector, HistorySelector, limit: Int)

  /// The msgids the backend must find before it can read.
  var msgids: [String] {
    var ids: [String] = []
    func add(_ s: HistorySelector?) { if case .msgid(let id)? = s { ids.append(id) } }
    switch self {
    case .latest(let after, _): add(after)
    case .before(let s, _), .after(let s, _), .around(let s, _): add(s)
    case .between(let a, let b, _):
      add(a)
      add(b)
    }
    return ids
  }

  var limit: Int {
    switch self {
    case .latest(_, let n), .before(_, let n), .after(_, let n), .around(_, let n), .between(_, _, let n): return n
    }
  }

  /// The reads that answer the query, given where each msgid sits (`positions`); nil
  /// when a msgid is not in the channel's history (the answer is then empty, as other
  /// servers answer it).
  func ranges(positions: [String: HistoryPosition]) -> [HistoryRange]? {
    // Where a selector's "after it" begins and its "before it" ends.
    func afterIt(_ s: HistorySelector) -> HistoryPosition? {
      switch s {
      case .time(let t): return .start(of: t == .max ? t : t + 1)
      case .msgid(let id): return positions[id]?.next
      }
    }
    func beforeIt(_ s: HistorySelector) -> HistoryPosition? {
      switch s {
      case .time(let t): return .start(of: t)
      case .msgid(let id): return positions[id]
      }
    }
    let n = max(0, limit)
    switch self {
    case .latest(nil, _):
      return [HistoryRange(from: nil, to: nil, newest: true, limit: n)]
    case .latest(let s?, _):
      guard let from = afterIt(s) else { return nil }
      return [HistoryRange(from: from, to: nil, newest: true, limit: n)]
    case .before(let s, _):
      guard let to = beforeIt(s) else { return nil }
      return [HistoryRange(from: nil, to: to, newest: true, limit: n)]
    case .after(let s, _):
      guard let from = afterIt(s) else { return nil }
      return [HistoryRange(from: from, to: nil, newest: false, limit: n)]
    case .around(let s, _):
      // Up to `limit` on each side; `combine` keeps a window of `limit` around the point.
      // The point itself (the message a msgid names) starts the later side.
      guard let point = beforeIt(s) else { return nil }
      return [
        HistoryRange(from: nil, to: point, newest: true, limit: n),
        HistoryRange(from: point, to: nil, newest: false, limit: n),
      ]
    case .between(let a, let b, _):
      guard let aStart = beforeIt(a), let bStart = beforeIt(b), let aEnd = afterIt(a), let bEnd = afterIt(b) else { return nil }
      if aStart <= bStart {
        return [HistoryRange(from: aEnd, to: bStart, newest: false, limit: n)]
      }
      return [HistoryRange(from: bEnd, to: aStart, newest: true, limit: n)]
    }
  }

  /// The answer from the rows of each of `ranges`' reads (each oldest first): oldest
  /// first, at most `limit`.
  func combine(_ reads: [[HistoryEntry]]) -> [HistoryEntry] {
    guard case .around = self else { return Array((reads.first ?? []).prefix(max(0, limit))) }
    let earlier = reads.first ?? []
    let later = reads.count > 1 ? reads[1] : []
    // Half before (fewer if there are fewer), the rest from the point on, and what the
    // later side could not fill taken from before again.
    let n = max(0, limit)
    var fromEarlier = min(earlier.count, n / 2)
    let fromLater = min(later.count, n - fromEarlier)
    fromEarlier = min(earlier.count, n - fromLater)
    return Array(earlier.suffix(fromEarlier)) + Array(later.prefix(fromLater))
  }
}
