// Always-on sessions (as ergo's `always-on`): when the last connection of an always-on
// account closes — the peer closed, a reset, a ping timeout, or QUIT — the session does
// not end: its connection process stays without a socket ("detached"), so its nick
// stays held and it stays a member of its channels (the rooms monitor a process, and
// the process lives). It marks itself away ("Detached: always-on session") if it was
// not, which away-notify clients see. Anything sent to it meanwhile is dropped (its
// socket is closed); the channels' messages are in the history, for CHATHISTORY AFTER.
//
// A new connection that logs in to the account before its registration completes
// (SASL, or the web's session cookie, which logs in as SASL does) attaches to the
// session: it takes the session's nick (presence: `handedOff` then `adopt`, silently;
// logged in before its NICK, it may ask for that nick and is not refused) and its place
// in each channel (each room's `handOff`: same status, nobody told), the detached
// process ends without a QUIT, and the client is shown its channels as after a JOIN —
// its own JOIN, the topic, NAMES (and MARKREAD before the 366 with draft/read-marker) —
// so it needs nothing special. Its 001 names the session's nick. A chatd alone keeps
// each session (Accounts/StoredSession.swift) and brings it back detached after a
// restart (Client/SessionRestore.swift).
//
// In a network the swap is not silent: the session (detached on any node) is ended
// where it is — its QUIT is seen — and the new connection joins its channels, kept with
// the session in Redis. A node killed with SIGKILL takes its sessions with it like any
// of its users (a netsplit QUIT): nothing is left behind, and the account's next login
// joins its channels again.
//
// A client that logs in later with NickServ IDENTIFY attaches the same way if it is in
// no channel yet (a NICK line tells it its nick). Not done: several connections sharing
// one nick at once (a second connection while one is attached gets a nick of its own,
// as before).
//
// Writers: the session's connection writes its own settings (away) and the detached
// table entry for itself; the attaching connection removes the entry it takes.
import Actors
import GenServer

extension Connection {
  /// The account logged in to is (or is no longer) always-on.
  func setAlwaysOn(_ on: Bool, _ state: inout State) {
    let was = state.rare?.alwaysOn == true
    if on || was { state.rareBox.alwaysOn = on }
    // No longer always-on: nothing to bring back at the next start.
    if was && !on, let account = state.client.account { tellAccounts(.dropAlwaysOnSession(account: account)) }
  }

  /// A session that arrived from another node (HandOff/) carries its account, not
  /// whether the account is always-on: the account store says.
  func learnAlwaysOn(_ state: inout State, _ ctx: ServerContext<Self>) async {
    guard config.alwaysOn != .off, let account = state.client.account else { return }
    if case .account(let info) = await callAccounts(.info(name: account), ctx, timeout: .seconds(3)) {
      setAlwaysOn(config.alwaysOn.applies(to: info.alwaysOn), &state)
    }
  }

  /// A cast to the account store, if it runs.
  func tellAccounts(_ message: AccountStore.Cast) {
    services.node.whereis(ChatServices.accountsName, as: ServerMessage<AccountStore>.self)?.send(.cast(message))
  }

  /// Ends the connection — or, for a registered always-on session, detaches it.
  func quitOrDetach(_ reason: String, _ state: inout State, _ ctx: ServerContext<Self>, tellClient: Bool = true) async
    -> HandleResult<Self>
  {
    let client = state.client
    guard state.rare?.alwaysOn == true, client.isRegistered, let account = client.account else {
      return await quit(reason, &state, ctx, tellClient: tellClient)
    }
    services.logger.debug("client \(client.id) detached: \(reason)", metadata: ["client": .stringConvertible(client.id)])
    if tellClient {
      client.send(IRCMessage("ERROR", ["Closing Link: \(client.host) (\(reason); your always-on session stays)"]))
    }
    closeSocket(state, ctx)
    state.rareBox.detached = true
    if client.setting({ $0.away }) == nil {
      state.rareBox.autoAway = true
      setAway(Self.detachedAway, &state)
    }
    services.detached.add(client, account: account)
    services.network?.publish(client)
    if let session = storedSession(state) { tellAccounts(.saveAlwaysOnSession(session)) }
    // Never swept: there is nobody to ping.
    client.idleDeadline.store(ClientHandle.deadlineClaimed, ordering: .relaxed)
    return .noreply(.hibernate)
  }

  static let detachedAway = "Detached: always-on session"

  /// A detached session's messages: taken over (ends silently), disconnected by the
  /// server (KILL: a QUIT as for anyone); everything else has nobody to reach.
  func whileDetached(_ message: Message<Info>, _ state: inout State, _ ctx: ServerContext<Self>) async -> HandleResult<Self> {
    switch message {
    case .message(.attached): return .stop(.normal)
    // Its node is drained (`chatd handoff`): with no socket there is nothing to move, so
    // the session ends here (its QUIT is seen; the drain counts it as left) and the
    // account's next login, on any node, joins its channels again.
    case .message(.handOff(.leave)):
      return await quit("Its node is handing its sessions over", &state, ctx, tellClient: false)
    case .message(.restore): return await restore(&state, ctx)
    case .message(.disconnect(let reason)): return await quit(reason, &state, ctx, tellClient: false)
    case .message(.accountDropped(let account)) where state.client.account.map(Names.fold) == account:
      return await quit("Account dropped", &state, ctx, tellClient: false)
    default: return .noreply(.hibernate)
    }
  }

  /// Sets (or clears) the away message and tells the neighbours with away-notify.
  private func setAway(_ message: String?, _ state: inout State) {
    let client = state.client
    state.update { $0.away = message }
    let line = TaggedLine(IRCMessage(source: client.prefix, "AWAY", message.map { [$0] } ?? []))
    Fanout.broadcast(line, to: neighbours(state).lazy.filter { $0.has(.awayNotify) }, services)
  }

  /// What a client is shown of its session once welcomed: channels it now holds the
  /// session's place in, and channels to join (the session was on another node).
  struct Reattached: Sendable {
    var attached: [String] = []
    var toJoin: [String] = []
  }

  /// At registration: the client's account is always-on and has a detached session on
  /// this node: take it over (nick and channels). Returns what to show the client once
  /// it is welcomed; nothing if there was nothing to attach to.
  func attachToDetachedSession(_ state: inout State, _ ctx: ServerContext<Self>) async -> Reattached {
    let client = state.client
    guard state.rare?.alwaysOn == true, let account = client.account else { return Reattached() }
    // In a network the nick is Redis's and every node holds a replica of the session:
    // a silent swap would need the hand-off's whole protocol, so the session is ended
    // and its channels joined again, wherever it was.
    if services.network != nil { return await takeOverFromAnotherNode(account, ctx) }
    guard let old = services.detached.take(account) else { return Reattached() }
    let nick = old.nick
    // The nick: the new connection's own goes back, the session's comes over silently.
    if client.holdsNick, let presence = presenceRef(ctx) { _ = try? await ctx.call(presence, .release(client), timeout: .seconds(2)) }
    services.tellPresence(.handedOff(old))
    guard case .claimed? = try? await callPresence(.adopt(client, nick: nick), ctx) else {
      // Taken meanwhile (cannot happen while the session lives): leave it detached.
      services.detached.add(old, account: account)
      return Reattached()
    }
    let wasAutoAway = old.setting { $0.away } == Self.detachedAway
    var channels: [String] = []
    for m in services.channels.memberships(of: old.id) {
      if case .done? = try? await callRoom(m.settings.name, .handOff(old, to: client), ctx) { channels.append(m.settings.name) }
    }
    old.pid.address(as: ServerMessage<Connection>.self)?.send(.info(.attached))
    if !wasAutoAway, let away = old.setting({ $0.away }) { state.update { $0.away = away } }
    if wasAutoAway && !channels.isEmpty {
      // Back: the neighbours with away-notify hear it.
      let line = TaggedLine(IRCMessage(source: client.prefix, "AWAY", []))
      Fanout.broadcast(line, to: neighbours(state).lazy.filter { $0.has(.awayNotify) }, services)
    }
    services.logger.debug("client \(client.id) attached to the always-on session of \(account) (\(channels.count) channels)")
    return Reattached(attached: channels)
  }

  /// Whether `nick` is held by this client's account's detached session on this node: a
  /// client logged in before its NICK (the web's session cookie, or SASL first) may ask
  /// for it, and gets it by attaching.
  func isOwnDetachedSession(_ nick: String, _ state: State) -> Bool {
    guard services.network == nil, let holder = services.nicks.holder(Names.fold(nick)) else { return false }
    if state.rare?.alwaysOn == true, let account = state.client.account { return services.detached.holds(holder, account: account) }
    // A web client's session cookie logs it in when its registration completes.
    if state.client.account == nil, let web = upgrade?.account, config.alwaysOn.applies(to: web.alwaysOn) {
      return services.detached.holds(holder, account: web.name)
    }
    return false
  }

  /// NICK of the client's own detached session, while registering: given, and taken
  /// when the registration completes (by attaching).
  func registerToAttach(_ state: inout State, _ ctx: ServerContext<Self>) async throws {
    state.nickGiven = true
    try await completeRegistration(&state, ctx)
  }

  /// In a network: the account's detached session, on this node or another, is ended
  /// where it is (its QUIT is seen) and its channels, from the session the account
  /// store keeps, are joined here once the client is welcomed — not silent, but no
  /// session is left behind on a node the account no longer uses. Returns the channels
  /// to join.
  private func takeOverFromAnotherNode(_ account: String, _ ctx: ServerContext<Self>) async -> Reattached {
    guard let network = services.network else { return Reattached() }
    let folded = Names.fold(account)
    if let here = services.detached.take(account) {
      here.pid.address(as: ServerMessage<Connection>.self)?.send(.info(.disconnect("Attached again")))
    }
    let detached = network.users.all.filter { $0.account.map(Names.fold) == folded && $0.setting({ $0.away }) == Self.detachedAway }
    for old in detached {
      guard let remote = old.remote else { continue }
      network.send(.kill(remote.location.number, reason: "Attached again on \(network.nodeName)"), to: remote.node)
    }
    guard case .alwaysOnSessions(let kept) = await callAccounts(.alwaysOnSession(account: account), ctx, timeout: .seconds(3)),
      let session = kept.first
    else { return Reattached() }
    return Reattached(toJoin: session.channels)
  }

  /// A registered client in no channel logged in (NickServ IDENTIFY) to an always-on
  /// account whose session is detached on this node: it attaches as at registration,
  /// told its new nick by a NICK line (nobody else shares a channel with it to hear it).
  func attachAfterLogin(_ state: inout State, _ ctx: ServerContext<Self>) async {
    let client = state.client
    guard services.network == nil, client.isRegistered, services.channels.channels(of: client.id).isEmpty,
      let account = client.account, services.detached.holds(account: account)
    else { return }
    let before = client.prefix
    let nick = client.nick
    let session = await attachToDetachedSession(&state, ctx)
    if client.nick != nick {
      TaggedLine(IRCMessage(source: before, "NICK", [client.nick])).send(to: client)
    }
    await showChannels(session, &state, ctx)
  }

  /// Shows a client that attached to a session its channels, as after a JOIN.
  func showChannels(_ session: Reattached, _ state: inout State, _ ctx: ServerContext<Self>) async {
    let client = state.client
    let info = client.settings
    if !session.toJoin.isEmpty { _ = try? await join([session.toJoin.joined(separator: ",")], &state, ctx) }
    for name in session.attached {
      guard let record = services.channels.record(Names.fold(name)), record.members[client.id] != nil else { continue }
      let c = record.settings
      let params = client.has(.extendedJoin) ? [c.name, info.account ?? "*", info.realname] : [c.name]
      TaggedLine(IRCMessage(source: client.prefix, "JOIN", params), account: info.account).send(to: client)
      if let topic = c.topic {
        client.numeric(server, .rplTopic, c.name, topic)
        client.numeric(server, .rplTopicWhoTime, c.name, c.topicBy ?? server, String(c.topicTime))
      }
      let marker = await readMarkerOnJoin(c.name, state, ctx)
      _ = try? await callRoom(c.name, .names(client, end: marker == nil), ctx)
      if let marker {
        client.send(IRCMessage(source: server, "MARKREAD", [c.name, marker]))
        client.numeric(server, .rplEndOfNames, c.name)
      }
    }
  }
}
