// WHOWAS: who used a nick before — recorded when a registered client quits or changes
// its nick, newest first, bounded in size. Writer: presence, the owner of nicks
// (Presence/Presence.swift), when it frees a nick.
import Actors
import Synchronization

/// One former holder of a nick.
struct WhowasEntry: Sendable, Equatable {
  var nick: String
  var user: String
  var host: String
  var realname: String
  /// Unix seconds when the nick was given up.
  var time: Int
}

/// The bounded log of former nicks (a shared table, like the directory).
final class WhowasLog: Sendable {
  /// Folded nick → entries, newest first; and the nicks, oldest first (for eviction).
  /// One lock for both, so they always agree.
  private let table = Locked<(entries: [String: [WhowasEntry]], order: [String])>(([:], []))
  /// Entries kept per nick, and nicks kept in all.
  let perNick: Int
  let nicks: Int

  init(perNick: Int = 8, nicks: Int = 4096) {
    self.perNick = perNick
    self.nicks = nicks
  }

  func record(_ entry: WhowasEntry) {
    let key = Names.fold(entry.nick)
    table.withLock { t in
      if t.entries[key] != nil, let i = t.order.firstIndex(of: key) { t.order.remove(at: i) }
      t.order.append(key)
      if t.order.count > nicks { t.entries[t.order.removeFirst()] = nil }
      var list = t.entries[key] ?? []
      list.insert(entry, at: 0)
      if list.count > perNick { list.removeLast(list.count - perNick) }
      t.entries[key] = list
    }
  }

  /// The newest `limit` entries for `nick` (all when `limit` ≤ 0).
  func lookup(_ nick: String, limit: Int) -> [WhowasEntry] {
    let list = table.withLock { $0.entries[Names.fold(nick)] ?? [] }
    return limit > 0 ? Array(list.prefix(limit)) : list
  }
}
