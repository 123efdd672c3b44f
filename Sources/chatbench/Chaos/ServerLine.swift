// A line from the server, split the way a chaos session needs it: who sent it (the nick
// of the prefix), the command and every parameter. IRCLine only classifies lines for
// the load scenarios; a chaos session reads JOIN, QUIT, PART, KICK and NAMES too.

/// One IRC line from the server (tags skipped).
struct ServerLine: Equatable, Sendable {
  /// The nick of the prefix (`nick!user@host`), or the server name; nil without a prefix.
  var nick: Substring?
  var command: Substring
  var params: [Substring]

  /// Splits `line` (without its CR LF); nil for a line with no command.
  static func parse(_ line: Substring) -> ServerLine? {
    var rest = line[...]
    if rest.first == "@" {
      guard let space = rest.firstIndex(of: " ") else { return nil }
      rest = rest[rest.index(after: space)...]
    }
    var nick: Substring?
    if rest.first == ":" {
      guard let space = rest.firstIndex(of: " ") else { return nil }
      let prefix = rest[rest.index(after: rest.startIndex)..<space]
      nick = prefix[..<(prefix.firstIndex(of: "!") ?? prefix.firstIndex(of: "@") ?? prefix.endIndex)]
      rest = rest[space...]
    }
    var params: [Substring] = []
    var command: Substring?
    while true {
      while rest.first == " " { rest = rest.dropFirst() }
      if rest.isEmpty { break }
      if command != nil && rest.first == ":" {
        params.append(rest.dropFirst())
        break
      }
      let end = rest.firstIndex(of: " ") ?? rest.endIndex
      if command == nil { command = rest[..<end] } else { params.append(rest[..<end]) }
      rest = rest[end...]
    }
    guard let command, !command.isEmpty else { return nil }
    return ServerLine(nick: nick, command: command, params: params)
  }

  /// The numeric's code, if the command is three digits.
  var numeric: Int? {
    guard command.count == 3, command.allSatisfy(\.isASCII), command.allSatisfy(\.isNumber) else { return nil }
    return Int(command)
  }
}
