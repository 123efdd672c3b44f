// The one extension point of logging: a `LogHandler` turns a logger's lines into output
// (stderr, a file, JSON lines, a test's capture). As in swift-log, a handler is a value:
// its level and metadata belong to the logger that holds it, and a copy of the logger
// changed does not change the original.

/// Where a `Logger`'s lines go. Write one to send log lines elsewhere; `LoggingSystem`
/// chooses the handler new loggers get.
///
/// A handler is called on whatever thread logs (scheduler threads included), so `log`
/// must be thread-safe and should not block for long: write and return.
public protocol LogHandler: Sendable {
  /// Writes one line. The logger has already checked `level` against `logLevel`.
  /// - Parameters:
  ///   - level: the line's level.
  ///   - message: its text.
  ///   - metadata: the line's own metadata (merge it over `self.metadata`; the line's
  ///     values win).
  ///   - source: the module that logged (from `#fileID`), or what the caller said.
  ///   - file: the source file that logged (`#fileID`).
  ///   - function: the function that logged.
  ///   - line: the line of the source file.
  func log(
    level: Logger.Level, message: Logger.Message, metadata: Logger.Metadata?, source: String, file: String, function: String,
    line: UInt)

  /// The metadata every line of this handler carries.
  var metadata: Logger.Metadata { get set }

  /// Lines below this level are dropped (by the logger, before they are built).
  var logLevel: Logger.Level { get set }

  /// One key of `metadata`.
  subscript(metadataKey key: String) -> Logger.MetadataValue? { get set }
}

extension LogHandler {
  public subscript(metadataKey key: String) -> Logger.MetadataValue? {
    get { metadata[key] }
    set { metadata[key] = newValue }
  }

  /// `metadata` with the line's own over it.
  @inlinable public func merged(_ line: Logger.Metadata?) -> Logger.Metadata {
    guard let line, !line.isEmpty else { return metadata }
    if metadata.isEmpty { return line }
    return metadata.merging(line) { _, new in new }
  }
}
