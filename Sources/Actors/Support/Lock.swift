// The runtime's locks: a word-sized lock made only of atomics, and a value guarded by one.
//
// Why not `Synchronization.Mutex`: its contended path is a priority-inheritance futex
// inside the prebuilt standard library, where the kernel hands the lock over; Thread
// Sanitizer cannot see that hand-over and reports races that are not there. Every
// operation of `Lock` is an atomic compiled into this module, so the sanitizer sees each
// acquire and release. Critical sections in the runtime are a few dozen instructions,
// so a waiter spins briefly and then yields the CPU; it never sleeps in the kernel.
import Glibc
import Synchronization

/// A small non-recursive lock.
@usableFromInline
// `@unchecked Sendable`: the only state is an atomic word.
struct Lock: ~Copyable, @unchecked Sendable {
  @usableFromInline let word = Atomic<UInt32>(0)

  @inlinable init() {}

  @inlinable @inline(__always)
  borrowing func lock() {
    if word.compareExchange(expected: 0, desired: 1, ordering: .acquiring).exchanged { return }
    lockSlow()
  }

  @usableFromInline @inline(never)
  borrowing func lockSlow() {
    var spins = 0
    while true {
      if word.load(ordering: .relaxed) == 0,
        word.compareExchange(expected: 0, desired: 1, ordering: .acquiring).exchanged
      {
        return
      }
      spins += 1
      if spins >= 64 {
        // The holder may have been descheduled: let it run.
        sched_yield()
        spins = 32
      }
    }
  }

  @inlinable @inline(__always)
  borrowing func unlock() { word.store(0, ordering: .releasing) }

  /// Runs `body` with the lock held.
  @inlinable @inline(__always)
  borrowing func withLock<R, E: Error>(_ body: () throws(E) -> R) throws(E) -> R {
    lock()
    defer { unlock() }
    return try body()
  }
}

/// A value that is only read or written with its lock held.
@usableFromInline
// `@unchecked Sendable`: `value` is accessed only inside `withLock`.
final class Locked<Value>: @unchecked Sendable {
  @usableFromInline let lock = Lock()
  @exclusivity(unchecked) @usableFromInline var value: Value

  @inlinable init(_ value: Value) { self.value = value }

  @inlinable
  func withLock<R, E: Error>(_ body: (inout Value) throws(E) -> R) throws(E) -> R {
    lock.lock()
    defer { lock.unlock() }
    return try body(&value)
  }
}
