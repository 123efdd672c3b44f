// Moving a worker's sessions to its replacement during a reload: the old worker is
// asked, on its control socket, to hand every session to the new one (its `handoff`
// operation: HandOff/HandOffDrain.swift, the steps in docs/HANDOFF.md) and to keep
// running, so that the master stops it — the supervisor then knows the stop was meant
// and does not restart it. The control client blocks: it runs on a thread of its own
// while the worker set's process waits.
import Actors
import Control
import Foundation

enum SessionHandOff {
  /// How long the old worker is left after the hand-off before it is stopped (the
  /// caller waits): a moved connection lingers half a second for lines that raced the
  /// switch and forwards them.
  static let linger: Duration = .seconds(1)

  /// Hands the sessions of worker `old` (its control socket) to the worker whose
  /// hand-off socket is `to`. Nil when it could not be asked at all; the outcome
  /// otherwise (sessions that could not move were told to reconnect).
  static func move(old controlSocket: String, to handOffSocket: String, logger: Logger) async -> HandOffOutcome? {
    let result: Result<JSON, ControlClientError> = await offScheduler {
      do throws(ControlClientError) {
        let client = try ControlClient(path: controlSocket, timeout: .seconds(600))
        defer { client.close() }
        return .success(
          try client.request(operation: "handoff", [(key: "to", value: .string(handOffSocket)), (key: "stop", value: .bool(false))]))
      } catch {
        return .failure(error)
      }
    }
    switch result {
    case .failure(let error):
      logger.error("reload: the hand-off from \(controlSocket) failed: \(error); its clients are told to reconnect as it stops")
      return nil
    case .success(let report):
      let told = report["told_to_reconnect"]
      let reconnect = Int(told?["websocket"]?.intValue ?? 0) + Int(told?["unregistered"]?.intValue ?? 0)
      var failed = 0
      if case .array(let list) = report["failed"] ?? .null { failed = list.count }
      return HandOffOutcome(moved: Int(report["handed_over"]?.intValue ?? 0), toldToReconnect: reconnect + failed)
    }
  }

  /// Runs `body` on a thread of its own and waits for it without holding a scheduler.
  private static func offScheduler<T: Sendable>(_ body: @escaping @Sendable () -> T) async -> T {
    await withCheckedContinuation { continuation in
      let thread = Thread { continuation.resume(returning: body()) }
      thread.name = "chatd reload hand-off"
      thread.start()
    }
  }
}
