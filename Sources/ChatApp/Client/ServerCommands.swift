// About the server (VERSION, INFO, ADMIN, HELP) and for operators (OPER, KILL, WALLOPS).
import Actors
import GenServer

extension Connection {
  func version(_ state: inout State) {
    state.client.numeric(server, "351", ChatApp.version, server, "Otter: Erlang/OTP's process model in Swift")
    let tokens = isupport()
    var i = 0
    while i < tokens.count {
      state.client.numeric(server, "005", Array(tokens[i..<min(i + 12, tokens.count)]) + ["are supported by this server"])
      i += 12
    }
  }

  func info(_ state: inout State) {
    for line in [
      "\(ChatApp.version): an IRC server built on Otter.",
      "Every client, every channel and the presence table is a supervised process;",
      "kill one and its supervisor restarts it without disconnecting anyone.",
    ] {
      state.client.numeric(server, "371", line)
    }
    state.client.numeric(server, "374", "End of /INFO list")
  }

  func admin(_ state: inout State) {
    state.client.numeric(server, "256", server, "Administrative info")
    state.client.numeric(server, "257", config.networkName)
    state.client.numeric(server, "258", "chatd on Otter")
    state.client.numeric(server, "259", "root@\(server)")
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
      state.client.numeric(server, "524", topic, "No help available on this topic")
      return
    }
    let name = topic.isEmpty ? "*" : topic
    state.client.numeric(server, "704", name, lines[0])
    for line in lines.dropFirst() { state.client.numeric(server, "705", name, line) }
    state.client.numeric(server, "706", name, "End of /HELP")
  }

  func oper(_ p: [String], _ state: inout State) {
    let client = state.client
    guard p.count >= 2 else { return needMoreParams("OPER", state) }
    guard let password = config.operators[p[0]], password == p[1] else {
      client.numeric(server, "464", "Password incorrect")
      return
    }
    state.update { $0.oper = true }
    client.numeric(server, "381", "You are now an IRC operator")
    client.send(IRCMessage(source: client.prefix, "MODE", [client.nick, "+o"]))
  }

  func kill(_ p: [String], _ state: inout State, _ ctx: ServerContext<Self>) async throws {
    let client = state.client
    guard p.count >= 2 else { return needMoreParams("KILL", state) }
    guard client.setting({ $0.oper }) else {
      client.numeric(server, "481", "Permission Denied- You're not an IRC operator")
      return
    }
    guard case .client(let target?)? = try await callPresence(.find(p[0]), ctx) else {
      client.numeric(server, "401", p[0], "No such nick/channel")
      return
    }
    let reason = "Killed (\(client.nick) (\(p[1])))"
    target.pid.address(as: ServerMessage<Connection>.self)?.send(.info(.disconnect(reason)))
  }

  func wallops(_ p: [String], _ state: inout State, _ ctx: ServerContext<Self>) async throws {
    let client = state.client
    guard let text = p.first, !text.isEmpty else { return needMoreParams("WALLOPS", state) }
    guard client.setting({ $0.oper }) else {
      client.numeric(server, "481", "Permission Denied- You're not an IRC operator")
      return
    }
    let line = TaggedLine(IRCMessage(source: client.prefix, "WALLOPS", [text]))
    for other in services.clients.all where other.setting({ $0.wallops && $0.registered }) { line.send(to: other) }
  }
}
