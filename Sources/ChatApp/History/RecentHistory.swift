// The last messages of each channel, in memory: what a joining client is replayed.
// Shared (outside the room processes) so a restarted room keeps it; filled from the
// stored history when a channel is first used. Writer: each channel's room, for its own
// channel only (Rooms/Room.swift).
import Actors
import Synchronization

/// A stored channel message.
struct HistoryEntry: Sendable, Equatable {
  /// Unix milliseconds.
  var time: Int64
  var msgid: String
  /// `nick!user@host` of the sender.
  var source: String
  /// PRIVMSG or NOTICE.
  var command: String
  var channel: String
  var text: String
}

final class RecentHistory: Sendable {
  private let channels = Locked<[String: [HistoryEntry]]>([:])
  let capacity: Int

  init(capacity: Int) { self.capacity = max(0, capacity) }

  func append(_ key: String, _ entry: HistoryEntry) {
    guard capacity > 0 else { return }
    channels.withLock {
      $0[key, default: []].append(entry)
      if $0[key]!.count > capacity + capacity / 4 { $0[key]!.removeFirst($0[key]!.count - capacity) }
    }
  }

  /// Whether the channel has an entry (loaded or written since start).
  func isKnown(_ key: String) -> Bool { channels.withLock { $0[key] != nil } }

  /// Puts stored entries in front of what was written since (the load may race writes).
  func preload(_ key: String, _ stored: [HistoryEntry]) {
    channels.withLock {
      let newer = $0[key] ?? []
      let ids = Set(newer.map(\.msgid))
      var merged = stored.filter { !ids.contains($0.msgid) } + newer
      if merged.count > capacity { merged.removeFirst(merged.count - capacity) }
      $0[key] = merged
    }
  }

  func markKnown(_ key: String) { channels.withLock { if $0[key] == nil { $0[key] = [] } } }

  /// The last `limit` entries, oldest first, leaving out the newest `skippingNewest`.
  func latest(_ key: String, limit: Int, skippingNewest: Int = 0) -> [HistoryEntry] {
    channels.withLock { Array(($0[key] ?? []).dropLast(max(0, skippingNewest)).suffix(limit)) }
  }

  func all(_ key: String) -> [HistoryEntry] { channels.withLock { $0[key] ?? [] } }
}
