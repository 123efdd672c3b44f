// A registered channel: a founder (an account) registered it with ChanServ, so it no
// longer ends when its last member leaves and nobody takes it by joining first. Its
// settings — topic, modes, key, limit, bans, exceptions, invite exceptions — and its
// access list (the accounts that get op on joining) are kept in the account store
// (Accounts/AccountStore.swift: SQLite beside the accounts, or the network's Redis, so
// every node of a network sees one registration), and come back with it after any
// restart. Only the founder and the accounts on the access list get op automatically;
// `nick!user@host` masks get nothing back (unlike an unregistered channel restored after
// a restart, Rooms/RoomStorage.swift): a mask is easy to wear, an account is not.
//
// Writer: the channel's room (`ChannelSettings.registration` is part of the settings it
// owns), which has the store keep the channel after each change; the registration itself
// is created by the founder's connection through the store (create-if-absent, the
// engine arbitrates), then handed to the room (Client/ChanServ.swift).
import Foundation

/// Who registered a channel and who gets op in it.
struct ChannelRegistration: Sendable, Equatable {
  /// The founder's account name, as registered.
  var founder: String
  /// Unix seconds.
  var time: Int
  /// Accounts (names as added) that get op on joining, besides the founder.
  var access: [String] = []

  /// Whether `account` gets op on joining (the founder, or on the access list).
  func opsOnJoin(_ account: String?) -> Bool {
    guard let account else { return false }
    let folded = Names.fold(account)
    return Names.fold(founder) == folded || access.contains { Names.fold($0) == folded }
  }

  func isFounder(_ account: String?) -> Bool { account.map { Names.fold($0) == Names.fold(founder) } ?? false }
}

/// A registered channel as the account store keeps it: one JSON document.
enum RegisteredChannelDocument {
  private struct Entry: Codable {
    var mask: String
    var setBy: String
    var time: Int
  }

  private struct Document: Codable {
    var name: String
    var created: Int
    var founder: String
    var registered: Int
    var access: [String]
    var topic: String?
    var topicBy: String?
    var topicTime: Int
    /// Mode letters set among `imnstRM`.
    var flags: String
    var key: String?
    var limit: Int?
    var bans: [Entry]
    var exceptions: [Entry]
    var inviteExceptions: [Entry]
  }

  /// The document for a registered channel (nil if `settings` has no registration).
  static func encode(_ settings: ChannelSettings) -> String? {
    guard let r = settings.registration else { return nil }
    func entries(_ list: [ListEntry]) -> [Entry] { list.map { Entry(mask: $0.mask, setBy: $0.setBy, time: $0.time) } }
    var flags = ""
    for (letter, on) in [
      ("i", settings.inviteOnly), ("m", settings.moderated), ("n", settings.noExternal), ("s", settings.secret),
      ("t", settings.topicLock), ("R", settings.registeredOnly), ("M", settings.registeredSpeech),
    ] where on {
      flags += letter
    }
    let d = Document(
      name: settings.name, created: settings.created, founder: r.founder, registered: r.time, access: r.access, topic: settings.topic,
      topicBy: settings.topicBy, topicTime: settings.topicTime, flags: flags, key: settings.key, limit: settings.limit,
      bans: entries(settings.bans), exceptions: entries(settings.exceptions), inviteExceptions: entries(settings.inviteExceptions))
    return (try? JSONEncoder().encode(d)).map { String(decoding: $0, as: UTF8.self) }
  }

  /// The channel a document describes; nil if it cannot be read.
  static func decode(_ json: String) -> ChannelSettings? {
    guard let d = try? JSONDecoder().decode(Document.self, from: Data(json.utf8)) else { return nil }
    func list(_ entries: [Entry]) -> [ListEntry] { entries.map { ListEntry(mask: $0.mask, setBy: $0.setBy, time: $0.time) } }
    var s = ChannelSettings(name: d.name, created: d.created)
    s.registration = ChannelRegistration(founder: d.founder, time: d.registered, access: d.access)
    s.topic = d.topic
    s.topicBy = d.topicBy
    s.topicTime = d.topicTime
    s.inviteOnly = d.flags.contains("i")
    s.moderated = d.flags.contains("m")
    s.noExternal = d.flags.contains("n")
    s.secret = d.flags.contains("s")
    s.topicLock = d.flags.contains("t")
    s.registeredOnly = d.flags.contains("R")
    s.registeredSpeech = d.flags.contains("M")
    s.key = d.key
    s.limit = d.limit
    s.bans = list(d.bans)
    s.exceptions = list(d.exceptions)
    s.inviteExceptions = list(d.inviteExceptions)
    return s
  }
}
