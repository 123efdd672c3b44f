// A room: one process per channel, started on the first JOIN and stopped when the last
// member leaves. It owns the channel's member list and settings, checks every action
// against the channel's modes, and delivers each message itself: it formats the line
// once (per tag variant) and writes it straight to every member's socket.
//
// The room monitors its members: a member's process ending (QUIT, error, kill) becomes a
// QUIT to the others. Killed, the room is restarted by the room supervisor and rebuilds
// its members from the clients' own memberships and its settings from the channel store,
// so nobody is disconnected or even notices; a call that failed meanwhile is retried by
// the sender.
import Actors
import GenServer

struct Room: SyncGenServer {
  let services: ChatServices
  /// The channel's name as first joined (case kept).
  let name: String

  var key: String { Names.fold(name) }

  /// PRIVMSG, NOTICE or TAGMSG.
  enum MessageKind: String, Sendable {
    case privmsg = "PRIVMSG", notice = "NOTICE", tagmsg = "TAGMSG"
  }

  enum Request: Sendable {
    case join(ClientHandle, key: String?)
    case part(ClientHandle, reason: String?)
    case message(ClientHandle, MessageKind, text: String, tags: [ClientTag])
    case topic(ClientHandle, String?)
    /// RPL_NAMREPLY, and RPL_ENDOFNAMES unless `end` is false (NAMES #a,#b ends once).
    case names(ClientHandle, end: Bool)
    case mode(ClientHandle, [String])
    case kick(ClientHandle, target: String, reason: String?)
    case invite(ClientHandle, ClientHandle)
    /// Members and their status (WHO, and NICK/AWAY fan-out).
    case members
    /// For LIST.
    case summary
  }

  enum Reply: Sendable {
    case done
    /// The request was refused; the room has told the client why.
    case refused
    case members([MemberView])
    case summary(RoomSummary)
  }

  enum Info: Sendable {
    /// Stored history for the replay arrived.
    case historyLoaded([HistoryEntry])
  }

  struct Member {
    let client: ClientHandle
    var op: Bool
    var voice: Bool
    let monitor: Ref
  }

  struct State {
    var channel: ChannelState
    var members: [UInt64: Member] = [:]
    /// Clients that joined before the stored history arrived.
    var awaitingReplay: [ClientHandle] = []
    var historyLoaded = false
  }

  var server: String { services.serverName }

  // MARK: - Start

  func initialize(_ ctx: ServerContext<Self>) throws -> InitResult<Self> {
    let existing = services.channels.get(key)
    var state = State(channel: existing ?? ChannelState(name: name))
    if existing != nil {
      // A restart: members are the clients whose memberships say so.
      for client in services.clients.all {
        guard let m = client.info.withLock({ $0.channels[key] }) else { continue }
        state.members[client.id] = Member(client: client, op: m.op, voice: m.voice, monitor: ctx.monitor(client.pid))
      }
      if state.members.isEmpty {
        services.channels.remove(key)
        return .ignore
      }
    } else {
      services.channels.put(key, state.channel)
    }
    // Recent history: in memory if this channel was used since the server started, else
    // from the store (it answers with an info message; joins meanwhile wait for it).
    if services.recent.isKnown(key) || services.config.historyReplay == 0 {
      state.historyLoaded = true
    } else if let store = ctx.node.whereis(ChatServices.historyName)?.address(as: ServerMessage<HistoryStore>.self) {
      let me = ctx.address
      let limit = services.config.historyMemory
      Self.loadHistory(store: GenServerRef(store), key: key, limit: limit, into: me, node: ctx.node)
    } else {
      state.historyLoaded = true
      services.recent.markKnown(key)
    }
    return .ok(state)
  }

  /// Asks the store for the latest entries from a short-lived helper process, which
  /// forwards them to the room (a sync server never waits).
  private static func loadHistory(store: GenServerRef<HistoryStore>, key: String, limit: Int, into room: Address<ServerMessage<Room>>, node: Node) {
    node.spawn(Never.self, options: SpawnOptions(label: "history load \(key)")) { ctx in
      var entries: [HistoryEntry] = []
      if case .entries(let e)? = try? await ctx.call(store, .latest(channel: key, limit: limit), timeout: .seconds(10)) {
        entries = e
      }
      room.send(.info(.historyLoaded(entries)))
    }
  }

  // MARK: - Requests

  func handleCall(_ request: Request, from: From<Reply>, state: inout State, _ ctx: ServerContext<Self>) throws -> CallResult<Self> {
    switch request {
    case .join(let client, let key):
      return .reply(join(client, key: key, &state, ctx))
    case .part(let client, let reason):
      guard state.members[client.id] != nil else {
        client.numeric(server, "442", state.channel.name, "You're not on that channel")
        return .reply(.refused)
      }
      let line = TaggedLine(IRCMessage(source: client.prefix, "PART", reason.map { [state.channel.name, $0] } ?? [state.channel.name]))
      for m in state.members.values { line.send(to: m.client) }
      remove(client, &state, ctx)
      return state.members.isEmpty ? stopEmpty(&state) : .reply(.done)
    case .message(let client, let kind, let text, let tags):
      return .reply(message(client, kind, text, tags, &state, ctx))
    case .topic(let client, let topic):
      return .reply(self.topic(client, topic, &state))
    case .names(let client, let end):
      names(for: client, state, end: end)
      return .reply(.done)
    case .mode(let client, let params):
      return .reply(mode(client, params, &state))
    case .kick(let client, let target, let reason):
      let r = kick(client, target, reason, &state, ctx)
      return state.members.isEmpty ? stopEmpty(&state) : .reply(r)
    case .invite(let client, let target):
      return .reply(invite(client, target, &state))
    case .members:
      return .reply(.members(state.members.values.map { MemberView(client: $0.client, op: $0.op, voice: $0.voice) }))
    case .summary:
      let c = state.channel
      return .reply(.summary(RoomSummary(name: c.name, members: state.members.count, topic: c.topic, secret: c.secret,
                                         created: c.created, topicTime: c.topicTime,
                                         memberIDs: Set(state.members.keys))))
    }
  }

  func handleInfo(_ message: Message<Info>, state: inout State, _ ctx: ServerContext<Self>) throws -> HandleResult<Self> {
    switch message {
    case .down(_, let pid, let reason):
      guard let member = state.members.values.first(where: { $0.client.pid == pid }) else { return .noreply() }
      quit(member.client, reason, &state, ctx)
      if state.members.isEmpty {
        services.channels.remove(key)
        return .stop(.normal)
      }
    case .message(.historyLoaded(let entries)):
      services.recent.preload(key, entries)
      state.historyLoaded = true
      for client in state.awaitingReplay where state.members[client.id] != nil { replay(to: client, state) }
      state.awaitingReplay = []
    default:
      break
    }
    return .noreply()
  }

  func formatStatus(_ state: State) -> String {
    let c = state.channel
    return "\(c.name): \(state.members.count) members, modes \(c.modeString(showKey: false).joined(separator: " ")), topic \(c.topic.map { "\"\($0)\"" } ?? "none")"
  }

  // MARK: - Membership

  private func join(_ client: ClientHandle, key: String?, _ state: inout State, _ ctx: ServerContext<Self>) -> Reply {
    if state.members[client.id] != nil { return .done }
    let c = state.channel
    let folded = Names.fold(client.nick)
    let invited = c.invited.contains(folded)
    let mask = client.prefix
    if c.bans.contains(where: { Names.globMatch($0.mask, mask) }) && !c.exceptions.contains(where: { Names.globMatch($0.mask, mask) }) && !invited {
      client.numeric(server, "474", c.name, "Cannot join channel (+b)")
      return .refused
    }
    if c.inviteOnly && !invited && !c.inviteExceptions.contains(where: { Names.globMatch($0.mask, mask) }) {
      client.numeric(server, "473", c.name, "Cannot join channel (+i)")
      return .refused
    }
    if let k = c.key, k != key, !invited {
      client.numeric(server, "475", c.name, "Cannot join channel (+k)")
      return .refused
    }
    if let limit = c.limit, state.members.count >= limit, !invited {
      client.numeric(server, "471", c.name, "Cannot join channel (+l)")
      return .refused
    }
    let first = state.members.isEmpty
    state.channel.invited.remove(folded)
    state.members[client.id] = Member(client: client, op: first, voice: false, monitor: ctx.monitor(client.pid))
    client.info.withLock { $0.channels[self.key] = Membership(channel: c.name, op: first) }
    save(state)
    // JOIN to everyone (extended-join adds account and real name).
    let info = client.snapshot
    let plain = TaggedLine(IRCMessage(source: client.prefix, "JOIN", [c.name]))
    let extended = TaggedLine(IRCMessage(source: client.prefix, "JOIN", [c.name, "*", info.realname]))
    for m in state.members.values {
      (m.client.has(.extendedJoin) ? extended : plain).send(to: m.client)
      if let away = info.away, m.client !== client, m.client.has(.awayNotify) {
        TaggedLine(IRCMessage(source: client.prefix, "AWAY", [away])).send(to: m.client)
      }
    }
    if let topic = c.topic {
      client.numeric(server, "332", c.name, topic)
      client.numeric(server, "333", c.name, c.topicBy ?? server, String(c.topicTime))
    }
    names(for: client, state)
    if state.historyLoaded { replay(to: client, state) } else { state.awaitingReplay.append(client) }
    return .done
  }

  /// Removes a member (PART, KICK) and forgets it in its membership list.
  private func remove(_ client: ClientHandle, _ state: inout State, _ ctx: ServerContext<Self>) {
    guard let m = state.members.removeValue(forKey: client.id) else { return }
    _ = ctx.demonitor(m.monitor, flush: true)
    client.info.withLock { _ = $0.channels.removeValue(forKey: self.key) }
    save(state)
  }

  /// A member's process ended: everyone who has not heard of it yet gets its QUIT.
  private func quit(_ client: ClientHandle, _ reason: ExitReason, _ state: inout State, _ ctx: ServerContext<Self>) {
    state.members.removeValue(forKey: client.id)
    let message = client.info.withLock { $0.quitMessage } ?? Self.quitMessage(for: reason)
    let line = TaggedLine(IRCMessage(source: client.prefix, "QUIT", [message]))
    for m in state.members.values {
      let first = client.info.withLock { $0.quitTold.insert(m.client.id).inserted }
      if first { line.send(to: m.client) }
    }
    save(state)
  }

  static func quitMessage(for reason: ExitReason) -> String {
    switch reason {
    case .normal, .shutdown: return "Connection closed"
    case .killed: return "Killed"
    default: return "Connection lost (\(reason))"
    }
  }

  private func stopEmpty(_ state: inout State) -> CallResult<Self> {
    services.channels.remove(key)
    return .stop(.normal, reply: .done)
  }

  /// Writes the channel's settings to the shared store (a restarted room reads them).
  func save(_ state: State) { services.channels.put(key, state.channel) }

  // MARK: - Messages

  private func message(_ client: ClientHandle, _ kind: MessageKind, _ text: String, _ tags: [ClientTag], _ state: inout State, _ ctx: ServerContext<Self>) -> Reply {
    let c = state.channel
    let member = state.members[client.id]
    let silent = kind != .privmsg  // NOTICE never gets an error back; TAGMSG follows it
    if member == nil && c.noExternal {
      if !silent { client.numeric(server, "404", c.name, "Cannot send to channel (no external messages)") }
      return .refused
    }
    let privileged = member.map { $0.op || $0.voice } ?? false
    if c.moderated && !privileged {
      if !silent { client.numeric(server, "404", c.name, "Cannot send to channel (+m)") }
      return .refused
    }
    if !privileged {
      let mask = client.prefix
      if c.bans.contains(where: { Names.globMatch($0.mask, mask) }) && !c.exceptions.contains(where: { Names.globMatch($0.mask, mask) }) {
        if !silent { client.numeric(server, "404", c.name, "Cannot send to channel (+b)") }
        return .refused
      }
    }
    let msgid = MessageID.next()
    let now = WallClock.millis()
    let source = client.prefix
    let params = kind == .tagmsg ? [c.name] : [c.name, text]
    let line = TaggedLine(IRCMessage(source: source, kind.rawValue, params), timeMillis: now, msgid: msgid,
                          clientTags: tags.map { ($0.key, $0.value) }, fromBot: client.info.withLock { $0.bot })
    let echo = client.has(.echoMessage)
    for m in state.members.values {
      if m.client === client && !echo { continue }
      if kind == .tagmsg && !m.client.has(.messageTags) { continue }
      line.send(to: m.client)
    }
    if kind != .tagmsg {
      let entry = HistoryEntry(time: now, msgid: msgid, source: source, command: kind.rawValue, channel: c.name, text: text)
      services.recent.append(key, entry)
      if services.config.history, let store = ctx.node.whereis(ChatServices.historyName)?.address(as: ServerMessage<HistoryStore>.self) {
        GenServerRef(store).cast(.append(key: key, entry))
      }
    }
    return .done
  }

  /// The channel's recent messages, to a client that just joined: with server-time tags
  /// if it has the capability, else with the time in front of the text.
  private func replay(to client: ClientHandle, _ state: State) {
    let limit = services.config.historyReplay
    guard limit > 0 else { return }
    let entries = services.recent.latest(key, limit: limit)
    guard !entries.isEmpty else { return }
    let caps = client.capabilities
    let batch = caps.contains(.batch) ? "h" + MessageID.next() : nil
    if let batch { client.send(IRCMessage(source: server, "BATCH", ["+" + batch, "chathistory", state.channel.name])) }
    for e in entries {
      var text = e.text
      if !caps.contains(.serverTime) {
        let stamp = String(WallClock.iso8601(millis: e.time).prefix(19).map { $0 == "T" ? " " : $0 })
        text = "[\(stamp)] " + text
      }
      var m = IRCMessage(source: e.source, e.command, [state.channel.name, text])
      if caps.contains(.serverTime) { m.tags.append(("time", WallClock.iso8601(millis: e.time))) }
      if caps.contains(.messageTags) { m.tags.append(("msgid", e.msgid)) }
      if let batch { m.tags.insert(("batch", batch), at: 0) }
      client.send(m)
    }
    if let batch { client.send(IRCMessage(source: server, "BATCH", ["-" + batch])) }
  }

  // MARK: - Topic and names

  private func topic(_ client: ClientHandle, _ topic: String?, _ state: inout State) -> Reply {
    let c = state.channel
    let member = state.members[client.id]
    guard let topic else {
      if member == nil && c.secret {
        client.numeric(server, "442", c.name, "You're not on that channel")
        return .refused
      }
      if let t = c.topic {
        client.numeric(server, "332", c.name, t)
        client.numeric(server, "333", c.name, c.topicBy ?? server, String(c.topicTime))
      } else {
        client.numeric(server, "331", c.name, "No topic is set")
      }
      return .done
    }
    guard let member else {
      client.numeric(server, "442", c.name, "You're not on that channel")
      return .refused
    }
    if c.topicLock && !member.op {
      client.numeric(server, "482", c.name, "You're not channel operator")
      return .refused
    }
    let text = String(decoding: Array(topic.utf8.prefix(services.config.topicLength)), as: UTF8.self)
    state.channel.topic = text.isEmpty ? nil : text
    state.channel.topicBy = client.prefix
    state.channel.topicTime = WallClock.seconds()
    save(state)
    let line = TaggedLine(IRCMessage(source: client.prefix, "TOPIC", [c.name, text]))
    for m in state.members.values { line.send(to: m.client) }
    return .done
  }

  /// RPL_NAMREPLY lines (as many as fit 512 bytes) and RPL_ENDOFNAMES.
  func names(for client: ClientHandle, _ state: State, end: Bool = true) {
    let c = state.channel
    let isMember = state.members[client.id] != nil
    if c.secret && !isMember {
      if end { client.numeric(server, "366", c.name, "End of /NAMES list") }
      return
    }
    let multi = client.has(.multiPrefix)
    let full = client.has(.userhostInNames)
    var entries: [String] = []
    for m in state.members.values {
      let info = m.client.snapshot
      if !isMember && info.invisible { continue }
      let p = multi ? (m.op ? "@" : "") + (m.voice ? "+" : "") : (m.op ? "@" : (m.voice ? "+" : ""))
      entries.append(p + (full ? "\(info.nick)!\(info.user)@\(m.client.host)" : info.nick))
    }
    let nick = client.nick
    let symbol = c.secret ? "@" : "="
    let overhead = ":\(server) 353 \(nick) \(symbol) \(c.name) :\r\n".utf8.count
    var line = ""
    for e in entries {
      if !line.isEmpty && overhead + line.utf8.count + 1 + e.utf8.count > 512 {
        client.numeric(server, "353", symbol, c.name, line)
        line = ""
      }
      line += line.isEmpty ? e : " " + e
    }
    if !line.isEmpty { client.numeric(server, "353", symbol, c.name, line) }
    if end { client.numeric(server, "366", c.name, "End of /NAMES list") }
  }

  // MARK: - Kick and invite

  private func kick(_ client: ClientHandle, _ target: String, _ reason: String?, _ state: inout State, _ ctx: ServerContext<Self>) -> Reply {
    let c = state.channel
    guard let member = state.members[client.id] else {
      client.numeric(server, "442", c.name, "You're not on that channel")
      return .refused
    }
    guard member.op else {
      client.numeric(server, "482", c.name, "You're not channel operator")
      return .refused
    }
    guard let victim = state.members.values.first(where: { Names.fold($0.client.nick) == Names.fold(target) }) else {
      client.numeric(server, "441", target, c.name, "They aren't on that channel")
      return .refused
    }
    let why = String(decoding: Array((reason ?? client.nick).utf8.prefix(services.config.kickLength)), as: UTF8.self)
    let line = TaggedLine(IRCMessage(source: client.prefix, "KICK", [c.name, victim.client.nick, why]))
    for m in state.members.values { line.send(to: m.client) }
    remove(victim.client, &state, ctx)
    return .done
  }

  private func invite(_ client: ClientHandle, _ target: ClientHandle, _ state: inout State) -> Reply {
    let c = state.channel
    guard let member = state.members[client.id] else {
      client.numeric(server, "442", c.name, "You're not on that channel")
      return .refused
    }
    if c.inviteOnly && !member.op {
      client.numeric(server, "482", c.name, "You're not channel operator")
      return .refused
    }
    if state.members[target.id] != nil {
      client.numeric(server, "443", target.nick, c.name, "is already on channel")
      return .refused
    }
    state.channel.invited.insert(Names.fold(target.nick))
    save(state)
    client.numeric(server, "341", target.nick, c.name)
    TaggedLine(IRCMessage(source: client.prefix, "INVITE", [target.nick, c.name])).send(to: target)
    let notify = TaggedLine(IRCMessage(source: client.prefix, "INVITE", [target.nick, c.name]))
    for m in state.members.values where m.client !== client && m.op && m.client.has(.inviteNotify) { notify.send(to: m.client) }
    return .done
  }
}

/// A client tag (`+key=value`) carried by a message.
struct ClientTag: Sendable, Equatable {
  var key: String
  var value: String?
}

/// A member as WHO and the fan-outs of NICK, AWAY and QUIT see it.
struct MemberView: Sendable {
  let client: ClientHandle
  let op: Bool
  let voice: Bool
}

/// A room as LIST shows it.
struct RoomSummary: Sendable {
  let name: String
  let members: Int
  let topic: String?
  let secret: Bool
  let created: Int
  let topicTime: Int
  let memberIDs: Set<UInt64>
}
