// WHOWAS: who used a nick before — recorded when a registered client quits or changes
// its nick, newest first, bounded in size.
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
  private let entries = Mutex<[String: [WhowasEntry]]>([:])
  private let order = Mutex<[String]>([])
  /// Entries kept per nick, and nicks kept in all.
  let perNick: Int
  let nicks: Int

  init(perNick: Int = 8, nicks: Int = 4096) {
    self.perNick = perNick
    self.nicks = nicks
  }

  func record(_ entry: WhowasEntry) {
    let key = Names.fold(entry.nick)
    let evict: String? = order.withLock { order in
      if let i = order.firstIndex(of: key) { order.remove(at: i) }
      order.append(key)
      return order.count > nicks ? order.removeFirst() : nil
    }
    entries.withLock {
      if let evict { $0[evict] = nil }
      var list = $0[key] ?? []
      list.insert(entry, at: 0)
      if list.count > perNick { list.removeLast(list.count - perNick) }
      $0[key] = list
    }
  }

  /// The newest `limit` entries for `nick` (all when `limit` ≤ 0).
  func lookup(_ nick: String, limit: Int) -> [WhowasEntry] {
    let list = entries.withLock { $0[Names.fold(nick)] ?? [] }
    return limit > 0 ? Array(list.prefix(limit)) : list
  }
}
