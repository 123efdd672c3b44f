// The reloads of a chaos run against a master (`chatd --workers N`): a thread of its own
// (the control client blocks) that, every interval until the load ends, asks the
// master's control endpoint for a rolling reload (`reload`: every worker replaced, one
// at a time) and keeps its report — how long each new worker took to serve, how many
// sessions moved, how many were told to reconnect, whether a worker would not start.
import Control
import Foundation
import Synchronization

final class ChaosReloader: Sendable {
  /// One reload as the master reported it.
  struct Record: Sendable {
    var seconds: Double
    var workers: Int
    var moved: Int
    var toldToReconnect: Int
    /// The longest a slot took: its new worker's start, the hand-off, the old one's end.
    var longestSlotMs: Int
    var failed: Bool
    var error: String?
  }

  private let socketPath: String
  private let interval: Double
  private let until: Date
  private let log: Log
  private let verbose: Bool
  private let stopping = Atomic<Bool>(false)
  private let finished = DispatchGroup()
  private let state = Mutex<[Record]>([])

  init(socketPath: String, interval: Double, until: Date, log: Log, verbose: Bool) {
    self.socketPath = socketPath
    self.interval = interval
    self.until = until
    self.log = log
    self.verbose = verbose
  }

  var records: [Record] { state.withLock { $0 } }

  func start() {
    finished.enter()
    let thread = Thread { [self] in
      defer { finished.leave() }
      var next = Date().addingTimeInterval(interval)
      while !stopping.load(ordering: .relaxed) {
        if Date() < next {
          usleep(50_000)
          continue
        }
        // A reload that would begin after the load is over is not made.
        guard Date().addingTimeInterval(1) < until else { return }
        let record = reload()
        state.withLock { $0.append(record) }
        if verbose || record.failed {
          log.line(
            "chaos: reload \(records.count): \(record.workers) workers in \(fmtPlain(record.seconds)) s, \(record.moved) sessions moved, \(record.toldToReconnect) told to reconnect"
              + (record.error.map { ": \($0)" } ?? ""))
        }
        next = Date().addingTimeInterval(interval)
      }
    }
    thread.name = "chaos reloader"
    thread.start()
  }

  func stop() {
    stopping.store(true, ordering: .relaxed)
    finished.wait()
  }

  private func reload() -> Record {
    let began = Date()
    do {
      let client = try ControlClient(path: socketPath, timeout: .seconds(600))
      defer { client.close() }
      let report = try client.request(operation: "reload")
      guard case .array(let steps) = report["steps"] ?? .null else {
        return Record(
          seconds: Date().timeIntervalSince(began), workers: 0, moved: 0, toldToReconnect: 0, longestSlotMs: 0, failed: true,
          error: "no steps in \(report)")
      }
      let n = { (s: JSON, k: String) in Int(s[k]?.intValue ?? 0) }
      return Record(
        seconds: Date().timeIntervalSince(began), workers: steps.count, moved: steps.reduce(0) { $0 + n($1, "moved") },
        toldToReconnect: steps.reduce(0) { $0 + n($1, "told_to_reconnect") },
        longestSlotMs: steps.map { n($0, "slot_ms") }.max() ?? 0,
        failed: report["failed"]?.boolValue ?? true, error: nil)
    } catch {
      return Record(
        seconds: Date().timeIntervalSince(began), workers: 0, moved: 0, toldToReconnect: 0, longestSlotMs: 0, failed: true,
        error: "\(error)")
    }
  }
}
