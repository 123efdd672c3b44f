// Log lines for machines: one JSON object per line,
//   {"time":"2025-06-01T10:00:00.123Z","level":"error","label":"chatd","message":"...","metadata":{...}}
// — what log shippers (Vector, Fluent Bit, jq) read without a parser of their own.

/// Writes JSON lines to a `LogOutput` (stderr by default).
public typealias JSONLogHandler = FormattedLogHandler<JSONLogFormat>

/// One JSON object per line.
public enum JSONLogFormat: LogFormat {
  /// One record as its JSON line, newline included. Keys: time, level, label, message,
  /// metadata (an object, keys sorted).
  public static func line(level: Logger.Level, label: String, message: Logger.Message, metadata: Logger.Metadata) -> [UInt8] {
    var out: [UInt8] = []
    out.reserveCapacity(160 + message.description.utf8.count)
    out += #"{"time":""#.utf8
    LogLineFormat.appendTimestamp(to: &out)
    out += #"","level":""#.utf8
    out += level.rawValue.utf8
    out += #"","label":"#.utf8
    LogLineFormat.appendJSONString(label, to: &out)
    out += #","message":"#.utf8
    LogLineFormat.appendJSONString(message.description, to: &out)
    out += #","metadata":"#.utf8
    LogLineFormat.appendJSONObject(metadata, to: &out)
    out += [UInt8(ascii: "}"), 0x0A]
    return out
  }
}
