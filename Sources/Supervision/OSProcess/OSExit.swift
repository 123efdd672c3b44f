// How an OS process ended, as waitid tells it, and the Otter exit reason its owner ends
// with: status 0 is `normal`; any other status and every signal is an abnormal reason a
// person can read ("exited with status 3", "killed by SIGSEGV (core dumped)"), so restart
// types, intensity and strategies treat an OS child like any other. Pure values.
import Actors
import Glibc

/// How an OS process ended.
public enum OSExit: Sendable, Equatable, CustomStringConvertible {
  /// It exited with this status.
  case exited(Int32)
  /// A signal ended it (and whether it dumped core).
  case signaled(Int32, coreDumped: Bool)
  /// Someone else reaped it (SIGCHLD ignored, a stray `waitpid(-1)`): its status is lost.
  case unknown

  /// From waitid's `si_code` and `si_status`.
  init(code: Int32, status: Int32) {
    switch code {
    case Int32(CLD_EXITED): self = .exited(status)
    case Int32(CLD_KILLED): self = .signaled(status, coreDumped: false)
    case Int32(CLD_DUMPED): self = .signaled(status, coreDumped: true)
    default: self = .unknown
    }
  }

  public var description: String {
    switch self {
    case .exited(let status): return "exited with status \(status)"
    case .signaled(let signal, let core): return "killed by \(OSExit.signalName(signal))" + (core ? " (core dumped)" : "")
    case .unknown: return "ended (its status was taken by someone else)"
    }
  }

  /// Status 0.
  public var isSuccess: Bool { self == .exited(0) }

  /// `SIGTERM`, `SIGKILL`, …; `signal 42` for one without a name here.
  public static func signalName(_ signal: Int32) -> String {
    switch signal {
    case SIGHUP: return "SIGHUP"
    case SIGINT: return "SIGINT"
    case SIGQUIT: return "SIGQUIT"
    case SIGILL: return "SIGILL"
    case SIGTRAP: return "SIGTRAP"
    case SIGABRT: return "SIGABRT"
    case SIGBUS: return "SIGBUS"
    case SIGFPE: return "SIGFPE"
    case SIGKILL: return "SIGKILL"
    case SIGUSR1: return "SIGUSR1"
    case SIGSEGV: return "SIGSEGV"
    case SIGUSR2: return "SIGUSR2"
    case SIGPIPE: return "SIGPIPE"
    case SIGALRM: return "SIGALRM"
    case SIGTERM: return "SIGTERM"
    case SIGCHLD: return "SIGCHLD"
    case SIGCONT: return "SIGCONT"
    case SIGSTOP: return "SIGSTOP"
    case SIGTSTP: return "SIGTSTP"
    case SIGXCPU: return "SIGXCPU"
    case SIGXFSZ: return "SIGXFSZ"
    case SIGSYS: return "SIGSYS"
    default: return "signal \(signal)"
    }
  }
}

extension OSExit {
  /// The owner's exit reason for an OS process that ended by itself after running for
  /// `uptime`: `normal` for status 0 — unless the run was shorter than `minUptime`,
  /// which is a crash whatever the status (pm2's rule: a program that exits at once is
  /// not done, it is failing).
  func reason(uptime: Duration, minUptime: Duration) -> ExitReason {
    if isSuccess {
      guard uptime < minUptime else { return .normal }
      return .custom("\(self) after \(OSExit.text(uptime)), under the minimum uptime of \(OSExit.text(minUptime))")
    }
    return .custom(description)
  }

  /// Whether this is how a process asked to stop with `stopSignal` ends cleanly: status 0,
  /// the signal itself, or the shell's 128 + signal.
  func isCleanStop(after stopSignal: Int32) -> Bool {
    switch self {
    case .exited(let status): return status == 0 || status == 128 + stopSignal
    case .signaled(let signal, _): return signal == stopSignal
    case .unknown: return true
    }
  }

  /// `1.5s`, `120ms`: a duration as the reasons write it.
  static func text(_ d: Duration) -> String {
    let ms = d.clampedNanoseconds / 1_000_000
    if ms < 1000 { return "\(ms)ms" }
    if ms % 1000 == 0 { return "\(ms / 1000)s" }
    return "\(Double(ms) / 1000)s"
  }
}
