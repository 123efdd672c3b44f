// OTP's crash report: when a server ends abnormally — a callback threw, returned
// `.stop` with a reason other than normal or shutdown, or its parent's exit stopped it —
// one line at `.error` on the node's logger says which process (pid, registered name,
// label, server type), why, the last message it was handling, and its state as
// `formatStatus` shows it (which redacts). A killed server runs no code, so it leaves
// none: its supervisor's report tells of it. Written by the ending server's own process.
import Actors

/// Builds and writes crash reports.
public enum CrashReport {
  /// Longest text kept of the last message and of the state (a socket's data or a large
  /// state would otherwise make lines of megabytes).
  public static let textLimit = 2_000

  /// Writes the report of a server that ended with `reason`.
  @usableFromInline
  static func log(
    _ logger: Logger, server: String, pid: Pid, name: String?, label: String?, reason: ExitReason, lastMessage: String,
    state: String
  ) {
    var metadata: Logger.Metadata = [
      "report": "crash", "pid": .string(pid.description), "server": .string(server), "reason": .string(reason.description),
      "last_message": .string(clipped(lastMessage)), "state": .string(clipped(state)),
    ]
    if let name { metadata["name"] = .string(name) }
    if let label { metadata["label"] = .string(label) }
    let who = "\(server) \(pid)" + (name.map { " (\($0))" } ?? "")
    logger.error("crash report: \(who) terminated: \(reason)", metadata: metadata, source: "GenServer")
  }

  /// `text`, cut at `textLimit` characters with a note of how much was cut.
  static func clipped(_ text: String) -> String {
    guard text.count > textLimit else { return text }
    return String(text.prefix(textLimit)) + "… (\(text.count - textLimit) more characters)"
  }
}

extension ServerLoop {
  /// Writes a crash report if `reason` is abnormal (see CrashReport.swift) and the
  /// process ends by itself: one killed while it waited in a callback is already dead,
  /// and, as in OTP, a kill leaves no crash report. Costs one comparison for an orderly
  /// end.
  @inlinable
  static func reportCrash(_ reason: ExitReason, last message: Message<ServerMessage<S>>?, _ box: ServerBox<S>, _ ctx: ServerContext<S>) {
    guard !reason.isOrderly, ctx.pid.isAlive, ctx.node.logger.isLogging(.error) else { return }
    CrashReport.log(
      ctx.node.logger, server: String(describing: S.self), pid: ctx.pid, name: ctx.registeredName, label: ctx.label, reason: reason,
      lastMessage: message.map(lastMessageText) ?? "none (during initialize)",
      state: box.state.map { box.server.formatStatus($0) } ?? "(initializing)")
  }

  /// A message as the crash report names it.
  @inlinable
  static func lastMessageText(_ message: Message<ServerMessage<S>>) -> String {
    switch message {
    case .message(let m): return lastMessageText(m)
    case .exit(let from, let reason): return "EXIT from \(from): \(reason)"
    case .down(_, let pid, let reason): return "DOWN of \(pid): \(reason)"
    case .timer(_, let m): return "timer: " + lastMessageText(m)
    case .timeout: return "timeout"
    // What a peer sent may be a secret (a password line): its size is enough to know.
    case .io(let socket, .data(let bytes)): return "io \(socket): data (\(bytes.count) bytes, not shown)"
    case .io(let socket, let event): return "io \(socket): \(event)"
    }
  }

  @inlinable
  static func lastMessageText(_ message: ServerMessage<S>) -> String {
    switch message {
    case .call(let request, _): return "call \(request)"
    case .cast(let cast): return "cast \(cast)"
    case .info(let info): return "info \(info)"
    case .system(.stop(let reason, _)): return "system stop: \(reason)"
    case .system(.inspect): return "system inspect"
    case .system(.status): return "system status"
    }
  }
}
