// A broadcast line: serialised at most once per variant a client can take (tags or not,
// server-time or not, its sender's account or not), however many members it goes to.

/// A line that may carry tags (server-time, msgid, account, client tags): serialised at
/// most once per variant — a broadcast to a thousand members costs eight serialisations
/// at most, four when the sender has no account —
/// and framed for WebSocket clients at most once per variant and framing
/// (Web/TaggedLine+WebSocket.swift). Used by one process at a time (the sender).
final class TaggedLine {
  let message: IRCMessage
  let timeMillis: Int64
  let msgid: String?
  /// Client-only tags (`+draft/...`), sent to clients with message-tags.
  let clientTags: [(key: String, value: String?)]
  /// From a client in bot mode (+B): carries the `bot` tag.
  let fromBot: Bool
  /// The sender's account: the `account` tag, for clients with account-tag.
  let account: String?
  private var variants: [[UInt8]?] = Array(repeating: nil, count: Caps.tagVariants)
  /// The WebSocket frames made so far, by `variant(for:) * 2 + (binary ? 1 : 0)`.
  var webSocketFrames: [[UInt8]?] = Array(repeating: nil, count: Caps.tagVariants * 2)

  init(
    _ message: IRCMessage, timeMillis: Int64 = WallClock.millis(), msgid: String? = nil,
    clientTags: [(key: String, value: String?)] = [], fromBot: Bool = false, account: String? = nil
  ) {
    self.message = message
    self.fromBot = fromBot
    self.account = account
    self.timeMillis = timeMillis
    self.msgid = msgid
    self.clientTags = clientTags
  }

  /// The variant a client with `caps` gets: without an account to tag, account-tag
  /// makes no difference (so no extra serialisation).
  func variant(for caps: Caps) -> Int { account == nil ? caps.tagVariant & 3 : caps.tagVariant }

  /// The bytes for a client with `caps`.
  func bytes(for caps: Caps) -> [UInt8] {
    let v = variant(for: caps)
    if let b = variants[v] { return b }
    var m = message
    m.tags = []
    if let account, caps.contains(.accountTag) { m.tags.append(("account", account)) }
    if caps.contains(.serverTime) { m.tags.append(("time", WallClock.iso8601(millis: timeMillis))) }
    if caps.contains(.messageTags) {
      if let msgid { m.tags.append(("msgid", msgid)) }
      if fromBot { m.tags.append(("bot", nil)) }
      m.tags += clientTags
    }
    // Messages always carry their text as a trailing parameter, as clients expect.
    let b = m.serialized(forceTrailing: m.command == "PRIVMSG" || m.command == "NOTICE")
    variants[v] = b
    return b
  }

  /// Delivers the line to `client`, in its variant.
  func send(to client: ClientHandle) { client.deliver(self) }
}
