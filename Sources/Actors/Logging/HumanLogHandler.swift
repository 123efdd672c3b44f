// Log lines for people: one line per record,
//   2025-06-01T10:00:00.123Z error chatd: supervisor report: ... child=presence reason=killed
// time (UTC), level, label, message, then the metadata as key=value sorted by key. What
// the handler holds is its own value (level, metadata) and the shared output.

/// Writes human-readable lines to a `LogOutput` (stderr by default).
public struct HumanLogHandler: LogHandler {
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
    output.write(Self.line(level: level, label: label, message: message, metadata: merged(metadata)))
  }

  /// One record as the bytes of its line, newline included.
  public static func line(level: Logger.Level, label: String, message: Logger.Message, metadata: Logger.Metadata) -> [UInt8] {
    var out: [UInt8] = []
    out.reserveCapacity(128 + message.description.utf8.count)
    LogLineFormat.appendTimestamp(to: &out)
    out.append(UInt8(ascii: " "))
    out += level.rawValue.utf8
    out.append(UInt8(ascii: " "))
    LogLineFormat.appendSingleLine(label, to: &out)
    out += [UInt8(ascii: ":"), UInt8(ascii: " ")]
    LogLineFormat.appendSingleLine(message.description, to: &out)
    for key in metadata.keys.sorted() {
      out.append(UInt8(ascii: " "))
      LogLineFormat.appendSingleLine(key, to: &out)
      out.append(UInt8(ascii: "="))
      LogLineFormat.appendHumanValue(metadata[key]!.description, to: &out)
    }
    out.append(0x0A)
    return out
  }
}
