// Log records kept for a test's assertions: a `LogCapture` hands out loggers whose
// handler appends every line (level, label, message, metadata merged) to it, from any
// thread, so a test reads the crash, supervisor and progress reports a node wrote.
import Actors
import Synchronization

/// One line as a logger gave it to its handler.
public struct LogRecord: Sendable, CustomStringConvertible {
  public let level: Logger.Level
  public let label: String
  public let message: String
  /// The logger's metadata with the line's own over it.
  public let metadata: Logger.Metadata
  public let source: String

  /// A metadata value as text (nil if absent).
  public subscript(key: String) -> String? { metadata[key]?.description }

  /// The report kind (`crash`, `supervisor`, `progress`), if the line is a report.
  public var report: String? { self["report"] }

  public var description: String {
    "\(level) \(label): \(message) " + metadata.keys.sorted().map { "\($0)=\(metadata[$0]!)" }.joined(separator: " ")
  }
}

/// Keeps what its loggers log.
public final class LogCapture: Sendable {
  private let records = Mutex<[LogRecord]>([])

  public init() {}

  /// A logger writing here, at `level` (default `.trace`: everything).
  public func logger(label: String = "test", level: Logger.Level = .trace) -> Logger {
    Logger(label: label, handler: CapturingLogHandler(label: label, capture: self, level: level))
  }

  /// Everything logged so far, in order.
  public var all: [LogRecord] { records.withLock { $0 } }

  /// The reports of one kind (`crash`, `supervisor`, `progress`), in order.
  public func reports(_ kind: String) -> [LogRecord] { all.filter { $0.report == kind } }

  /// Waits until a record matches; fails the wait (with everything captured in the
  /// message) if none does within `timeout`.
  @discardableResult
  public func waitFor(
    _ what: String, timeout: Duration = .seconds(5), file: StaticString = #fileID, line: UInt = #line,
    _ match: @escaping (LogRecord) -> Bool
  ) async throws -> LogRecord {
    try await eventuallyValue(
      "\(what) in the log:\n\(all.map(\.description).joined(separator: "\n"))", timeout: timeout, file: file, line: line
    ) {
      all.first(where: match)
    }
  }

  func add(_ record: LogRecord) { records.withLock { $0.append(record) } }
}

/// The handler of a `LogCapture`'s loggers.
public struct CapturingLogHandler: LogHandler {
  public let label: String
  public let capture: LogCapture
  public var logLevel: Logger.Level
  public var metadata: Logger.Metadata = [:]

  public init(label: String, capture: LogCapture, level: Logger.Level = .trace) {
    self.label = label
    self.capture = capture
    self.logLevel = level
  }

  public func log(
    level: Logger.Level, message: Logger.Message, metadata: Logger.Metadata?, source: String, file: String, function: String,
    line: UInt
  ) {
    capture.add(LogRecord(level: level, label: label, message: message.description, metadata: merged(metadata), source: source))
  }
}
