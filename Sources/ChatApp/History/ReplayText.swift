// How a stored channel message reads when it is replayed to a client without
// server-time, and which stored messages are replayed at all. Pure functions: the room
// (Rooms/Room.swift) calls them while it replays and while it records; no state.
//
// The time goes in front of the text — or, for a CTCP ACTION (`/me`), in front of the
// action's words, inside the CTCP delimiters: a stamp before the `\x01` would make the
// line plain text, and clients would show a raw `\x01ACTION`. Other CTCP (VERSION, PING,
// TIME..., and their replies in NOTICEs) are requests between clients, not
// conversation: replayed, they would make every joining client answer a stale request.
// They are not recorded, and any stored before are not replayed.

enum ReplayText {
  /// The CTCP delimiter.
  static let ctcpDelimiter: Character = "\u{01}"

  /// `[YYYY-MM-DD HH:MM:SS]`, in UTC. The date is part of it because a replay may reach
  /// back days (history survives restarts and quiet weeks), and a bare `[12:00:00]`
  /// would read as today; UTC because the server does not know the client's zone.
  static func stamp(millis: Int64) -> String {
    let iso = WallClock.iso8601(millis: millis)  // 2026-11-21T12:00:00.000Z
    return "[" + String(iso.prefix(19).map { $0 == "T" ? " " : $0 }) + "]"
  }

  /// `text` with the time it was sent, for a client that cannot take a server-time tag.
  static func stamped(_ text: String, at millis: Int64) -> String {
    let stamp = stamp(millis: millis)
    guard let body = actionBody(text) else { return stamp + " " + text }
    return "\(ctcpDelimiter)ACTION \(stamp)\(body.isEmpty ? "" : " " + body)\(ctcpDelimiter)"
  }

  /// Whether a channel message is conversation (kept and replayed): anything but a CTCP
  /// other than ACTION.
  static func isReplayable(_ text: String) -> Bool {
    guard text.first == ctcpDelimiter else { return true }
    return actionBody(text) != nil
  }

  /// The words of a CTCP ACTION (`\x01ACTION waves\x01` → `waves`; the closing
  /// delimiter is optional, as clients send it both ways); nil for anything else.
  static func actionBody(_ text: String) -> String? {
    guard text.first == ctcpDelimiter else { return nil }
    var rest = text.dropFirst()
    if rest.last == ctcpDelimiter { rest = rest.dropLast() }
    let command = rest.prefix { $0 != " " }
    guard command.uppercased() == "ACTION" else { return nil }
    return String(rest.dropFirst(command.count + 1))
  }
}
