// How much a log line matters: the seven levels of swift-log (and syslog's order), from
// trace to critical. A logger drops every line below its level before building it.

extension Logger {
  /// A log level, least to most severe. A logger set to a level logs that level and the
  /// ones above it.
  public enum Level: String, Sendable, Codable, CaseIterable, Comparable {
    /// Every step, for tracing a problem (chatd: each line a client sends).
    case trace
    /// What a developer wants while debugging (progress reports, connections).
    case debug
    /// What an operator wants to see in normal running.
    case info
    /// Normal but significant: start, stop, a log file reopened.
    case notice
    /// Something unexpected that the program survives unaided.
    case warning
    /// A failure: crash reports and supervisor reports.
    case error
    /// The program cannot go on: an application whose root supervisor gave up.
    case critical

    /// Severity, 0 for trace up to 6 for critical.
    @inlinable public var severity: Int {
      switch self {
      case .trace: return 0
      case .debug: return 1
      case .info: return 2
      case .notice: return 3
      case .warning: return 4
      case .error: return 5
      case .critical: return 6
      }
    }

    @inlinable public static func < (a: Level, b: Level) -> Bool { a.severity < b.severity }

    /// The level named `name` (`"warning"`, also `"warn"`), any case; nil if none is.
    public init?(name: String) {
      let lowered = name.lowercased()
      if lowered == "warn" {
        self = .warning
        return
      }
      self.init(rawValue: lowered)
    }
  }
}
