// The commands a connection has written and Redis has not answered yet, oldest first.
// Owned by the connection process: replies are matched to them strictly in order.
import Actors

enum PendingReply {
  /// One caller's command.
  case one(ReplyTo<CommandResult>)
  /// A batch: the first reply of `count`; the connection collects the rest.
  case batch(ReplyTo<BatchResult>, count: Int)
  /// A command the connection sent itself (PING keepalive): the reply is dropped.
  case own
}

/// A FIFO queue that reuses its storage (a ring would wrap; this compacts instead).
struct PendingReplies {
  private var items: [PendingReply] = []
  private var head = 0

  var count: Int { items.count - head }
  var isEmpty: Bool { head == items.count }
  var first: PendingReply? { head < items.count ? items[head] : nil }

  mutating func append(_ item: PendingReply) { items.append(item) }

  mutating func removeFirst() -> PendingReply? {
    guard head < items.count else { return nil }
    let item = items[head]
    items[head] = .own
    head += 1
    if head == items.count {
      items.removeAll(keepingCapacity: items.capacity <= 1024)
      head = 0
    } else if head >= 1024 && head * 2 >= items.count {
      items.removeFirst(head)
      head = 0
    }
    return item
  }

  /// Empties the queue, failing every waiting caller with `error`.
  mutating func failAll(_ error: RedisError) {
    while let item = removeFirst() {
      switch item {
      case .one(let r): r.reply(.failure(error))
      case .batch(let r, _): r.reply(.failure(error))
      case .own: break
      }
    }
    items = []
  }
}
