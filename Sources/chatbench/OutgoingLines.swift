// What a load client writes: byte for byte what ircload.c writes, so a server sees the
// same traffic from either tool.

enum OutgoingLines {
  /// The most padding a message gets (ircload's pad buffer).
  static let maxPadding = 2048

  /// `NICK <prefix><id>` and `USER u<id> 0 * :ircload <id>`.
  static func registration(prefix: String, id: Int) -> [UInt8] {
    Array("NICK \(prefix)\(id)\r\nUSER u\(id) 0 * :ircload \(id)\r\n".utf8)
  }

  /// The nick to try after `433`/`432`/`436`: `<prefix><id>_<try>`.
  static func nickRetry(prefix: String, id: Int, attempt: Int) -> [UInt8] {
    Array("NICK \(prefix)\(id)_\(attempt)\r\n".utf8)
  }

  static func join(roomPrefix: String, room: Int) -> [UInt8] {
    Array("JOIN \(roomPrefix)\(room)\r\n".utf8)
  }

  /// The answer to `PING <arguments>`.
  static func pong(_ arguments: some Sequence<UInt8>) -> [UInt8] {
    var out = Array("PONG ".utf8)
    out.append(contentsOf: arguments)
    out.append(contentsOf: [0x0D, 0x0A])
    return out
  }

  /// `PRIVMSG <room> :<sentAt> <sender> <seq> xxx…` with the text after the colon padded
  /// with `x` to `size` bytes (if the numbers leave room), then CR LF.
  static func message(roomPrefix: String, room: Int, sentAt: UInt64, sender: Int, seq: UInt64, size: Int) -> [UInt8] {
    var out = Array("PRIVMSG \(roomPrefix)\(room) :".utf8)
    let textStart = out.count
    out.append(contentsOf: "\(sentAt) \(sender) \(seq) ".utf8)
    let padding = min(maxPadding, max(0, size - (out.count - textStart)))
    out.append(contentsOf: repeatElement(UInt8(ascii: "x"), count: padding))
    out.append(contentsOf: [0x0D, 0x0A])
    return out
  }
}
