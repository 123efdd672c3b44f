// The process-wide choice of log handler: `LoggingSystem.bootstrap` tells which handler
// every `Logger(label:)` made afterwards gets (swift-log's bootstrap). Written by
// whoever bootstraps — the program's `main`, normally once, before it makes loggers;
// read by every `Logger(label:)`. A library never bootstraps.
import Synchronization

/// Chooses the handler of new loggers.
///
/// ```swift
/// let file = try LogOutput(path: "/var/log/shop.log")
/// LoggingSystem.bootstrap { label in JSONLogHandler(label: label, output: file, level: .info) }
/// ```
///
/// Without a bootstrap, loggers write human lines to stderr at `.error`: errors, crash
/// and supervisor reports show; progress reports (`.debug`) and a program's own info
/// lines do not until it bootstraps a handler at a lower level.
public enum LoggingSystem {
  /// Makes a handler for a label.
  public typealias Factory = @Sendable (String) -> any LogHandler

  private static let factory = Mutex<Factory>({ label in HumanLogHandler(label: label, level: .error) })

  /// Makes `factory` the maker of the handlers of loggers created from now on (loggers
  /// already made keep theirs). Unlike swift-log's, it may be called again: the last call
  /// wins.
  public static func bootstrap(_ factory: @escaping Factory) {
    Self.factory.withLock { $0 = factory }
  }

  /// A handler for `label` from the current factory.
  public static func makeHandler(_ label: String) -> any LogHandler {
    let make = factory.withLock { $0 }
    return make(label)
  }
}
