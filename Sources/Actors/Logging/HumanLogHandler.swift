// Log lines for people: one line per record,
//   2025-06-01T10:00:00.123Z error chatd: supervisor report: ... child=presence reason=killed
// time (UTC), level, label, message, then the metadata as key=value sorted by key. What
// the handler holds is its own value (level, metadata) and the shared output
// (FormattedLogHandler.swift).

/// Writes human-readable lines to a `LogOutput` (stderr by default).
public typealias HumanLogHandler = FormattedLogHandler<HumanLogFormat>

/// Lines for people: time, level, label, message, then `key=value` metadata sorted by key.
public enum HumanLogFormat: LogFormat {
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
