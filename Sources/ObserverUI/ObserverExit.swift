// Every exit status `observer` can end with, and what each means: one table that the
// executable exits by and that `observer --help` prints, so the documentation cannot
// drift from the code. Scripts can tell "no node" from "several nodes" from "too slow".
import Control

/// How `observer` ends, as its exit status.
public enum ObserverExit: Int32, CaseIterable, Sendable {
  /// The output was printed, or the live view was quit with `q`.
  case ok = 0
  /// Anything else went wrong: the node answered with an error or something that is not
  /// the protocol, a system call failed, the output could not be written.
  case failure = 1
  /// The command line is wrong, or the live view has no terminal to draw on.
  case usage = 2
  /// Several running nodes match and nothing says which: the candidates are listed.
  case ambiguous = 3
  /// No node: none in the discovery directory, none matching `--node`, or nobody
  /// listening at the socket (sysexits' EX_UNAVAILABLE).
  case unavailable = 69
  /// The node did not answer within `--timeout` (EX_TEMPFAIL).
  case timeout = 75
  /// The socket or the node belongs to another user (EX_NOPERM).
  case permissionDenied = 77

  /// One line for `observer --help`.
  public var meaning: String {
    switch self {
    case .ok: return "done: the output was printed, or the live view was quit (q)"
    case .failure: return "the node answered with an error or garbled; a system call or the output failed"
    case .usage: return "bad command line, or no terminal for the live view (use --once/--json/--dot)"
    case .ambiguous: return "several nodes match: the candidates are listed; choose with --node"
    case .unavailable:
      return "no node found, none matching --node, or none listening at the socket (with --cluster: Redis unreachable, or no such member)"
    case .timeout: return "the node did not answer within --timeout"
    case .permissionDenied: return "the socket or the node belongs to another user"
    }
  }

  /// The exit statuses section of `observer --help` (signals included).
  public static var helpSection: String {
    var lines = ["exit status"]
    for status in allCases {
      let code = String(status.rawValue)
      lines.append("  " + code + String(repeating: " ", count: max(1, 5 - code.count)) + status.meaning)
    }
    lines.append("  129, 130, 143  the live view ended by SIGHUP, SIGINT or SIGTERM (128 + the signal)")
    return lines.joined(separator: "\n")
  }
}

extension ControlClientError {
  /// The exit status `observer` ends with when a request fails this way.
  public var observerExit: ObserverExit { ObserverExit(rawValue: exitStatus) ?? .failure }
}
