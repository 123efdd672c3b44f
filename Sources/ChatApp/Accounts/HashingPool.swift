// Where Argon2id runs: a few threads of their own (two by default), off the schedulers,
// taking jobs from a bounded queue. A password hash or check costs tens of milliseconds
// of CPU and 64 MiB (Accounts/PasswordHash.swift); on a scheduler thread it would hold
// up every process of that scheduler for that long, and a burst of logins would stall
// every client. Here a burst waits in the queue, and past `queueLimit` is refused at
// once ("busy, try again"), so memory stays under threads × 64 MiB plus a small queue.
//
// Why this is safe: a job is a closure over values (a `Secret`, a stored hash) and a
// completion; the pool threads touch no process, no mailbox and no scheduler state. A
// completion only replies through a reply cell or sends a message, which any thread may
// do in Otter (a send from outside the schedulers goes through the target scheduler's
// inbox). The threads run at a lower priority (nice +5) than the schedulers, so under
// load chat traffic goes first and logins wait, not the other way round.
//
// Owner: the account store's process (Accounts/AccountStore.swift) starts and stops it;
// the queue is this object's, behind its condition lock.
import COtterSys
import Foundation
import Glibc
import Synchronization

/// A small pool of threads for password hashing, with a bounded queue.
// `@unchecked Sendable`: `jobs` and `stopping` are read and written only with
// `condition` locked; the rest is immutable or atomic.
final class HashingPool: @unchecked Sendable {
  typealias Job = @Sendable () -> Void

  /// Jobs waiting (beyond those running) before new ones are refused.
  let queueLimit: Int
  let threads: Int
  private let condition = NSCondition()
  private var jobs: [Job] = []
  private var stopping = false
  /// Jobs done, and refused for a full queue (the store's status line).
  let done = Atomic<Int>(0)
  let refused = Atomic<Int>(0)

  /// Starts `threads` threads named `chatd-hash`.
  init(threads: Int = 2, queueLimit: Int = 64) {
    self.threads = max(1, threads)
    self.queueLimit = queueLimit
    for _ in 0..<self.threads {
      let thread = Thread { [self] in
        otter_set_thread_name("chatd-hash")
        // Below the schedulers (nice 0): a login burst must not slow the chat.
        _ = setpriority(__priority_which_t(PRIO_PROCESS.rawValue), id_t(otter_gettid()), 5)
        self.serve()
      }
      thread.start()
    }
  }

  /// Queues `job`; false (and nothing runs) if the queue is full or the pool stopped.
  func submit(_ job: @escaping Job) -> Bool {
    condition.lock()
    defer { condition.unlock() }
    guard !stopping, jobs.count < queueLimit else {
      refused.add(1, ordering: .relaxed)
      return false
    }
    jobs.append(job)
    condition.signal()
    return true
  }

  /// Jobs waiting now.
  var backlog: Int {
    condition.lock()
    defer { condition.unlock() }
    return jobs.count
  }

  /// The threads end once the queue is empty (jobs queued still run, so every caller
  /// is answered); does not wait.
  func stop() {
    condition.lock()
    stopping = true
    condition.broadcast()
    condition.unlock()
  }

  private func serve() {
    while true {
      condition.lock()
      while jobs.isEmpty && !stopping { condition.wait() }
      if jobs.isEmpty {
        condition.unlock()
        return
      }
      let job = jobs.removeFirst()
      condition.unlock()
      job()
      done.add(1, ordering: .relaxed)
    }
  }
}
