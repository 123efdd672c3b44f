// A growable FIFO ring buffer over manually managed memory. Popping moves the element
// out (no retain/release pair), and there is no copy-on-write check: it is a
// non-copyable value with exactly one owner.
//
// Growth uses realloc: a large block is remapped by the kernel rather than copied, and
// its new pages are faulted in one at a time as they are written. A mailbox that grows
// to 100,000 messages therefore never stalls its senders for a multi-megabyte copy under
// the process lock; only the wrapped-around part of the ring is moved.

import Glibc

/// First-in first-out queue with O(1) append and pop, and removal from the middle.
@usableFromInline
struct Ring<Element>: ~Copyable {
  @usableFromInline var buffer: UnsafeMutablePointer<Element>?
  @usableFromInline var capacity = 0
  @usableFromInline var head = 0
  @usableFromInline var count = 0

  @inlinable init() {}

  /// The most slots an idle process's mailbox keeps (`Process.refill`): what one or
  /// two messages at a time need, not what a burst grew.
  @inlinable static var idleCapacity: Int { 8 }

  @inlinable deinit {
    if let buffer {
      var i = 0
      while i < count {
        (buffer + ((head + i) & (capacity - 1))).deinitialize(count: 1)
        i += 1
      }
      free(UnsafeMutableRawPointer(buffer))
    }
  }

  @inlinable var isEmpty: Bool { count == 0 }

  @inlinable mutating func append(_ element: consuming Element) {
    if count == capacity { grow() }
    (buffer.unsafelyUnwrapped + ((head &+ count) & (capacity &- 1))).initialize(to: element)
    count &+= 1
  }

  /// Puts an element back at the front.
  @inlinable mutating func prepend(_ element: consuming Element) {
    if count == capacity { grow() }
    head = (head &- 1) & (capacity &- 1)
    (buffer.unsafelyUnwrapped + head).initialize(to: element)
    count &+= 1
  }

  @inlinable mutating func popFirst() -> Element? {
    if count == 0 { return nil }
    let element = (buffer.unsafelyUnwrapped + head).move()
    head = (head &+ 1) & (capacity &- 1)
    count &-= 1
    return element
  }

  /// The element `offset` places from the front.
  @inlinable subscript(offset: Int) -> Element {
    precondition(offset >= 0 && offset < count, "Ring index out of range")
    return buffer.unsafelyUnwrapped[(head &+ offset) & (capacity &- 1)]
  }

  /// Removes and returns the element `offset` places from the front, keeping order.
  @inlinable mutating func remove(at offset: Int) -> Element {
    precondition(offset >= 0 && offset < count, "Ring index out of range")
    let b = buffer.unsafelyUnwrapped
    let mask = capacity &- 1
    let element = (b + ((head &+ offset) & mask)).move()
    var i = offset
    while i + 1 < count {
      (b + ((head &+ i) & mask)).moveInitialize(from: b + ((head &+ i &+ 1) & mask), count: 1)
      i += 1
    }
    count -= 1
    if count == 0 { head = 0 }
    return element
  }

  @inlinable mutating func grow() {
    precondition(MemoryLayout<Element>.alignment <= 16, "Ring elements must fit malloc's alignment")
    let oldCapacity = capacity
    // Small first: most processes hold one message at a time, and an idle one keeps its
    // storage (two rings per process).
    let newCapacity = oldCapacity == 0 ? 1 : oldCapacity * 2
    let stride = MemoryLayout<Element>.stride
    guard let raw = realloc(buffer.map(UnsafeMutableRawPointer.init), newCapacity * stride) else {
      fatalError("Ring: out of memory growing to \(newCapacity) elements")
    }
    let b = raw.assumingMemoryBound(to: Element.self)
    // Elements that wrapped around to the start move to just after the old end.
    let wrapped = head + count - oldCapacity
    if oldCapacity > 0 && wrapped > 0 {
      (b + oldCapacity).moveInitialize(from: b, count: wrapped)
    }
    buffer = b
    capacity = newCapacity
  }

  /// Drops every element; frees the storage if it has grown large.
  @inlinable mutating func removeAll() {
    while count > 0 { _ = popFirst() }
    head = 0
    if capacity > 1024 { releaseStorage() }
  }

  @inlinable mutating func releaseStorage() {
    precondition(count == 0)
    if let b = buffer { free(UnsafeMutableRawPointer(b)) }
    buffer = nil
    capacity = 0
    head = 0
  }

  /// Heap bytes of the storage.
  @inlinable var capacityBytes: Int { capacity * MemoryLayout<Element>.stride }
}

extension Ring {
  /// Exchanges the contents of two rings in O(1).
  @inlinable static func exchange(_ a: inout Ring, _ b: inout Ring) {
    let (ab, ac, ah, an) = (a.buffer, a.capacity, a.head, a.count)
    a.buffer = b.buffer
    a.capacity = b.capacity
    a.head = b.head
    a.count = b.count
    b.buffer = ab
    b.capacity = ac
    b.head = ah
    b.count = an
  }
}
