// NickServ and ChanServ: not users but names chatd answers for itself, as services do on
// other networks — for clients without SASL or IRCv3 account-registration
// (Services/NickServ.swift, Services/ChanServ.swift). Messages to them (`/msg NickServ
// ...`, or the `NS` and `CS` commands) are run by the sender's connection; their answers
// are NOTICEs from `NickServ!NickServ@services.`. Nobody may take their nicks. Stateless.

/// A services pseudo-user.
enum ServiceBot: String, Sendable, CaseIterable {
  case nickServ = "NickServ"
  case chanServ = "ChanServ"

  /// The bot a message target names (any case), if any.
  static func named(_ target: String) -> ServiceBot? {
    let folded = Names.fold(target)
    return allCases.first { Names.fold($0.rawValue) == folded }
  }

  /// The source of its NOTICEs.
  var source: String { "\(rawValue)!\(rawValue)@services." }
}

extension ClientHandle {
  /// A NOTICE from `bot` to this client.
  func notice(from bot: ServiceBot, _ text: String) {
    send(IRCMessage(source: bot.source, "NOTICE", [holdsNick ? nick : "*", text]))
  }
}
