// Why an OS process child could not be started, in words a person can act on. A start
// that fails ends the owner with this text as its reason, which the supervisor logs and
// returns from `startChild` (`SupervisorError.startFailed`).

/// Why an OS process child did not start.
public enum OSProcessError: Error, Sendable, Equatable, CustomStringConvertible {
  /// The spec cannot work (an empty executable, a descriptor number taken twice, …).
  case invalidSpec(String)
  /// The executable is not there, or not executable.
  case executable(String)
  /// A pipe or the notify socket could not be made.
  case setup(String)
  /// The kernel refused the spawn (exec, working directory, descriptors).
  case spawn(String)

  public var description: String {
    switch self {
    case .invalidSpec(let why): return "invalid OS process spec: \(why)"
    case .executable(let why), .setup(let why), .spawn(let why): return why
    }
  }
}
