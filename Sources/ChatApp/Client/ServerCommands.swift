// About the server (VERSION, INFO, ADMIN, HELP) and for operators (OPER, KILL, WALLOPS).
import Actors
import GenServer

extension Connection {
  func version(_ state: inout State) {
    state.client.numeric(server, .rplVersion, ChatApp.version, server)
    let tokens = isupport()
    var i = 0
    while i < tokens.count {
      state.client.numeric(server, .rplISupport, Array(tokens[i..<min(i + 12, tokens.count)]) + ["are supported by this server"])
      i += 12
    }
  }

  func info(_ state: inout State) {
    for line in [
      "\(ChatApp.version): an IRC server built on Otter.",
      "Every client, every channel and the presence table is a supervised process;",
      "kill one and its supervisor restarts it without disconnecting anyone.",
    ] {
      state.client.numeric(server, .rplInfo, line)
    }
    state.client.numeric(server, .rplEndOfInfo)
  }

  func admin(_ state: inout State) {
    state.client.numeric(server, .rplAdminMe, server)
    state.client.numeric(server, .rplAdminLoc1, config.networkName)
    state.client.numeric(server, .rplAdminLoc2)
    state.client.numeric(server, .rplAdminEmail, "root@\(server)")
  }

  static let helpTopics: [String: [String]] = [
    "": ["chatd speaks IRC (RFC 1459/2812, modern IRC, IRCv3).", "Try HELP <command>, e.g. HELP JOIN."],
    "JOIN": ["JOIN <#channel>[,<#channel>...] [<key>[,<key>...]]", "Joins channels; JOIN 0 leaves them all."],
    "PART": ["PART <#channel>[,...] [:<reason>]"],
    "PRIVMSG": ["PRIVMSG <target>[,...] :<text>", "Sends a message to channels or nicks."],
    "NOTICE": ["NOTICE <target>[,...] :<text>"],
    "NICK": ["NICK <nick>"],
    "TOPIC": ["TOPIC <#channel> [:<topic>]"],
    "MODE": ["MODE <#channel> [+|-]beIiklmnstov [args]", "MODE <nick> [+|-]iwB"],
    "WHO": ["WHO <mask> [%fields[,token]]"],
    "WHOIS": ["WHOIS <nick>"],
    "AWAY": ["AWAY [:<message>]"],
    "MONITOR": ["MONITOR +|- <nick>[,...] | C | L | S"],
    "LIST": ["LIST [<#channel>|<mask>|>n|<n][,...]"],
    "KICK": ["KICK <#channel> <nick>[,...] [:<reason>]"],
    "INVITE": ["INVITE <nick> <#channel>"],
    "QUIT": ["QUIT [:<message>]"],
  ]

  func help(_ p: [String], _ state: inout State) {
    let topic = (p.first ?? "").uppercased()
    guard let lines = Self.helpTopics[topic] else {
      state.client.numeric(server, .errHelpNotFound, topic)
      return
    }
    let name = topic.isEmpty ? "*" : topic
    state.client.numeric(server, .rplHelpStart, name, lines[0])
    for line in lines.dropFirst() { state.client.numeric(server, .rplHelpTxt, name, line) }
    state.client.numeric(server, .rplEndOfHelp, name)
  }

  func oper(_ p: [String], _ state: inout State) {
    let client = state.client
    guard p.count >= 2 else { return needMoreParams("OPER", state) }
    guard let password = config.operators[p[0]], password == p[1] else {
      client.numeric(server, .errPasswdMismatch)
      return
    }
    state.update { $0.oper = true }
    client.numeric(server, .rplYoureOper)
    client.send(IRCMessage(source: client.prefix, "MODE", [client.nick, "+o"]))
  }

  func kill(_ p: [String], _ state: inout State, _ ctx: ServerContext<Self>) async throws {
    let client = state.client
    guard p.count >= 2 else { return needMoreParams("KILL", state) }
    guard client.setting({ $0.oper }) else {
      client.numeric(server, .errNoPrivileges)
      return
    }
    guard let target = services.findNick(p[0]) else {
      client.numeric(server, .errNoSuchNick, p[0])
      return
    }
    let reason = "Killed (\(client.nick) (\(p[1])))"
    if let r = target.remote {
      services.network?.send(.kill(r.location.number, reason: reason), to: r.node)
      return
    }
    target.pid.address(as: ServerMessage<Connection>.self)?.send(.info(.disconnect(reason)))
  }

  func wallops(_ p: [String], _ state: inout State, _ ctx: ServerContext<Self>) async throws {
    let client = state.client
    guard let text = p.first, !text.isEmpty else { return needMoreParams("WALLOPS", state) }
    guard client.setting({ $0.oper }) else {
      client.numeric(server, .errNoPrivileges)
      return
    }
    let line = TaggedLine(IRCMessage(source: client.prefix, "WALLOPS", [text]))
    for other in services.clients.all where other.setting({ $0.wallops && $0.registered }) { line.send(to: other) }
    services.network?.broadcast(.wallops(source: client.prefix, text: text))
  }
}
