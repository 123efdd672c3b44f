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
  /// Each channel's entries, oldest first, packed (`PackedEntry`): a channel keeps up to
  /// `capacity` of them for as long as chatd runs, 100 channels 25,000.
  private let channels = Locked<[String: [PackedEntry]]>([:])
  let capacity: Int

  init(capacity: Int) { self.capacity = max(0, capacity) }

  func append(_ key: String, _ entry: HistoryEntry) {
    guard capacity > 0 else { return }
    let packed = PackedEntry(entry)
    channels.withLock {
      $0[key, default: []].append(packed)
      if $0[key]!.count > capacity + capacity / 4 { $0[key]!.removeFirst($0[key]!.count - capacity) }
    }
  }

  /// Whether the channel has an entry (loaded or written since start).
  func isKnown(_ key: String) -> Bool { channels.withLock { $0[key] != nil } }

  /// Puts stored entries in front of what was written since (the load may race writes).
  func preload(_ key: String, _ stored: [HistoryEntry]) {
    let packed = stored.map(PackedEntry.init)
    channels.withLock {
      let newer = $0[key] ?? []
      let ids = Set(newer.map(\.msgid))
      var merged = packed.filter { !ids.contains($0.msgid) } + newer
      if merged.count > capacity { merged.removeFirst(merged.count - capacity) }
      $0[key] = merged
    }
  }

  func markKnown(_ key: String) { channels.withLock { if $0[key] == nil { $0[key] = [] } } }

  /// The last `limit` entries, oldest first, leaving out the newest `skippingNewest`.
  func latest(_ key: String, limit: Int, skippingNewest: Int = 0) -> [HistoryEntry] {
    channels.withLock { ($0[key] ?? []).dropLast(max(0, skippingNewest)).suffix(limit) }.map(\.entry)
  }

  func all(_ key: String) -> [HistoryEntry] { channels.withLock { $0[key] ?? [] }.map(\.entry) }
}

/// A `HistoryEntry` in one allocation: the time and the lengths of the five texts, then
/// their bytes. As a `HistoryEntry` it was an 88-byte slot and up to four string
/// allocations (about 375 bytes for a 100-byte message); packed it is an 8-byte slot
/// and one allocation (about 220). Unpacked when read (a replay, CHATHISTORY), which is
/// rarer than a message by far.
struct PackedEntry: Sendable {
  /// time (8 bytes, little-endian), the lengths of msgid, source, command and channel
  /// (UInt16 each, little-endian), then msgid, source, command, channel and text.
  private let bytes: [UInt8]

  private static var header: Int { 16 }

  init(_ e: HistoryEntry) {
    let parts = [e.msgid.utf8, e.source.utf8, e.command.utf8, e.channel.utf8]
    var b: [UInt8] = []
    b.reserveCapacity(Self.header + parts.reduce(e.text.utf8.count) { $0 + $1.count })
    withUnsafeBytes(of: e.time.littleEndian) { b.append(contentsOf: $0) }
    // Names are short (a msgid, a nick!user@host, a command, a channel), but a longer
    // one is cut at 65,535 bytes rather than stored wrong.
    for p in parts { withUnsafeBytes(of: UInt16(min(p.count, 65_535)).littleEndian) { b.append(contentsOf: $0) } }
    for p in parts { b.append(contentsOf: p.prefix(65_535)) }
    b.append(contentsOf: e.text.utf8)
    bytes = b
  }

  private func length(_ i: Int) -> Int { Int(bytes[8 + 2 * i]) | Int(bytes[9 + 2 * i]) << 8 }

  /// The message's ID, without unpacking the rest.
  var msgid: String { String(decoding: bytes[Self.header..<(Self.header + length(0))], as: UTF8.self) }

  var entry: HistoryEntry {
    var time: Int64 = 0
    for i in 0..<8 { time |= Int64(bytes[i]) << (8 * i) }
    var at = Self.header
    var fields: [String] = []
    for i in 0..<4 {
      let n = length(i)
      fields.append(String(decoding: bytes[at..<(at + n)], as: UTF8.self))
      at += n
    }
    return HistoryEntry(
      time: time, msgid: fields[0], source: fields[1], command: fields[2], channel: fields[3],
      text: String(decoding: bytes[at...], as: UTF8.self))
  }
}
