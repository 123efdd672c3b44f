// `Mutex<Void>` used as a plain lock around fields of a class.
import Synchronization

extension Mutex where Value == Void {
  /// Runs `body` with the lock held.
  @inlinable @inline(__always)
  borrowing func withLock<R>(_ body: () throws -> R) rethrows -> R {
    _unsafeLock()
    defer { _unsafeUnlock() }
    return try body()
  }
}
