// PRIVMSG, NOTICE and TAGMSG: to channels (through their rooms) and to nicks (written
// straight to the target's socket); a PRIVMSG to NickServ or ChanServ is a command to
// them (Services/). NOTICE never gets an automatic error back.
import Actors
import GenServer

extension Connection {
  func message(_ kind: Room.MessageKind, _ m: IRCMessage, _ state: inout State, _ ctx: ServerContext<Self>) async throws {
    let client = state.client
    let command = kind.rawValue
    let quiet = kind == .notice
    guard let targets = m.params.first, !targets.isEmpty else {
      if !quiet { client.numeric(server, .errNoRecipient, "No recipient given (\(command))") }
      return
    }
    let text = m.params.count > 1 ? m.params[1] : ""
    if kind != .tagmsg && text.isEmpty {
      if !quiet { client.numeric(server, .errNoTextToSend) }
      return
    }
    // Client-only tags travel with the message (to clients that take tags).
    let tags =
      client.has(.messageTags)
      ? m.tags.filter { $0.key.hasPrefix("+") }.map { ClientTag(key: $0.key, value: $0.value) } : []
    if kind == .tagmsg && tags.isEmpty { return }
    let list = Names.targets(targets)
    if list.count > config.targetsLimit {
      if !quiet { client.numeric(server, .errTooManyTargets, targets) }
      return
    }
    for target in list {
      if let bot = ServiceBot.named(target) {
        guard kind == .privmsg else { continue }
        switch bot {
        case .nickServ: try await nickServ(text, &state, ctx)
        case .chanServ: try await chanServ(text, &state, ctx)
        }
        continue
      }
      if Names.isChannel(target) {
        if try await callRoom(target, .message(client, kind, text: text, tags: tags), ctx) == nil, !quiet {
          client.numeric(server, .errNoSuchChannel, target)
        }
        continue
      }
      guard let other = services.findNick(target) else {
        if !quiet { client.numeric(server, .errNoSuchNick, target) }
        continue
      }
      let params = kind == .tagmsg ? [other.nick] : [other.nick, text]
      let (bot, account) = client.setting { ($0.bot, $0.account) }
      let line = TaggedLine(
        IRCMessage(source: client.prefix, command, params), msgid: MessageID.next(),
        clientTags: tags.map { ($0.key, $0.value) }, fromBot: bot, account: account)
      var copies = 0
      if kind != .tagmsg || other.has(.messageTags) {
        line.send(to: other)
        copies += 1
      }
      if client.has(.echoMessage) {
        line.send(to: client)
        copies += 1
      }
      services.metrics.privateMessage(copies: copies)
      if kind == .privmsg, let away = other.setting({ $0.away }) {
        client.numeric(server, .rplAway, other.nick, away)
      }
    }
  }
}
