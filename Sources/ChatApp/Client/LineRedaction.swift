// What a client's line looks like in chatd's own log (`--log-level trace` logs every
// line clients send): a line that may carry a secret — a password, a SASL response —
// is logged as its command alone. Stateless.

enum LineRedaction {
  /// Commands whose parameters may hold a secret.
  static let secretCommands: Set<String> = ["AUTHENTICATE", "PASS", "OPER", "REGISTER", "VERIFY", "NS", "NICKSERV", "CS", "CHANSERV"]

  /// `bytes` as text for the log, or only its command and `<redacted>`.
  static func loggable(_ bytes: [UInt8]) -> String {
    guard let m = try? IRCMessage.parse(bytes) else { return String(decoding: bytes, as: UTF8.self) }
    let toService = (m.command == "PRIVMSG" || m.command == "NOTICE") && m.params.first.map { ServiceBot.named($0) != nil } == true
    if secretCommands.contains(m.command) || toService {
      return m.command + (toService ? " \(m.params[0])" : "") + " <redacted>"
    }
    return String(decoding: bytes, as: UTF8.self)
  }
}
