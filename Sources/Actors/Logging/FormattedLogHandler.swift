// A handler that writes each record as one line, in a format (HumanLogFormat,
// JSONLogFormat), to a `LogOutput`. What it holds is its own value (level, metadata) and
// the shared output; the format is only how a record becomes bytes.

/// How a record becomes one line of bytes (newline included).
public protocol LogFormat: Sendable {
  static func line(level: Logger.Level, label: String, message: Logger.Message, metadata: Logger.Metadata) -> [UInt8]
}

/// Writes one line per record, in `Format`, to a `LogOutput` (stderr by default). Use it
/// as ``HumanLogHandler`` or ``JSONLogHandler``.
public struct FormattedLogHandler<Format: LogFormat>: LogHandler {
  public let label: String
  public let output: LogOutput
  public var logLevel: Logger.Level
  public var metadata: Logger.Metadata = [:]

  /// - Parameters:
  ///   - label: the logger's label, written on every line.
  ///   - output: where lines go (default: standard error).
  ///   - level: the least severe level written (default `.info`).
  public init(label: String, output: LogOutput = .standardError, level: Logger.Level = .info) {
    self.label = label
    self.output = output
    self.logLevel = level
  }

  public func log(
    level: Logger.Level, message: Logger.Message, metadata: Logger.Metadata?, source: String, file: String, function: String,
    line: UInt
  ) {
    output.write(Format.line(level: level, label: label, message: message, metadata: merged(metadata)))
  }

  /// One record as the bytes of its line, newline included.
  public static func line(level: Logger.Level, label: String, message: Logger.Message, metadata: Logger.Metadata) -> [UInt8] {
    Format.line(level: level, label: label, message: message, metadata: metadata)
  }
}
