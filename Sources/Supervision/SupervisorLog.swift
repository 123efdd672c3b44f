// OTP's supervisor and progress reports, on the node's logger. A supervisor writes a
// supervisor report (`.error`) when a child it supervises ends and it restarts it (or
// not, or gives up), when a child fails to start, and when a child it stops does not end
// with the reason asked for (a shutdown error); and a progress report (`.debug`) for
// every child it starts. Written by the supervisor's own process, for `Supervisor` and
// `DynamicSupervisor` alike. Reference: OTP's supervisor reports (child_terminated,
// start_error, shutdown_error, reached_max_restart_intensity) and progress reports.
import Actors

/// What a supervisor did about a child, as its report says.
enum SupervisorAction: String {
  /// Restarted (or about to be, after a backoff delay).
  case restart
  /// Not restarted: its restart type does not restart it after this reason.
  case notRestarted = "not_restarted"
  /// One restart too many within the period: every child is stopped and the supervisor exits.
  case giveUp = "give_up"
  /// One restart in a row too many for the child's `maxRestarts`: it is left stopped.
  case maxRestarts = "max_restarts"
  /// The start failed; it will be tried again (the attempt counts as a restart).
  case retry
  /// The start failed while the supervisor itself was starting, which it cannot survive.
  case stop
  /// Stopped by the supervisor, it ended with another reason than asked for.
  case shutdownError = "shutdown_error"
}

/// Writes a supervisor's reports; made when there is something to report.
struct SupervisorLog {
  let logger: Logger
  /// The supervisor: its registered name, else its label, else its pid.
  let supervisor: String
  let pid: Pid

  /// The supervisor as a report's message names it: name and pid, or the pid alone.
  var who: String { supervisor == pid.description ? supervisor : "\(supervisor) \(pid)" }

  init<M>(_ ctx: Context<M>) {
    logger = ctx.node.logger
    pid = ctx.pid
    supervisor = ctx.registeredName ?? ctx.label ?? ctx.pid.description
  }

  /// A child ended (or failed to start, or to stop) and the supervisor did `action`.
  /// - Parameters:
  ///   - restarts: the restart intensity used within the period, counting this one.
  ///   - also: the siblings restarted with it (one_for_all, rest_for_one).
  ///   - delay: a backoff delay before the restart.
  ///   - exits: the child's last exit reasons, newest last (for a give-up).
  ///   - inARow: restarts in a row so far, and the most its spec allows (`maxRestarts`).
  func child(
    _ child: String, pid childPid: Pid?, reason: ExitReason, action: SupervisorAction, restarts: RestartUsage? = nil,
    also: [String] = [], delay: Duration? = nil, exits: [String] = [], inARow: (done: Int, most: Int)? = nil
  ) {
    guard logger.isLogging(.error) else { return }
    var metadata: Logger.Metadata = [
      "report": "supervisor", "supervisor": .string(supervisor), "supervisor_pid": .string(pid.description),
      "child": .string(child), "reason": .string(reason.description), "action": .string(action.rawValue),
    ]
    if let childPid { metadata["child_pid"] = .string(childPid.description) }
    if let restarts {
      metadata["restarts_used"] = .stringConvertible(restarts.used)
      metadata["intensity"] = .stringConvertible(restarts.intensity)
      metadata["period_s"] = .stringConvertible(seconds(restarts.period))
    }
    if !also.isEmpty { metadata["restarting"] = .string(([child] + also).joined(separator: ",")) }
    if !exits.isEmpty { metadata["last_exits"] = .string(exits.joined(separator: "; ")) }
    let history = exits.count > 1 ? " (last exits: \(exits.joined(separator: "; ")))" : ""
    let subject = "child \(child)" + (childPid.map { " \($0)" } ?? "")
    let what: String
    switch action {
    case .restart:
      let siblings = also.isEmpty ? "" : " with \(also.joined(separator: ", "))"
      let when = delay.map { " in \(SupervisorLog.text($0)) (backoff)" } ?? ""
      what = "\(subject) exited (\(reason)); restarting it\(siblings)\(when)" + (restarts.map { " (\($0))" } ?? "")
    case .notRestarted:
      what = "\(subject) exited (\(reason)); not restarted"
    case .giveUp:
      let budget = restarts.map { ": \($0.used) restarts in \(SupervisorLog.text($0.period)), more than the \($0.intensity) allowed" } ?? ""
      what = "\(subject) exited (\(reason))\(budget); giving up, stopping every child\(history)"
    case .maxRestarts:
      let row = inARow.map { ": \($0.done) restarts in a row, the most it may have is \($0.most)" } ?? ""
      what = "\(subject) exited (\(reason))\(row); not restarting it any more\(history)"
    case .retry:
      what = "\(subject) failed to start (\(reason)); trying again" + (restarts.map { " (\($0))" } ?? "")
    case .stop:
      what = "\(subject) failed to start (\(reason)); the supervisor cannot start"
    case .shutdownError:
      what = "\(subject) did not shut down cleanly: \(reason)"
    }
    logger.error("supervisor report: \(who): \(what)", metadata: metadata, source: "Supervision")
  }

  /// The progress report of a child started (at `.debug`).
  static func started<M>(_ child: @autoclosure () -> String, pid childPid: Pid?, _ ctx: Context<M>) {
    guard let childPid, ctx.node.logger.isLogging(.debug) else { return }
    let log = SupervisorLog(ctx)
    let child = child()
    log.logger.debug(
      "progress report: \(log.who) started child \(child) \(childPid)",
      metadata: [
        "report": "progress", "supervisor": .string(log.supervisor), "supervisor_pid": .string(log.pid.description),
        "child": .string(child), "child_pid": .string(childPid.description),
      ], source: "Supervision")
  }

  /// A child stopped by its supervisor ended with `reason`: a shutdown error unless that
  /// is what was asked for (OTP's rule, which also lets a child that is not permanent
  /// end normally), or the child was already gone.
  static func checkShutdown<M>(
    _ child: @autoclosure () -> String, pid: Pid, reason: ExitReason, shutdown: Shutdown, restart: Restart, _ ctx: Context<M>
  ) {
    let expected: ExitReason = shutdown == .brutalKill ? .killed : .shutdown
    if reason == expected || reason == .noproc || (reason.isNormal && restart != .permanent) { return }
    SupervisorLog(ctx).child(child(), pid: pid, reason: reason, action: .shutdownError)
  }

  /// `5s`, `250ms`: a duration as the reports write it.
  static func text(_ d: Duration) -> String {
    let ms = d.clampedNanoseconds / 1_000_000
    return ms % 1000 == 0 ? "\(ms / 1000)s" : "\(ms)ms"
  }
}

/// The restart intensity used within the current period.
struct RestartUsage: CustomStringConvertible {
  let used: Int
  let intensity: Int
  let period: Duration

  var description: String { "\(used) of \(intensity) restarts in \(SupervisorLog.text(period))" }
}
