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
// Appending is one script call (`append`) per batch of messages — of one channel or of
// several, in the order the node appended them — atomic on the server:
// - a batch sent again (its connection was lost, or its call timed out: it may have run)
//   adds no message whose msgid is already in the index, so it duplicates nothing. Only
//   a resend checks (one HEXISTS per message, ≈ 12 % of a message's cost): a message is
//   appended once, by its room, so a first send has nothing to find;
// - a message older than the stream's newest entry (another node's clock is behind, or
//   it was held while Redis was away) is filed in the newest entry's millisecond: a
//   stream's IDs only grow. It keeps its own `time` field, which is what clients see;
//   the order is then the order Redis received messages in;
// - trimming keeps the index exact: when the stream is a tenth over `maxLength`, the
//   oldest entries are read, their msgids removed from the index, and the stream cut to
//   `maxLength` — the idea of `XADD ... MAXLEN ~ N` (trim in batches, not on every
//   append) done in the script, since `~` alone would not say which entries went.
//
// Why one call per batch, and what a message costs (redis-server 7.0 with AOF on this
// 2-core VM shared with builds, 100 channels; Redis's own CPU from /proc per message):
// most of it is per call — reading and answering it, starting the script, wrapping its
// effects in MULTI/EXEC for the AOF, writing the AOF — and the rest per message (HEXISTS,
// XADD, HSET and their AOF record). Calls sent back to back: one per message, as chatd
// made until now, ≈ 55 µs a message; 4 messages a call ≈ 20 µs; 16 ≈ 12 µs; 64 ≈ 10 µs.
// Calls at S3's pace (two writers of 500 messages a second, Redis idle between, its
// caches cold): one per message ≈ 85 µs; a call each 10 ms (≈ 5 messages) ≈ 40 µs; each
// 20 ms ≈ 30 µs. So the archive holds appends a moment to fill its calls
// (History/RedisHistory.swift). Inside the call, the stream's top is not read for each
// message (XREVRANGE was 5 µs of them): `XADD <ms>-*` is refused only when the stream
// already has a later millisecond, and only then is its newest entry read; the
// millisecond each call files into is remembered per channel for the rest of the call.
// Plain commands without a script (XADD with an ID chosen by the node, then HSET) cost
// less again, but an HSET after an XADD that was refused would index a message that is
// not there, and a node cannot know another node wrote before it: the index would not
// stay exact.
//
// Redis Cluster: a call names every key it touches, so a cluster refuses a batch whose
// channels sit in different slots (CROSSSLOT) rather than half-running it; a clustered
// history would send one call per slot of the batch.
import Redis

enum RedisHistoryCommands {
  /// The stream of channel `key`.
  static func stream(_ prefix: String, _ key: String) -> String { "\(prefix):{\(key)}:messages" }
  /// The msgid index of channel `key`.
  static func index(_ prefix: String, _ key: String) -> String { "\(prefix):{\(key)}:ids" }

  /// KEYS: stream and index of each channel of the batch, in pairs. ARGV: maxLength,
  /// whether this is a resend (`1`: skip msgids already indexed; `0`), then seven per
  /// message, in the order they were appended: its channel's pair (1 for the
  /// first two KEYS), time, msgid, source, command, target, text. Returns the messages
  /// Redis refused, `[[n, error], ...]` (n counts the batch's messages from 1); an empty
  /// array when every message was added or already there.
  static let append = RedisScript(
    """
    local max = tonumber(ARGV[1])
    local newest, added, refused = {}, {}, {}
    local n = 0
    local resend = ARGV[2] == '1'
    for a = 3, #ARGV, 7 do
      n = n + 1
      local c = tonumber(ARGV[a])
      local stream, index, msgid = KEYS[2 * c - 1], KEYS[2 * c], ARGV[a + 2]
      if not resend or redis.call('HEXISTS', index, msgid) == 0 then
        local ms = ARGV[a + 1]
        if newest[c] and tonumber(newest[c]) > tonumber(ms) then ms = newest[c] end
        local id = redis.pcall('XADD', stream, ms .. '-*', 'time', ARGV[a + 1], 'msgid', msgid, 'source', ARGV[a + 3],
          'command', ARGV[a + 4], 'target', ARGV[a + 5], 'text', ARGV[a + 6])
        if type(id) == 'table' and string.find(id.err, 'equal or smaller', 1, true) then
          local top = redis.call('XREVRANGE', stream, '+', '-', 'COUNT', 1)[1]
          ms = top and string.match(top[1], '^%d+') or '*'
          id = redis.pcall('XADD', stream, ms == '*' and ms or ms .. '-*', 'time', ARGV[a + 1], 'msgid', msgid,
            'source', ARGV[a + 3], 'command', ARGV[a + 4], 'target', ARGV[a + 5], 'text', ARGV[a + 6])
        end
        if type(id) == 'table' then
          refused[#refused + 1] = {n, id.err}
        else
          newest[c] = string.match(id, '^%d+')
          redis.call('HSET', index, msgid, id)
          added[c] = true
        end
      end
    end
    local slack = math.max(1, math.floor(max / 10))
    for c in pairs(added) do
      local stream, index = KEYS[2 * c - 1], KEYS[2 * c]
      local length = redis.call('XLEN', stream)
      if length > max + slack then
        for _, e in ipairs(redis.call('XRANGE', stream, '-', '+', 'COUNT', length - max)) do
          local f = e[2]
          for i = 1, #f, 2 do
            if f[i] == 'msgid' then redis.call('HDEL', index, f[i + 1]) break end
          end
        end
        redis.call('XTRIM', stream, 'MAXLEN', max)
      end
    end
    return refused
    """)

  /// The script call that appends `batch` (messages of any channels, oldest first);
  /// `resend` when it may have run already.
  static func append(
    _ prefix: String, _ batch: some Collection<(key: String, entry: HistoryEntry)>, maxLength: Int, resend: Bool
  ) -> RedisCommand {
    RedisCommand(arguments: appendArguments(prefix, batch, maxLength: maxLength, resend: resend))
  }

  /// The arguments of `append(_:_:maxLength:resend:)`, the command's name first.
  static func appendArguments(
    _ prefix: String, _ batch: some Collection<(key: String, entry: HistoryEntry)>, maxLength: Int, resend: Bool
  ) -> [String] {
    var pairs: [String: Int] = [:]
    var keys: [String] = []
    var arguments = [String(maxLength), resend ? "1" : "0"]
    arguments.reserveCapacity(2 + 7 * batch.count)
    for (key, entry) in batch {
      let pair: Int
      if let known = pairs[key] {
        pair = known
      } else {
        pair = pairs.count + 1
        pairs[key] = pair
        keys += [stream(prefix, key), index(prefix, key)]
      }
      arguments += [String(pair), String(entry.time), entry.msgid, entry.source, entry.command, entry.channel, entry.text]
    }
    return ["EVALSHA", append.sha1, String(keys.count)] + keys + arguments
  }

  /// The messages a reply to `append` says Redis refused: their places in the batch
  /// (from 0) and why. Nil when the reply is not the script's answer (an error: the
  /// script did not run, or stopped).
  static func refused(_ reply: RESPValue) -> [(offset: Int, why: String)]? {
    guard let rows = reply.array else { return nil }
    return rows.compactMap { row in
      guard let parts = row.array, parts.count == 2, let n = parts[0].int else { return nil }
      return (n - 1, parts[1].string ?? "refused")
    }
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
