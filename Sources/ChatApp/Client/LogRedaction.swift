// What a client sends, as the trace log may show it: the line itself, except where it
// carries a secret — a connection password, an operator's password, SASL data, an
// account's password — which is replaced by `<redacted>`. Stateless.
extension IRCMessage {
  /// Commands whose parameters from the given index on are secrets.
  private static let secretsFrom: [String: Int] = ["PASS": 0, "OPER": 1, "AUTHENTICATE": 0, "REGISTER": 1, "VERIFY": 1]
  /// Services a client may send its password to in a message.
  private static let services: Set<String> = ["NICKSERV", "NS"]

  /// `line` (a client's, without CR LF) with its secrets replaced, for a log.
  static func loggable(_ line: [UInt8]) -> String {
    guard let message = try? IRCMessage.parse(line) else { return String(decoding: line, as: UTF8.self) }
    let command = message.command.uppercased()
    var keep: Int?
    if let from = secretsFrom[command] {
      keep = from
    } else if services.contains(command) {
      keep = 0
    } else if ["PRIVMSG", "NOTICE"].contains(command), let target = message.params.first, services.contains(target.uppercased()) {
      keep = 1
    }
    guard let keep, message.params.count > keep else { return String(decoding: line, as: UTF8.self) }
    return ([message.command] + message.params.prefix(keep) + ["<redacted>"]).joined(separator: " ")
  }
}
