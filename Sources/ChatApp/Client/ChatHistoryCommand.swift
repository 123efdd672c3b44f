// The CHATHISTORY command as a client sends it (IRCv3 draft/chathistory), checked and
// turned into a history query — or into the FAIL the specification gives for what is
// wrong with it. Pure: the connection runs it (Client/HistoryCommands.swift) and does
// everything that needs the server (who may read which target, asking the store).
//
//   CHATHISTORY LATEST  <target> <* | timestamp=... | msgid=...> <limit>
//   CHATHISTORY BEFORE  <target> <timestamp=... | msgid=...> <limit>
//   CHATHISTORY AFTER   <target> <timestamp=... | msgid=...> <limit>
//   CHATHISTORY AROUND  <target> <timestamp=... | msgid=...> <limit>
//   CHATHISTORY BETWEEN <target> <timestamp=... | msgid=...> <timestamp=... | msgid=...> <limit>
//   CHATHISTORY TARGETS <timestamp=...> <timestamp=...> <limit>
//
// Limits: a limit must be a positive integer; one above the server's maximum (the
// `CHATHISTORY=` token) is served as the maximum, as Ergo does. `BEFORE *` is taken as
// `LATEST *` (Kiwi IRC sends it so).

/// A checked CHATHISTORY command.
enum ChatHistoryCommand: Equatable {
  /// A question about one target's messages (every subcommand but TARGETS).
  case messages(subcommand: String, target: String, HistoryQuery)
  /// TARGETS: the targets whose newest message is strictly between two times (Unix
  /// ms), at most `limit`, counted from `from` (so backwards in time if `from` is the later).
  case targets(from: Int64, to: Int64, limit: Int)

  /// What is wrong with a command: `FAIL CHATHISTORY <code> <context...> :<description>`.
  typealias Failure = FailReply

  static func failure(_ code: String, _ context: [String], _ description: String) -> Failure {
    FailReply(command: "CHATHISTORY", code: code, context: context, description: description)
  }

  static func invalidParams(_ context: [String], _ description: String) -> Failure {
    failure("INVALID_PARAMS", context, description)
  }

  /// Checks the parameters of a CHATHISTORY command (at least one: the subcommand).
  /// `maxLimit` is the most messages one command returns (0: no maximum).
  static func parse(_ params: [String], maxLimit: Int) -> Result<ChatHistoryCommand, Failure> {
    guard let given = params.first else { return .failure(Self.invalidParams(["*"], "Insufficient parameters")) }
    let subcommand = given.uppercased()
    let expected: Int
    switch subcommand {
    case "LATEST", "BEFORE", "AFTER", "AROUND", "TARGETS": expected = 4
    case "BETWEEN": expected = 5
    default: return .failure(Self.invalidParams([given], "Unknown command"))
    }
    if params.count < expected { return .failure(Self.invalidParams([given], "Insufficient parameters")) }
    if params.count > expected { return .failure(Self.invalidParams([given], "Too many parameters")) }
    guard let requested = Int(params[expected - 1]), requested > 0 else {
      return .failure(Self.invalidParams([given, params[expected - 1]], "Invalid limit: a positive number of messages"))
    }
    let limit = maxLimit > 0 ? min(requested, maxLimit) : requested
    if subcommand == "TARGETS" {
      var times: [Int64] = []
      for p in params[1...2] {
        switch selector(p, given, target: "*") {
        case .failure(let f): return .failure(f)
        case .success(.time(let t)?): times.append(t)
        case .success: return .failure(Self.invalidParams([given, p], "TARGETS takes two timestamps"))
        }
      }
      return .success(.targets(from: times[0], to: times[1], limit: limit))
    }
    let target = params[1]
    var selectors: [HistorySelector?] = []
    for p in params[2..<(expected - 1)] {
      switch selector(p, given, target: target) {
      case .failure(let f): return .failure(f)
      case .success(let s): selectors.append(s)
      }
    }
    // `*` is LATEST's alone (and BEFORE's, meaning the same).
    let first = selectors[0]
    if first == nil && subcommand != "LATEST" && subcommand != "BEFORE" {
      return .failure(Self.invalidParams([given, "*"], "* is only for LATEST"))
    }
    let query: HistoryQuery
    switch (subcommand, first) {
    case ("LATEST", _), ("BEFORE", nil): query = .latest(after: first, limit: limit)
    case ("BEFORE", let s?): query = .before(s, limit: limit)
    case ("AFTER", let s?): query = .after(s, limit: limit)
    case ("AROUND", let s?): query = .around(s, limit: limit)
    case ("BETWEEN", let a?):
      guard let b = selectors[1] else { return .failure(Self.invalidParams([given, "*"], "* is only for LATEST")) }
      query = .between(a, b, limit: limit)
    default: return .failure(Self.invalidParams([given], "Unknown command"))
    }
    return .success(.messages(subcommand: given, target: target, query))
  }

  /// A message reference: `timestamp=...`, `msgid=...`, or `*` (nil).
  private static func selector(_ p: String, _ given: String, target: String) -> Result<HistorySelector?, Failure> {
    if p == "*" { return .success(nil) }
    guard let equals = p.firstIndex(of: "=") else { return .failure(Self.invalidParams([given, p], "Invalid message reference")) }
    let type = p[..<equals].lowercased()
    let value = String(p[p.index(after: equals)...])
    switch type {
    case "timestamp":
      guard let millis = WallClock.parseISO8601(value) else { return .failure(Self.invalidParams([given, p], "Invalid timestamp")) }
      return .success(.time(millis))
    case "msgid":
      guard !value.isEmpty else { return .failure(Self.invalidParams([given, p], "Invalid msgid")) }
      return .success(.msgid(value))
    default:
      return .failure(
        Self.failure("INVALID_MSGREFTYPE", [given, target], "\(type)-based history requests are not supported"))
    }
  }
}
