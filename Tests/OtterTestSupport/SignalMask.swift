// Children start with no signals blocked. A child inherits the signal mask of the thread
// that spawns it, and Foundation's Process does not reset it: spawned from a Swift
// concurrency (libdispatch) thread, which blocks most signals, a server (redis-server, a test node) would ignore
// SIGTERM and stop() would always end in SIGKILL. Stateless: the calling thread's mask is
// changed only for the duration of the spawn and restored.
import Glibc

/// Runs `body` (a spawn) with the calling thread's signal mask emptied, then restores it.
public func withNoSignalsBlocked<R>(_ body: () throws -> R) rethrows -> R {
  var empty = sigset_t()
  var saved = sigset_t()
  sigemptyset(&empty)
  pthread_sigmask(SIG_SETMASK, &empty, &saved)
  defer { pthread_sigmask(SIG_SETMASK, &saved, nil) }
  return try body()
}
