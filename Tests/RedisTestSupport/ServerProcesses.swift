// The redis-server processes the fixtures have started and not yet reaped, by pid. The
// fixtures (RedisServer) add and remove them; at exit whatever is left is killed with
// SIGKILL, so a test run that ends early (a failed XCTest assertion that skipped a
// teardown, an uncaught error) leaves no server behind. A crash of the test process
// itself skips atexit: teardown blocks and deinit are the first line of defence.
import Foundation
import Glibc
import Synchronization

/// Pids of live servers started by this test process.
private let livePids = Mutex<Set<pid_t>>([])

/// Kills, at exit, what is left; installed with the first server.
private let killAtExit: Void = {
  atexit {
    for pid in livePids.withLock({ $0 }) { kill(pid, SIGKILL) }
  }
}()

/// Remembers `pid` as a live server of ours until `forgetServerProcess`.
func rememberServerProcess(_ pid: pid_t) {
  _ = killAtExit
  livePids.withLock { _ = $0.insert(pid) }
}

/// Forgets `pid` (it has been reaped).
func forgetServerProcess(_ pid: pid_t) {
  livePids.withLock { _ = $0.remove(pid) }
}

/// The pids of the servers this test process has started and not yet reaped.
public var liveRedisServerPids: Set<pid_t> { livePids.withLock { $0 } }

/// Waits until Foundation has reaped `process` (it must have been killed or be exiting):
/// at most `timeout`; true if it has.
@discardableResult
func waitForExit(_ process: Process, timeout: Duration = .seconds(30)) -> Bool {
  let deadline = ContinuousClock.now + timeout
  while process.isRunning {
    if ContinuousClock.now >= deadline { return false }
    usleep(200)
  }
  return true
}
