// The runtime's locks: a word-sized lock made only of atomics, and a value guarded by one.
//
// Why not `Synchronization.Mutex`: its contended path is a priority-inheritance futex
// inside the prebuilt standard library, where the kernel hands the lock over; Thread
// Sanitizer cannot see that hand-over and reports races that are not there. Every
// operation of `Lock` is an atomic compiled into this module, so the sanitizer sees each
// acquire and release. Critical sections in the runtime are a few dozen instructions,
// so a waiter spins briefly and then yields the CPU; it never sleeps in the kernel.
//
// Both are public for the same reason: state that an application's processes share
// (chatd's tables) uses them, so that a Thread Sanitizer run over the application is as
// quiet as one over the runtime.
import Glibc
import Synchronization

/// A small non-recursive lock made of one atomic word, for short critical sections: a
/// waiter spins briefly, then yields its thread. Unlike `Synchronization.Mutex`, every
/// acquire and release is visible to Thread Sanitizer. Embed it beside the state it
/// guards (`@exclusivity(unchecked) var`) where a separate object would cost memory;
/// otherwise use ``Locked``.
// `@unchecked Sendable`: the only state is an atomic word.
public struct Lock: ~Copyable, @unchecked Sendable {
  @usableFromInline let word = Atomic<UInt32>(0)

  @inlinable public init() {}

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

  /// Runs `body` with the lock held. Not reentrant: `body` must not take it again.
  @inlinable @inline(__always)
  public borrowing func withLock<R, E: Error>(_ body: () throws(E) -> R) throws(E) -> R {
    lock()
    defer { unlock() }
    return try body()
  }
}

/// A value that is only read or written with its ``Lock`` held: `Synchronization.Mutex`'s
/// shape, with a lock Thread Sanitizer sees.
// `@unchecked Sendable`: `value` is accessed only inside `withLock`.
public final class Locked<Value>: @unchecked Sendable {
  @usableFromInline let lock = Lock()
  @exclusivity(unchecked) @usableFromInline var value: Value

  @inlinable public init(_ value: Value) { self.value = value }

  /// Runs `body` on the value with the lock held. Not reentrant.
  @inlinable
  public func withLock<R, E: Error>(_ body: (inout Value) throws(E) -> R) throws(E) -> R {
    lock.lock()
    defer { lock.unlock() }
    return try body(&value)
  }
}
