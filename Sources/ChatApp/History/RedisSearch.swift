// SEARCH over a network's history in Redis: a bounded scan of the channel's stream.
// Redis has no full-text index of its own (RediSearch is a module Debian's server does
// not carry), and a per-channel index kept by the room's node would be a second copy of
// every message to keep in step with the stream's trimming; a channel's stream holds at
// most `RedisHistoryOptions.maxLength` messages (10,000 by default), so one read of the
// newest (or, with `after`, the oldest) `scanLimit` of them within the time bounds,
// filtered here with the index's rules (History/SearchQuery.swift), answers in one
// round trip with bounded memory. What lies beyond the scan is not found: the answer
// says nothing of it (the extension lets a server return fewer messages).
//
// Runs in the Redis archive's query helper processes (History/RedisHistory.swift); no
// state.
import Redis

extension RedisHistory {
  /// The most stream entries one SEARCH reads.
  static let searchScanLimit = 5_000

  /// The messages of channel `key` that match `query`, oldest first.
  static func search(_ query: SearchQuery, channel key: String, _ redis: some RedisCommands, prefix: String) async throws
    -> [HistoryEntry]
  {
    let range = HistoryRange(
      from: query.after.map { .start(of: $0) }, to: query.before.map { .start(of: $0 == .max ? $0 : $0 + 1) },
      newest: query.newestFirst, limit: searchScanLimit)
    guard let command = RedisHistoryCommands.read(prefix, key, range) else { return [] }
    let replies = try await redis.executeBatch([command], timeout: commandTimeout)
    guard let reply = replies.first else { return [] }
    // Oldest first; the newest matches are the last ones.
    let found = try RedisHistoryCommands.entries(reply, newestFirst: range.newest).filter(query.matches)
    let n = max(0, query.limit)
    return query.newestFirst ? Array(found.suffix(n)) : Array(found.prefix(n))
  }
}
