// What a SEARCH (soju's `soju.im/search`) asks of a channel's stored messages, checked
// and in the store's terms, and how each archive answers it the same way: the words of
// `text` must all start words of the message (case-insensitive, as SQLite's FTS5
// tokenizer splits them), `from` is the sender's nick, `after`/`before` bound the time
// (both inclusive, as the extension says), and at most `limit` messages come back,
// oldest first — the oldest matches after `after` when it is given, else the newest
// before `before` (the extension's "searched from" rule). Pure values: the SQLite
// writer thread (History/MessageIndex.swift) and the Redis archive's query helpers
// (a bounded scan, History/RedisHistory.swift) run them; no state.
import Foundation

/// A SEARCH of one channel.
struct SearchQuery: Sendable, Equatable {
  /// The channel as the client named it (`in=`).
  var target: String
  /// Lowercased words of `text=`, each matched as a word prefix; empty: any message.
  var words: [String] = []
  /// Folded nick of the sender (`from=`).
  var from: String?
  /// Unix milliseconds, inclusive (`after=`, `before=`).
  var after: Int64?
  var before: Int64?
  var limit: Int

  /// What is wrong with a SEARCH: `FAIL SEARCH <code> <context...> :<description>`.
  typealias Failure = FailReply

  /// The most characters of `text=` taken, and the most words.
  static let maximumTextLength = 200
  static let maximumWords = 16

  /// Parses `in=#chan;text=words;limit=N;from=nick;after=...;before=...` (a limit above
  /// `maxLimit`, or none, is `maxLimit`).
  static func parse(_ attributes: String, maxLimit: Int) -> Result<SearchQuery, Failure> {
    func invalid(_ what: String, _ why: String) -> Result<SearchQuery, Failure> {
      .failure(FailReply(command: "SEARCH", code: "INVALID_PARAMS", context: [what], description: why))
    }
    var target: String?
    var query = SearchQuery(target: "", limit: maxLimit)
    for pair in attributes.split(separator: ";", omittingEmptySubsequences: true) {
      let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
      let name = parts[0].lowercased()
      let value = parts.count > 1 ? IRCMessage.unescapeTagValue(Array(parts[1].utf8)[...]) : ""
      switch name {
      case "in":
        target = value
      case "text":
        guard value.count <= maximumTextLength else { return invalid(String(pair), "text= is longer than \(maximumTextLength) characters") }
        query.words = words(of: value)
        guard query.words.count <= maximumWords else { return invalid(String(pair), "text= has more than \(maximumWords) words") }
      case "from":
        query.from = Names.fold(value)
      case "after", "before":
        guard let t = WallClock.parseISO8601(value) else {
          return invalid(String(pair), "\(name)= must be a time as in server-time: YYYY-MM-DDThh:mm:ss.sssZ")
        }
        if name == "after" { query.after = t } else { query.before = t }
      case "limit":
        guard let n = Int(value), n > 0 else { return invalid(String(pair), "limit= must be a positive number") }
        query.limit = min(n, maxLimit)
      default:
        return invalid(String(pair), "Unknown attribute \(name) (in, text, from, after, before, limit)")
      }
    }
    guard let target, !target.isEmpty else { return invalid(attributes, "in=<channel> is required: chatd searches one channel at a time") }
    query.target = target
    return .success(query)
  }

  /// The words of a text as the index sees them: runs of letters and digits, lowercased.
  static func words(of text: String) -> [String] {
    text.lowercased().split { !($0.isLetter || $0.isNumber) }.map(String.init)
  }

  /// The FTS5 MATCH expression: every word, quoted (so nothing a client types is FTS
  /// syntax), as a prefix.
  var ftsExpression: String {
    words.map { "\"" + $0.replacingOccurrences(of: "\"", with: "\"\"") + "\"*" }.joined(separator: " ")
  }

  /// Whether `entry` matches (the scan of a backend without an index): the same rules
  /// as the index's, near enough — every word starts a word of the text.
  func matches(_ entry: HistoryEntry) -> Bool {
    guard entry.command == "PRIVMSG" || entry.command == "NOTICE" else { return false }
    if let after, entry.time < after { return false }
    if let before, entry.time > before { return false }
    if let from, Names.fold(String(entry.source.prefix { $0 != "!" })) != from { return false }
    if words.isEmpty { return true }
    let have = Self.words(of: entry.text)
    return words.allSatisfy { w in have.contains { $0.hasPrefix(w) } }
  }

  /// Whether the newest matches are wanted (no `after`), else the oldest.
  var newestFirst: Bool { after == nil }
}
