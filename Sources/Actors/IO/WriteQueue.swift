// A socket's write queue: the chunks `send` held for a coalesced write or could not
// write at once, in order. A socket mostly holds one chunk at a time — a chat line held
// until the end of the sender's slice, then written — so the first chunk is kept
// inline: queuing it allocates nothing and writing it touches no memory beyond the
// socket (an array per send was a malloc and a free per delivery, and a cache miss on
// each). Chunks behind it go to an array, given back when the queue empties, so a quiet
// socket keeps no buffer: given to the scheduler the socket is written on (`Spares`),
// which lends it to the next socket that needs one — a busy room sends several lines to
// each member per slice, and each would otherwise cost an allocation and a free.
// Owner: the socket, under its lock (Socket.swift); the spares, their scheduler's thread.
import Glibc

/// Chunks waiting to be written, oldest first. Empty chunks are not kept.
struct WriteQueue {
  /// The oldest chunk; empty only when the whole queue is.
  private var head: ArraySlice<UInt8> = []
  /// The chunks after `head`, in order.
  private var rest: [ArraySlice<UInt8>] = []

  init() {}

  var isEmpty: Bool { head.isEmpty }

  /// Chunks queued.
  var count: Int { head.isEmpty ? 0 : 1 + rest.count }

  /// Whether chunks are kept out of line (more than one queued, or a buffer not yet
  /// given back): tests of the footprint.
  var hasStorage: Bool { rest.capacity > 0 }

  /// Emptied chunk arrays, kept by one scheduler for the next queue that needs one.
  struct Spares {
    fileprivate var arrays: [[ArraySlice<UInt8>]] = []
    /// At most this many arrays are kept, of at most `largest` chunks each.
    static var limit: Int { 64 }
    static var largest: Int { 64 }
    /// The capacity of a new array.
    static var first: Int { 8 }
    init() {}
    var count: Int { arrays.count }
  }

  /// Queues `chunk` (shared with the caller, not copied) behind what is there; a second
  /// chunk takes an array from `spares` if there is one.
  mutating func append(_ chunk: ArraySlice<UInt8>, spares: inout Spares) {
    if chunk.isEmpty { return }
    if head.isEmpty {
      head = chunk
      return
    }
    if rest.capacity == 0 {
      if let spare = spares.arrays.popLast() {
        rest = spare
      } else {
        // Room for a few: a socket that holds two chunks mostly holds more.
        rest.reserveCapacity(Spares.first)
      }
    }
    rest.append(chunk)
  }

  /// Queues `chunk` where there are no spares (a thread that is not a scheduler's).
  mutating func append(_ chunk: ArraySlice<UInt8>) {
    var none = Spares()
    append(chunk, spares: &none)
  }

  /// Calls `body` with iovecs for the first `limit` chunks (at most) and their count.
  /// The chunks stay alive, and in place, during the call. Mutating only so that the
  /// queue is used where it lies: a copy would retain each chunk's buffer.
  mutating func withIOVecs<R>(limit: Int, _ body: (UnsafeMutablePointer<iovec>, Int32) -> R) -> R {
    let count = min(self.count, limit)
    return withUnsafeTemporaryAllocation(of: iovec.self, capacity: max(count, 1)) { iov in
      if count > 0 {
        head.withUnsafeBytes { iov[0] = iovec(iov_base: UnsafeMutableRawPointer(mutating: $0.baseAddress), iov_len: $0.count) }
      }
      for i in 1..<max(count, 1) {
        rest[i - 1].withUnsafeBytes { raw in
          iov[i] = iovec(iov_base: UnsafeMutableRawPointer(mutating: raw.baseAddress), iov_len: raw.count)
        }
      }
      return body(iov.baseAddress!, Int32(count))
    }
  }

  /// Drops the first `written` bytes: the chunks written whole in one step (one removal
  /// per write, not one per chunk: per chunk made a long queue quadratic), then what was
  /// written of the next. An array emptied goes to `spares` (if there is room).
  mutating func removeFirst(bytes written: Int, spares: inout Spares) {
    if written < head.count {
      head = head.dropFirst(written)
      return
    }
    var left = written - head.count
    var whole = 0
    while whole < rest.count, left >= rest[whole].count {
      left -= rest[whole].count
      whole += 1
    }
    if whole == rest.count {
      head = []
      rest.removeAll(keepingCapacity: true)
    } else {
      head = rest[whole].dropFirst(left)
      rest.removeFirst(whole + 1)
    }
    // Nothing behind the head: the array is not kept by this queue.
    guard rest.isEmpty, rest.capacity > 0 else { return }
    if spares.arrays.count < Spares.limit && rest.capacity <= Spares.largest { spares.arrays.append(rest) }
    rest = []
  }

  /// `removeFirst(bytes:spares:)` where there are no spares.
  mutating func removeFirst(bytes written: Int) {
    var none = Spares()
    removeFirst(bytes: written, spares: &none)
  }

  /// Drops everything and gives the storage back.
  mutating func removeAll() {
    head = []
    rest = []
  }
}
