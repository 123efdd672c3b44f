// A room: one process per channel, started on the first JOIN and stopped when the last
// member leaves. It is the one writer of its channel's members, modes and topic: it
// checks every action against the modes, delivers each message itself — formatted once
// per tag variant, handed to every member's endpoint — and publishes its record to the
// channel table (Rooms/ChannelTable.swift) after every change, for readers and for its
// own restart. It also has the history store keep the channel's topic, modes and
// statuses, and starts a channel from them after chatd restarts (Rooms/RoomStorage.swift);
// a registered channel's registration is part of its settings, which the account store
// keeps too (Rooms/ChannelRegistration.swift, Rooms/RoomRegistration.swift).
//
// The room monitors its members: a member's process ending (QUIT, error, kill) becomes a
// QUIT to the others, once to each even across shared channels (Delivery/QuitLedger.swift).
// Killed, the room is restarted by the room supervisor and rebuilds from its record —
// monitoring every member again, so one that died meanwhile is seen to go (its monitor
// answers at once) — and nobody else notices; a call that failed meanwhile is retried by
// the sender.
import Actors
import GenServer

struct Room: SyncGenServer {
  let services: ChatServices
  /// The channel's name as first joined (case kept).
  let name: String
  /// Start a new channel if it has no record (a JOIN); otherwise only come back for a
  /// channel that has one (a restart, or a request for a channel whose room is down).
  let create: Bool

  var key: String { Names.fold(name) }

  /// PRIVMSG, NOTICE or TAGMSG.
  enum MessageKind: String, Sendable {
    case privmsg = "PRIVMSG"
    case notice = "NOTICE"
    case tagmsg = "TAGMSG"
  }

  enum Request: Sendable {
    /// `readMarker`: the `draft/read-marker` value the joining client is shown before
    /// its RPL_ENDOFNAMES (`timestamp=...` or `*`), looked up by its connection.
    case join(ClientHandle, key: String?, readMarker: String? = nil)
    case part(ClientHandle, reason: String?)
    case message(ClientHandle, MessageKind, text: String, tags: [ClientTag])
    case topic(ClientHandle, String?)
    /// RPL_NAMREPLY, and RPL_ENDOFNAMES unless `end` is false (NAMES #a,#b ends once).
    case names(ClientHandle, end: Bool)
    case mode(ClientHandle, [String])
    case kick(ClientHandle, target: String, reason: String?)
    case invite(ClientHandle, ClientHandle)
    /// A message from outside IRC (the emitter), from `source` (`nick!user@host`).
    case emit(source: String, text: String)
    /// The member's session moved to another connection (HandOff/Room+HandOff.swift).
    case handOff(ClientHandle, to: ClientHandle)
    /// ChanServ REGISTER: may `client` register the channel (an op, logged in)?
    case mayRegister(ClientHandle)
    /// ChanServ REGISTER: the account store holds the registration; the room adopts it.
    case adoptRegistration(ClientHandle, ChannelRegistration)
    /// ChanServ ACCESS ADD or DEL, by the founder.
    case access(ClientHandle, add: Bool, account: String)
    /// ChanServ DROP, by the founder.
    case unregister(ClientHandle)
  }

  enum Reply: Sendable {
    case done
    /// The request was refused; the room has told the client why.
    case refused
  }

  enum Info: Sendable {
    /// Stored history for the replay arrived.
    case historyLoaded([HistoryEntry])
    /// What the stores keep of the channel arrived: the history's record of it as it
    /// stood at the last stop, and its registration (nil: nothing, a new channel).
    case settingsLoaded(StoredChannel?, registered: ChannelSettings?)
    /// Another node registered the channel's room first: this one goes, unused.
    case abandon
    /// This node registered the room network-wide: a room started from a copy starts
    /// the channel here (`State.awaitingTakeover`).
    case takeOver
  }

  struct State {
    var record: ChannelRecord
    /// Where a message's copies for other nodes go, worked out once per change of
    /// members (any change through `members` drops it): a message then costs one frame
    /// per node, not a look at every member.
    let remotePlan = RemotePlan()
    /// Where a message's copies for this node's members go, made once per change of
    /// members (any change through `members` drops it) or of a member's capabilities.
    let deliveryList = DeliveryList()
    /// Clients that joined before the stored history arrived, and how many messages this
    /// room had appended then (what came after their JOIN they saw live, not replayed).
    var awaitingReplay: [(client: ClientHandle, appendedBefore: Int)] = []
    /// Messages this room has appended to the recent history since it started.
    var appended = 0
    var historyLoaded = false
    /// The channel had no record and the store is asked what it keeps of it: requests
    /// wait in `held`, in order, until that is in (Rooms/RoomStorage.swift).
    var settingsLoading = false
    var held: [(request: Request, from: From<Reply>)] = []
    /// Started from this node's copy of a channel whose home died: nothing is published,
    /// nobody monitored and requests wait in `held` until this node holds the room's
    /// name in the network (`takeOver`). Another node may win it: then this room goes
    /// (`abandon`) having changed nothing, and the copy stays a copy.
    var awaitingTakeover = false
    /// What the store was last asked to keep of the channel, and whether something it
    /// keeps (settings, who holds status) may have changed since.
    var saved: StoredChannel?
    var storeOutdated = false
    /// Op and voice of members chatd's shutdown ended, by folded mask: kept for them.
    var leftAtShutdown: [String: StoredStatus] = [:]

    var channel: ChannelSettings {
      get { record.settings }
      _modify { yield &record.settings }
    }
    /// The members: every change goes through here (not through `record`), so that the
    /// delivery list and the remote plan are dropped before any member leaves.
    var members: [UInt64: ChannelMember] {
      get { record.members }
      _modify {
        deliveryList.invalidate()
        remotePlan.groups = nil
        yield &record.members
      }
    }
  }

  var server: String { services.serverName }

  // MARK: - Start

  func initialize(_ ctx: ServerContext<Self>) throws -> InitResult<Self> {
    var state: State
    if var record = services.channels.record(key) {
      // A restart: the members are those the record lists, each monitored again (one
      // that has gone meanwhile answers with a DOWN at once and is told to the others).
      // In a network, the record may be this node's copy of a channel whose home died:
      // the room starts it again here once it has won its name (Cluster/Relay.swift).
      let copy = record.home != nil
      if !copy {
        for (id, var m) in record.members {
          m.monitor = ctx.monitor(m.client.pid)
          record.members[id] = m
        }
      }
      record.home = nil
      state = State(record: record)
      state.awaitingTakeover = copy
      if state.members.isEmpty {
        services.channels.unpublish(key)
        return .ignore
      }
      if !copy { services.network?.reclaim(key, room: ctx.address, on: ctx.node) }
    } else if create {
      state = State(record: ChannelRecord(settings: ChannelSettings(name: name)))
      // The channel may have stood when chatd last stopped: unpublished until the store
      // has said, so nobody is answered as if it were new.
      state.settingsLoading = loadSettings(ctx)
    } else {
      return .ignore
    }
    if !state.settingsLoading && !state.awaitingTakeover { publish(state) }
    // Recent history: in memory if this channel was used since the server started, else
    // from the store (it answers with an info message; joins meanwhile wait for it).
    if services.recent.isKnown(key) || services.config.historyReplay == 0 {
      state.historyLoaded = true
    } else if let store = historyStore(ctx) {
      let me = ctx.address
      let limit = services.config.historyMemory
      Self.loadHistory(store: store, key: key, limit: limit, into: me, node: ctx.node)
    } else {
      state.historyLoaded = true
      services.recent.markKnown(key)
    }
    return .ok(state)
  }

  /// Asks the store for the latest entries from a short-lived helper process, which
  /// forwards them to the room (a sync server never waits).
  private static func loadHistory(
    store: GenServerRef<HistoryStore>, key: String, limit: Int, into room: Address<ServerMessage<Room>>, node: Node
  ) {
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
    if state.settingsLoading || state.awaitingTakeover {
      state.held.append((request, from))
      return .noreply()
    }
    let (reply, stop) = respond(to: request, &state, ctx)
    return stop ? .stop(.normal, reply: reply) : .reply(reply)
  }

  /// Handles a request; `stop` when the room ends with it (no members left).
  func respond(to request: Request, _ state: inout State, _ ctx: ServerContext<Self>) -> (reply: Reply, stop: Bool) {
    switch request {
    case .join(let client, let key, let readMarker):
      let reply = join(client, key: key, readMarker: readMarker, &state, ctx)
      // Refused with nobody in: a restored channel that keeps its first visitor out.
      return (reply, settle(&state, serverStopping: false, ctx))
    case .part(let client, let reason):
      guard state.members[client.id] != nil else {
        client.numeric(server, .errNotOnChannel, state.channel.name)
        return (.refused, false)
      }
      let line = TaggedLine(
        IRCMessage(source: client.prefix, "PART", reason.map { [state.channel.name, $0] } ?? [state.channel.name]), account: client.account)
      Fanout.broadcast(line, to: state.members.values.lazy.map(\.client), services)
      remove(client, &state, ctx)
      return (.done, settle(&state, serverStopping: false, ctx))
    case .message(let client, let kind, let text, let tags):
      return (message(client, kind, text, tags, &state, ctx), false)
    case .topic(let client, let topic):
      let reply = self.topic(client, topic, &state)
      state.storeOutdated = true
      save(&state, ctx)
      return (reply, false)
    case .names(let client, let end):
      names(for: client, state, end: end)
      return (.done, false)
    case .mode(let client, let params):
      let reply = mode(client, params, &state)
      publish(state)
      state.storeOutdated = true
      save(&state, ctx)
      return (reply, false)
    case .kick(let client, let target, let reason):
      let reply = kick(client, target, reason, &state, ctx)
      return (reply, settle(&state, serverStopping: false, ctx))
    case .invite(let client, let target):
      return (invite(client, target, &state), false)
    case .emit(let source, let text):
      return (emit(source, text, &state, ctx), false)
    case .handOff(let old, let new):
      return (handOff(old, to: new, &state, ctx), false)
    case .mayRegister(let client):
      return (mayRegister(client, state), false)
    case .adoptRegistration(let client, let registration):
      return (adopt(registration, from: client, &state, ctx), false)
    case .access(let client, let add, let account):
      return (changeAccess(client, add: add, account: account, &state, ctx), false)
    case .unregister(let client):
      return (unregister(client, &state, ctx), false)
    }
  }

  func handleInfo(_ message: Message<Info>, state: inout State, _ ctx: ServerContext<Self>) throws -> HandleResult<Self> {
    switch message {
    case .down(let ref, let pid, let reason):
      // A member of another node is found by its monitor (its pid's number is that node's).
      let id = pid.location == nil ? pid.id : state.members.first(where: { $0.value.monitor == ref })?.key
      guard let id, let member = state.members[id], member.monitor == ref else { return .noreply() }
      // Members that chatd's shutdown ended have not left: the channel is kept as it
      // stands, for after the restart.
      let stopping = Self.endedByServer(reason)
      if member.op || member.voice {
        state.storeOutdated = true
        if stopping { awaitReturn(of: member, &state) }
      }
      quit(member.client, reason, &state)
      if settle(&state, serverStopping: stopping, ctx) { return .stop(.normal) }
    case .message(.settingsLoaded(let stored, let registered)):
      return settingsLoaded(stored, registered: registered, &state, ctx)
    case .message(.abandon):
      // Nobody has used this room. One started from a copy published nothing (it waited
      // for its name): the copy stays as it was, and the winner's record follows.
      if state.awaitingTakeover { return .stop(.normal) }
      // A new channel's record goes with it; a copy it was started from stays a copy (of
      // a home not known yet: the winner's record follows).
      if state.members.isEmpty {
        services.channels.unpublish(key)
      } else {
        var copy = state.record
        copy.home = ""
        services.channels.publish(key, copy)
      }
      return .stop(.normal)
    case .message(.takeOver):
      return takeOver(&state, ctx)
    case .timeout:
      // Started for a JOIN that never came (settingsLoaded): nobody is in it.
      if state.members.isEmpty && !state.settingsLoading && settle(&state, serverStopping: false, ctx) { return .stop(.normal) }
    case .message(.historyLoaded(let entries)):
      services.recent.preload(key, entries)
      state.historyLoaded = true
      for (client, before) in state.awaitingReplay where state.members[client.id] != nil {
        replay(to: client, state, skippingNewest: state.appended - before)
      }
      state.awaitingReplay = []
    default:
      break
    }
    return .noreply()
  }

  /// This node holds the room's name in the network now: the room monitors the members
  /// of the copy it started from (one that has gone answers at once), publishes the
  /// channel as its home — every other node with members gets the whole record (the copy
  /// counts as unknown to all: MirrorSync) — and answers what it held.
  private func takeOver(_ state: inout State, _ ctx: ServerContext<Self>) -> HandleResult<Self> {
    guard state.awaitingTakeover else { return .noreply() }
    state.awaitingTakeover = false
    for (id, var m) in state.members {
      m.monitor = ctx.monitor(m.client.pid)
      state.members[id] = m
    }
    publish(state)
    return answerHeld(&state, ctx)
  }

  /// Answers the requests held while the room could not (loading, taking over), in the
  /// order they came.
  func answerHeld(_ state: inout State, _ ctx: ServerContext<Self>) -> HandleResult<Self> {
    let held = state.held
    state.held = []
    for (request, from) in held {
      let (reply, stop) = respond(to: request, &state, ctx)
      from.reply(reply)
      // Requests still held are failed by the exit; their callers ask again.
      if stop { return .stop(.normal) }
    }
    return settle(&state, serverStopping: false, ctx) ? .stop(.normal) : .noreply()
  }

  func formatStatus(_ state: State) -> String {
    let c = state.channel
    if state.awaitingTakeover {
      return "\(c.name): started from a copy, waiting for its name in the network, \(state.held.count) requests held"
    }
    if state.settingsLoading { return "\(c.name): asking the store what it keeps of the channel, \(state.held.count) requests held" }
    return
      "\(c.name): \(state.members.count) members, modes \(c.modeString(showKey: false).joined(separator: " ")), topic \(c.topic.map { "\"\($0)\"" } ?? "none")"
  }

  // MARK: - Publishing (the channel table's only writer)

  /// Publishes the record; `joined`/`left` name a member that came or went.
  func publish(_ state: State, joined: UInt64? = nil, left: UInt64? = nil) {
    guard let network = services.network else {
      services.channels.publish(key, state.record, joined: joined, left: left)
      return
    }
    // In a network the other nodes with members keep a copy: they are told what changed.
    let old = services.channels.record(key)
    if old?.home != nil {
      // Taking over a copy: the table's index is rebuilt from the new record.
      services.channels.unpublish(key)
      services.channels.publish(key, state.record, joinedAll: Array(state.record.members.keys), leftAll: [])
    } else {
      services.channels.publish(key, state.record, joined: joined, left: left)
    }
    MirrorSync.changed(key, old: old, new: state.record, network)
  }

  // MARK: - Membership

  private func join(_ client: ClientHandle, key: String?, readMarker: String?, _ state: inout State, _ ctx: ServerContext<Self>) -> Reply {
    if state.members[client.id] != nil { return .done }
    let c = state.channel
    let folded = Names.fold(client.nick)
    let invited = c.invited.contains(folded)
    let mask = client.prefix
    if c.bans.contains(where: { Names.globMatch($0.mask, mask) }) && !c.exceptions.contains(where: { Names.globMatch($0.mask, mask) })
      && !invited
    {
      client.numeric(server, .errBannedFromChan, c.name)
      return .refused
    }
    if c.inviteOnly && !invited && !c.inviteExceptions.contains(where: { Names.globMatch($0.mask, mask) }) {
      client.numeric(server, .errInviteOnlyChan, c.name)
      return .refused
    }
    if let k = c.key, k != key, !invited {
      client.numeric(server, .errBadChannelKey, c.name)
      return .refused
    }
    if let limit = c.limit, state.members.count >= limit, !invited {
      client.numeric(server, .errChannelIsFull, c.name)
      return .refused
    }
    if c.registeredOnly && client.account == nil && !invited {
      client.numeric(
        server, .errNeedReggedNick, c.name,
        "Cannot join channel (+R): log in to an account first (SASL, or /msg NickServ IDENTIFY <password>)")
      return .refused
    }
    let status = statusOnJoin(of: client, &state)
    state.channel.invited.remove(folded)
    state.members[client.id] = ChannelMember(client: client, op: status.op, voice: status.voice, monitor: ctx.monitor(client.pid))
    publish(state, joined: client.id)
    // JOIN to everyone (extended-join adds account and real name).
    let info = client.settings
    let plain = TaggedLine(IRCMessage(source: mask, "JOIN", [c.name]), account: info.account)
    let extended = TaggedLine(IRCMessage(source: mask, "JOIN", [c.name, info.account ?? "*", info.realname]), account: info.account)
    let away = info.away.map { TaggedLine(IRCMessage(source: mask, "AWAY", [$0])) }
    var (toPlain, toExtended, toAway) = (Fanout(), Fanout(), Fanout())
    for m in state.members.values {
      if m.client.has(.extendedJoin) { toExtended.send(extended, to: m.client) } else { toPlain.send(plain, to: m.client) }
      if let away, m.client !== client, m.client.has(.awayNotify) { toAway.send(away, to: m.client) }
    }
    toPlain.flush(plain, services)
    toExtended.flush(extended, services)
    if let away { toAway.flush(away, services) }
    if let topic = c.topic {
      client.numeric(server, .rplTopic, c.name, topic)
      client.numeric(server, .rplTopicWhoTime, c.name, c.topicBy ?? server, String(c.topicTime))
    }
    announce(status, of: client, state)
    names(for: client, state, end: readMarker == nil)
    if let readMarker {
      client.send(IRCMessage(source: server, "MARKREAD", [c.name, readMarker]))
      client.numeric(server, .rplEndOfNames, c.name)
    }
    if state.historyLoaded { replay(to: client, state) } else { state.awaitingReplay.append((client, state.appended)) }
    return .done
  }

  /// Removes a member (PART, KICK): no more monitoring, and the record says so.
  private func remove(_ client: ClientHandle, _ state: inout State, _ ctx: ServerContext<Self>) {
    guard let m = state.members.removeValue(forKey: client.id) else { return }
    if m.op || m.voice { state.storeOutdated = true }
    if let ref = m.monitor { _ = ctx.demonitor(ref, flush: true) }
    publish(state, left: client.id)
  }

  /// A member's process ended: everyone who has not heard of it yet gets its QUIT.
  private func quit(_ client: ClientHandle, _ reason: ExitReason, _ state: inout State) {
    state.members.removeValue(forKey: client.id)
    // A member whose node went quits as in an IRC netsplit: "<this server> <its server>".
    let split = reason == .noconnection ? "\(services.serverName) \(services.serverName(of: client))" : nil
    let message = client.setting({ $0.quitMessage }) ?? split ?? Self.quitMessage(for: reason)
    let line = TaggedLine(IRCMessage(source: client.prefix, "QUIT", [message]))
    // Members of other nodes are told by their node's relay, which claims for them in
    // its own ledger (they may hear of it there first: a netsplit).
    var fan = Fanout()
    for m in state.members.values where m.client.remote != nil || services.departures.claim(quitter: client.id, recipient: m.client.id) {
      fan.send(line, to: m.client)
    }
    fan.flush(line, services, quitOf: client)
    publish(state, left: client.id)
  }

  /// What others see when a member's connection ended without a QUIT message of its own.
  static func quitMessage(for reason: ExitReason) -> String {
    switch reason {
    case .normal, .shutdown: return "Connection closed"
    case .killed: return "Killed"
    // Seen by a restarted room: the member ended while no room watched it.
    case .noproc: return "Connection lost"
    default: return "Connection lost (\(reason))"
    }
  }

  // MARK: - Messages

  private func message(
    _ client: ClientHandle, _ kind: MessageKind, _ text: String, _ tags: [ClientTag], _ state: inout State, _ ctx: ServerContext<Self>
  ) -> Reply {
    let c = state.channel
    let member = state.members[client.id]
    let silent = kind != .privmsg  // NOTICE never gets an error back; TAGMSG follows it
    if member == nil && c.noExternal {
      if !silent { client.numeric(server, .errCannotSendToChan, c.name, "Cannot send to channel (no external messages)") }
      return .refused
    }
    let privileged = member.map { $0.op || $0.voice } ?? false
    if c.moderated && !privileged {
      if !silent { client.numeric(server, .errCannotSendToChan, c.name, "Cannot send to channel (+m)") }
      return .refused
    }
    if c.registeredSpeech && !privileged && client.account == nil {
      if !silent {
        client.numeric(server, .errCannotSendToChan, c.name, "Cannot send to channel (+M): log in to an account to speak here")
      }
      return .refused
    }
    let source = client.prefix
    if !privileged {
      if c.bans.contains(where: { Names.globMatch($0.mask, source) }) && !c.exceptions.contains(where: { Names.globMatch($0.mask, source) })
      {
        if !silent { client.numeric(server, .errCannotSendToChan, c.name, "Cannot send to channel (+b)") }
        return .refused
      }
    }
    // One read of the sender's settings for both.
    let (bot, account) = client.setting { ($0.bot, $0.account) }
    post(kind, text, from: source, tags: tags, fromBot: bot, account: account, sender: client, &state, ctx)
    return .done
  }

  /// Sends a message to every member (to `sender` only if it asked for echo-message) and
  /// records it in the history.
  private func post(
    _ kind: MessageKind, _ text: String, from source: String, tags: [ClientTag], fromBot: Bool, account: String? = nil,
    sender: ClientHandle?, _ state: inout State, _ ctx: ServerContext<Self>
  ) {
    let c = state.channel
    let msgid = MessageID.next()
    let now = WallClock.millis()
    let params = kind == .tagmsg ? [c.name] : [c.name, text]
    let line = TaggedLine(
      IRCMessage(source: source, kind.rawValue, params), timeMillis: now, msgid: msgid,
      clientTags: tags.map { ($0.key, $0.value) }, fromBot: fromBot, account: account)
    let echo = sender?.has(.echoMessage) ?? false
    var copies = 0
    if services.network != nil {
      // Other nodes first: their relays write to their members while this node writes
      // to its own.
      if kind == .tagmsg {
        // Only members with message-tags get a TAGMSG: chosen one by one.
        var fan = Fanout()
        for m in state.members.values where m.isRemote && m.client.has(.messageTags) && (m.client !== sender || echo) {
          fan.send(line, to: m.client)
          copies += 1
        }
        fan.flush(line, services)
      } else {
        copies += state.remotePlan.send(line, members: state.members, except: echo ? nil : sender, services)
      }
    }
    copies += state.deliveryList.send(
      line, members: state.members, except: echo ? nil : sender?.id, onlyMessageTags: kind == .tagmsg, services)
    services.metrics.channelMessage(copies: copies)
    // Conversation is recorded; a CTCP request or reply is not (History/ReplayText.swift).
    if kind != .tagmsg && ReplayText.isReplayable(text) {
      let entry = HistoryEntry(time: now, msgid: msgid, source: source, command: kind.rawValue, channel: c.name, text: text)
      services.recent.append(key, entry)
      state.appended += 1
      if services.config.history, let store = historyStore(ctx) {
        store.cast(.append(key: key, entry))
      }
    }
  }

  /// A message posted from outside IRC (`chatd emit`, `ChatEmitter`): from `source`
  /// (`name!emit@server`), to every member, recorded like any other.
  private func emit(_ source: String, _ text: String, _ state: inout State, _ ctx: ServerContext<Self>) -> Reply {
    guard !text.isEmpty, !text.contains("\r"), !text.contains("\n") else { return .refused }
    post(.privmsg, text, from: source, tags: [], fromBot: true, sender: nil, &state, ctx)
    return .done
  }

  /// The channel's recent messages, to a client that just joined: with server-time tags
  /// if it has the capability, else with the time in the text (History/ReplayText.swift).
  /// `skippingNewest`: messages sent since the client joined, which it got live.
  private func replay(to client: ClientHandle, _ state: State, skippingNewest: Int = 0) {
    let limit = services.config.historyReplay
    // A draft/chathistory client asks for what it wants (CHATHISTORY), as the spec asks.
    guard limit > 0, !client.has(.chathistory) else { return }
    let entries = services.recent.latest(key, limit: limit, skippingNewest: skippingNewest)
    guard !entries.isEmpty else { return }
    let caps = client.capabilities
    let batch = caps.contains(.batch) ? "h" + MessageID.next() : nil
    if let batch { client.send(IRCMessage(source: server, "BATCH", ["+" + batch, "chathistory", state.channel.name])) }
    for e in entries where ReplayText.isReplayable(e.text) {
      let text = caps.contains(.serverTime) ? e.text : ReplayText.stamped(e.text, at: e.time)
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
        client.numeric(server, .errNotOnChannel, c.name)
        return .refused
      }
      if let t = c.topic {
        client.numeric(server, .rplTopic, c.name, t)
        client.numeric(server, .rplTopicWhoTime, c.name, c.topicBy ?? server, String(c.topicTime))
      } else {
        client.numeric(server, .rplNoTopic, c.name)
      }
      return .done
    }
    guard let member else {
      client.numeric(server, .errNotOnChannel, c.name)
      return .refused
    }
    if c.topicLock && !member.op {
      client.numeric(server, .errChanOpPrivsNeeded, c.name)
      return .refused
    }
    let text = String(decoding: Array(topic.utf8.prefix(services.config.topicLength)), as: UTF8.self)
    state.channel.topic = text.isEmpty ? nil : text
    state.channel.topicBy = client.prefix
    state.channel.topicTime = WallClock.seconds()
    publish(state)
    let line = TaggedLine(IRCMessage(source: client.prefix, "TOPIC", [c.name, text]))
    Fanout.broadcast(line, to: state.members.values.lazy.map(\.client), services)
    return .done
  }

  /// RPL_NAMREPLY lines (as many as fit 512 bytes) and RPL_ENDOFNAMES.
  func names(for client: ClientHandle, _ state: State, end: Bool = true) {
    let c = state.channel
    let isMember = state.members[client.id] != nil
    if c.secret && !isMember {
      if end { client.numeric(server, .rplEndOfNames, c.name) }
      return
    }
    let multi = client.has(.multiPrefix)
    let full = client.has(.userhostInNames)
    var entries: [String] = []
    for m in state.members.values {
      let info = m.client.settings
      if !isMember && info.invisible { continue }
      let nick = m.client.nick
      entries.append(m.prefix(multi: multi) + (full ? "\(nick)!\(info.user)@\(m.client.host)" : nick))
    }
    let nick = client.nick
    let symbol = c.secret ? "@" : "="
    let overhead = ":\(server) 353 \(nick) \(symbol) \(c.name) :\r\n".utf8.count
    var line = ""
    for e in entries {
      if !line.isEmpty && overhead + line.utf8.count + 1 + e.utf8.count > 512 {
        client.numeric(server, .rplNamReply, symbol, c.name, line)
        line = ""
      }
      line += line.isEmpty ? e : " " + e
    }
    if !line.isEmpty { client.numeric(server, .rplNamReply, symbol, c.name, line) }
    if end { client.numeric(server, .rplEndOfNames, c.name) }
  }

  // MARK: - Kick and invite

  private func kick(_ client: ClientHandle, _ target: String, _ reason: String?, _ state: inout State, _ ctx: ServerContext<Self>) -> Reply
  {
    let c = state.channel
    guard let member = state.members[client.id] else {
      client.numeric(server, .errNotOnChannel, c.name)
      return .refused
    }
    guard member.op else {
      client.numeric(server, .errChanOpPrivsNeeded, c.name)
      return .refused
    }
    guard let victim = state.members.values.first(where: { Names.fold($0.client.nick) == Names.fold(target) }) else {
      client.numeric(server, .errUserNotInChannel, target, c.name)
      return .refused
    }
    let why = String(decoding: Array((reason ?? client.nick).utf8.prefix(services.config.kickLength)), as: UTF8.self)
    let line = TaggedLine(IRCMessage(source: client.prefix, "KICK", [c.name, victim.client.nick, why]))
    Fanout.broadcast(line, to: state.members.values.lazy.map(\.client), services)
    remove(victim.client, &state, ctx)
    return .done
  }

  private func invite(_ client: ClientHandle, _ target: ClientHandle, _ state: inout State) -> Reply {
    let c = state.channel
    guard let member = state.members[client.id] else {
      client.numeric(server, .errNotOnChannel, c.name)
      return .refused
    }
    if c.inviteOnly && !member.op {
      client.numeric(server, .errChanOpPrivsNeeded, c.name)
      return .refused
    }
    if state.members[target.id] != nil {
      client.numeric(server, .errUserOnChannel, target.nick, c.name)
      return .refused
    }
    state.channel.invited.insert(Names.fold(target.nick))
    publish(state)
    client.numeric(server, .rplInviting, target.nick, c.name)
    TaggedLine(IRCMessage(source: client.prefix, "INVITE", [target.nick, c.name]), account: client.account).send(to: target)
    let notify = TaggedLine(IRCMessage(source: client.prefix, "INVITE", [target.nick, c.name]), account: client.account)
    Fanout.broadcast(
      notify, to: state.members.values.lazy.filter { $0.client !== client && $0.op && $0.client.has(.inviteNotify) }.map(\.client),
      services)
    return .done
  }
}

/// A client tag (`+key=value`) carried by a message.
struct ClientTag: Sendable, Equatable {
  var key: String
  var value: String?
}
