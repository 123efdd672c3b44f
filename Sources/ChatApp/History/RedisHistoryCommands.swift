// How the network history sits in Redis, and the commands that write and read it.
// Pure: builds commands and reads replies; the Redis archive's process and its query
// helpers (History/RedisHistory.swift) send them. Writers of the keys: the archive
// process of every node that appends to a channel, through the `append` script only —
// a script runs alone on the server, so appends from several nodes never interleave
// halfway.
//
// Per channel (folded name K), two keys with the hash tag {K}, so that they live in one
// Redis Cluster slot and one script may touch both:
//
//   <prefix>:{K}:messages   a stream, one entry per message, fields time, msgid, source,
//                           command, target, text. The entry's ID is `<time>-<n>`: the
//                           message's own millisecond, so timestamp selectors are plain
//                           XRANGE / XREVRANGE bounds, and a message's position
//                           (History/HistoryQuery.swift) is its ID.
//   <prefix>:{K}:ids        a hash msgid → entry ID: msgid selectors.
//
// Appending is one script (`append`), atomic on the server:
// - an msgid already in the index is not added again (so a batch sent again after a lost
//   connection — it may have run — duplicates nothing);
// - a message older than the stream's newest entry (another node's clock is behind, or
//   it was held while Redis was away) is filed in the newest entry's millisecond: a
//   stream's IDs only grow. It keeps its own `time` field, which is what clients see;
//   the order is then the order Redis received messages in;
// - trimming keeps the index exact: when the stream is a tenth over `maxLength`, the
//   oldest entries are read, their msgids removed from the index, and the stream cut to
//   `maxLength` — the idea of `XADD ... MAXLEN ~ N` (trim in batches, not on every
//   append) done in the script, since `~` alone would not say which entries went.
import Redis

enum RedisHistoryCommands {
  /// The stream of channel `key`.
  static func stream(_ prefix: String, _ key: String) -> String { "\(prefix):{\(key)}:messages" }
  /// The msgid index of channel `key`.
  static func index(_ prefix: String, _ key: String) -> String { "\(prefix):{\(key)}:ids" }

  /// KEYS: stream, index. ARGV: maxLength, time, msgid, source, command, target, text.
  /// Returns the entry's ID.
  static let append = RedisScript(
    """
    local known = redis.call('HGET', KEYS[2], ARGV[3])
    if known then return known end
    local ms = ARGV[2]
    local top = redis.call('XREVRANGE', KEYS[1], '+', '-', 'COUNT', 1)[1]
    if top then
      local topms = string.match(top[1], '^(%d+)')
      if tonumber(topms) > tonumber(ms) then ms = topms end
    end
    local id = redis.call('XADD', KEYS[1], ms .. '-*', 'time', ARGV[2], 'msgid', ARGV[3], 'source', ARGV[4],
      'command', ARGV[5], 'target', ARGV[6], 'text', ARGV[7])
    redis.call('HSET', KEYS[2], ARGV[3], id)
    local max = tonumber(ARGV[1])
    local n = redis.call('XLEN', KEYS[1])
    if n > max + math.max(1, math.floor(max / 10)) then
      for _, e in ipairs(redis.call('XRANGE', KEYS[1], '-', '+', 'COUNT', n - max)) do
        local f = e[2]
        for i = 1, #f, 2 do
          if f[i] == 'msgid' then redis.call('HDEL', KEYS[2], f[i + 1]) break end
        end
      end
      redis.call('XTRIM', KEYS[1], 'MAXLEN', max)
    end
    return id
    """)

  /// The script call that appends `entry` to channel `key`.
  static func append(_ prefix: String, _ key: String, _ entry: HistoryEntry, maxLength: Int) -> RedisCommand {
    RedisCommand(
      arguments: [
        "EVALSHA", append.sha1, "2", stream(prefix, key), index(prefix, key), String(maxLength), String(entry.time), entry.msgid,
        entry.source, entry.command, entry.channel, entry.text,
      ])
  }

  /// Loads the script into the server's cache (after a restart, or SCRIPT FLUSH).
  static var loadAppend: RedisCommand { RedisCommand(arguments: ["SCRIPT", "LOAD", append.source]) }

  /// Looks an msgid up in channel `key`'s index.
  static func position(_ prefix: String, _ key: String, msgid: String) -> RedisCommand {
    RedisCommand(arguments: ["HGET", index(prefix, key), msgid])
  }

  /// A position from an entry ID (`1733500000000-3`); nil for anything else.
  static func position(ofID id: String) -> HistoryPosition? {
    let parts = id.split(separator: "-", omittingEmptySubsequences: false)
    guard parts.count == 2, let time = Int64(parts[0]), let sequence = UInt64(parts[1]) else { return nil }
    return HistoryPosition(time: time, sequence: sequence)
  }

  /// The read of `range` in channel `key`'s stream; nil when nothing can be in it (no
  /// need to ask).
  static func read(_ prefix: String, _ key: String, _ range: HistoryRange) -> RedisCommand? {
    guard !range.isEmpty else { return nil }
    // IDs are unsigned: a range that ends at or before the first possible ID is empty,
    // one that starts before it starts at the beginning.
    var from = "-"
    if let f = range.from, f.time >= 0 { from = "\(f.time)-\(f.sequence)" }
    var to = "+"
    if let t = range.to {
      guard t.time > 0 || (t.time == 0 && t.sequence > 0) else { return nil }
      to = "(\(t.time)-\(t.sequence)"
    }
    let stream = stream(prefix, key)
    let count = ["COUNT", String(range.limit)]
    return RedisCommand(arguments: (range.newest ? ["XREVRANGE", stream, to, from] : ["XRANGE", stream, from, to]) + count)
  }

  /// The newest entry of channel `key` (TARGETS).
  static func newest(_ prefix: String, _ key: String) -> RedisCommand {
    RedisCommand(arguments: ["XREVRANGE", stream(prefix, key), "+", "-", "COUNT", "1"])
  }

  /// The messages in a reply to `read`, oldest first.
  static func entries(_ reply: RESPValue, newestFirst: Bool) throws -> [HistoryEntry] {
    if case .error(let e) = reply { throw RedisError.server(e) }
    let rows = try (reply.array ?? []).map(entry)
    return newestFirst ? rows.reversed() : rows
  }

  /// One element of an XRANGE reply, `[id, [field, value, ...]]`, as a message. An
  /// entry without a time field (not written by chatd) takes its ID's.
  static func entry(_ value: RESPValue) throws -> HistoryEntry {
    guard let parts = value.array, parts.count == 2, let id = parts[0].string else {
      throw RedisError.unexpectedReply(command: "XRANGE", expected: "[id, fields]", got: value.typeName)
    }
    var fields: [String: String] = [:]
    for pair in parts[1].pairs ?? [] {
      if let name = pair.key.string { fields[name] = pair.value.string ?? "" }
    }
    let time = fields["time"].flatMap { Int64($0) } ?? position(ofID: id)?.time ?? 0
    return HistoryEntry(
      time: time, msgid: fields["msgid"] ?? "", source: fields["source"] ?? "", command: fields["command"] ?? "",
      channel: fields["target"] ?? "", text: fields["text"] ?? "")
  }
}
