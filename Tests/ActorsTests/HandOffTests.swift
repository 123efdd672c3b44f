import OtterTestSupport
import XCTest

@testable import Actors

/// When a handler process goes idle, the next sender may schedule it on another thread
/// at once: from then on the thread that ran the slice must not touch the process (not
/// even to read whether it ended). Here processes go idle just as a peer on another
/// scheduler sends them the next request or an exit signal, thousands of times; async
/// handlers also wait for replies (a continuation resumed by another thread) and arm idle
/// timeouts (timers fired by yet another thread).
///
/// What it checks: every process handles exactly its quota of work, ends with the reason
/// it was sent, never gets an idle timeout it did not ask for, and the node is back to
/// its baseline. Run under Thread Sanitizer it also checks that the hand-off is ordered
/// (the old slice's last reads after `.idle` were reported as races; see
/// `nextForHandler(beforeIdle:)`).
final class HandOffTests: XCTestCase {
  enum WorkerMsg: Sendable {
    case work(Int)
  }
  enum ServerMsg: Sendable {
    case ask(Int, ReplyTo<Int>)
  }
  enum CoordinatorMsg: Sendable {
    /// A worker finished its `n`th piece of work (and is about to go idle).
    case did(Address<WorkerMsg>, Int)
    case report(ReplyTo<[UInt64: Int]>)
  }
  struct WorkerState {
    var handled = 0
    /// Whether the last message handled asked for an idle timeout.
    var armed = false
  }

  static func quota(_ pid: Pid) -> Int { 1 + Int(pid.id % 4) }
  static func exitReason(_ pid: Pid) -> ExitReason {
    switch pid.id % 3 {
    case 0: return .kill
    case 1: return .custom("bye")
    default: return .shutdown
    }
  }
  static func downReason(_ pid: Pid) -> ExitReason {
    if case .kill = exitReason(pid) { return .killed }
    return exitReason(pid)
  }

  func testProcessesGoingIdleWhileWokenAndKilledFromOtherThreads() async throws {
    try await runHandOffStress(rounds: 30, perRound: 120)
  }

  func runHandOffStress(rounds: Int, perRound: Int) async throws {
    let anomalies = Recorder<String>()
    try await withNode(schedulers: 4) { node in
      let baseline = node.processCount
      try await node.run(Never.self) { ctx in
        let servers = (0..<2).map { _ in
          ctx.spawn(ServerMsg.self, state: ()) { _, msg, _ in
            if case .ask(let k, let reply)? = msg.value { reply.reply(k + 1) }
            return .continue
          }
        }
        // Answers each worker the moment it reports: the next piece of work, or the exit
        // signal once its quota is done. It runs on its own scheduler thread, so these
        // arrive while the worker finishes its slice and goes idle on another one.
        let coordinator = ctx.spawn(CoordinatorMsg.self, state: [UInt64: Int]()) { counts, msg, ctx in
          switch msg.value {
          case .did(let worker, let n)?:
            counts[worker.pid.id] = n
            if n >= HandOffTests.quota(worker.pid) {
              ctx.exit(worker.pid, reason: HandOffTests.exitReason(worker.pid))
            } else {
              worker.send(.work(n))
            }
          case .report(let reply)?:
            reply.reply(counts)
            counts = [:]
          case nil: break
          }
          return .continue
        }
        for round in 0..<rounds {
          var expected: [Ref: Pid] = [:]
          for i in 0..<perRound {
            let worker: Address<WorkerMsg>
            let ref: Ref
            if (i + round) % 4 == 3 {
              // A synchronous handler (run straight on the scheduler thread).
              (worker, ref) = ctx.spawnMonitor(WorkerMsg.self, state: WorkerState()) { st, msg, ctx in
                switch msg {
                case .message(.work(let k)):
                  st.handled += 1
                  coordinator.send(.did(ctx.address, st.handled))
                  st.armed = k.isMultiple(of: 2)
                  return st.armed ? .continueWithTimeout(.microseconds(300)) : .continue
                case .timeout:
                  if !st.armed { anomalies.add("sync worker: idle timeout it did not ask for") }
                  st.armed = false
                  return .continue
                default:
                  anomalies.add("sync worker: unexpected \(msg)")
                  return .continue
                }
              }
            } else {
              // An async handler that waits for a reply in the middle of each message.
              let server = servers[i % servers.count]
              (worker, ref) = ctx.spawnMonitor(WorkerMsg.self, state: WorkerState()) { st, msg, ctx in
                switch msg {
                case .message(.work(let k)):
                  let answer: Int = try await ctx.request(server, timeout: .seconds(30)) { .ask(k, $0) }
                  if answer != k + 1 { anomalies.add("wrong answer \(answer) to \(k)") }
                  st.handled += 1
                  coordinator.send(.did(ctx.address, st.handled))
                  st.armed = k.isMultiple(of: 2)
                  return st.armed ? .continueWithTimeout(.microseconds(300)) : .continue
                case .timeout:
                  if !st.armed { anomalies.add("async worker: idle timeout it did not ask for") }
                  st.armed = false
                  return .continue
                default:
                  anomalies.add("async worker: unexpected \(msg)")
                  return .continue
                }
              }
            }
            expected[ref] = worker.pid
            worker.send(.work(0))
          }
          var downs = 0
          while downs < perRound {
            guard let m = try await ctx.receive(timeout: .seconds(30)) else {
              anomalies.add("round \(round): only \(downs) of \(perRound) workers ended")
              break
            }
            guard case .down(let ref, let pid, let reason) = m, let worker = expected.removeValue(forKey: ref) else {
              anomalies.add("round \(round): unexpected \(m)")
              continue
            }
            downs += 1
            if pid != worker { anomalies.add("DOWN for \(pid) under the ref of \(worker)") }
            if reason != HandOffTests.downReason(worker) {
              anomalies.add("\(worker) ended with \(reason), expected \(HandOffTests.downReason(worker))")
            }
          }
          let counts: [UInt64: Int] = try await ctx.request(coordinator, timeout: .seconds(30)) { .report($0) }
          for (_, worker) in expected { anomalies.add("no DOWN for \(worker)") }
          for (id, n) in counts where n != 1 + Int(id % 4) {
            anomalies.add("worker \(id) handled \(n) pieces of work, quota \(1 + id % 4)")
          }
          if counts.count != perRound { anomalies.add("round \(round): \(counts.count) of \(perRound) workers reported") }
        }
        for server in servers { ctx.exit(server.pid, reason: .shutdown) }
        ctx.exit(coordinator.pid, reason: .shutdown)
      }
      try await eventually(timeout: .seconds(20)) { node.processCount == baseline }
    }
    XCTAssertEqual(anomalies.all.prefix(20), [], "\(anomalies.count) anomalies")
  }
}
