// A room and the history store: the room, the one writer of its channel's settings, has
// the store keep them (History/StoredChannels.swift) so that a channel outlives a chatd
// restart as it outlives a room restart — topic (who, when), flags, key, limit, bans,
// exceptions, invite exceptions, and who held op or voice.
//
// The channel's lifetime is IRC's, and a restart does not shorten it: the store forgets
// a channel when its last member leaves (PART, KICK, QUIT, a dropped connection), as the
// channel would end without a restart. Members ended by chatd's own shutdown (exit
// reason shutdown: their supervisor stopped them) have not left, so the channel is kept
// as it stood; a crash keeps the last save. After the restart the channel waits for its
// members for a while (`channelRestoreWindow`, 10 minutes): a visitor who joins and
// leaves before they are back does not end it.
//
// Coming back: a JOIN that creates a room for a channel with no record makes the room
// ask the store (through a helper process: a sync server never waits, and no scheduler
// thread touches the disk). Until the answer, the room is unpublished and holds every
// request, in order; then it answers them as the channel it finds. Who is op after a
// restart: those who were, when they rejoin within the window as the same
// `nick!user@host` (op and voice are given back once, announced with a MODE from the
// server, as services do); being first into a restored channel gives nothing, so
// whoever reconnects first does not take the channel. A channel nobody held op in
// stays so, as it was before the restart, until it empties and starts afresh.
import Actors
import GenServer

extension Room {
  /// The history store, if it runs.
  func historyStore(_ ctx: ServerContext<Self>) -> GenServerRef<HistoryStore>? {
    ctx.node.whereis(ChatServices.historyName)?.address(as: ServerMessage<HistoryStore>.self).map { GenServerRef($0) }
  }

  // MARK: - Loading

  /// Asks the stores what they keep of the channel — the history store its state at the
  /// last stop, the account store its registration; false when there is neither to ask
  /// (the channel starts afresh).
  func loadSettings(_ ctx: ServerContext<Self>) -> Bool {
    let history = services.config.history ? historyStore(ctx) : nil
    let accounts = accountStore(ctx)
    guard history != nil || accounts != nil else { return false }
    let (room, key) = (ctx.address, key)
    ctx.node.spawn(Never.self, options: SpawnOptions(label: "channel load \(key)")) { ctx in
      var stored: StoredChannel?
      var registered: ChannelSettings?
      // Within the connection's own wait for its JOIN (10 s): past this the channel
      // starts afresh rather than the JOIN failing.
      if let history, case .channel(let c)? = try? await ctx.call(history, .channel(key: key), timeout: .seconds(4)) { stored = c }
      if let accounts, case .channel(let c)? = try? await ctx.call(accounts, .channel(key: key), timeout: .seconds(4)) {
        registered = c
      }
      room.send(.info(.settingsLoaded(stored, registered: registered)))
    }
    return true
  }

  /// The store answered: the channel is what it kept (or new), published, and the held
  /// requests are answered in the order they came.
  func settingsLoaded(_ stored: StoredChannel?, registered: ChannelSettings?, _ state: inout State, _ ctx: ServerContext<Self>)
    -> HandleResult<Self>
  {
    guard state.settingsLoading else { return .noreply() }
    state.settingsLoading = false
    if let registered {
      // A registered channel is what its registration keeps; who gets op is decided by
      // accounts alone, never by the masks the history kept.
      state.record.settings = registered
      state.record.restored = true
    } else if let stored {
      state.record.settings = stored.settings
      state.record.restored = true
      for status in stored.statuses { state.record.awaitedStatus[Names.fold(status.mask)] = status }
      state.saved = stored
    }
    publish(state)
    // The store answered before the JOIN that started this room arrived (it is on its
    // way): wait for it rather than end as an empty channel — bounded, in case its
    // sender is gone.
    if state.held.isEmpty && state.members.isEmpty { return .noreply(.timeout(.seconds(10))) }
    return answerHeld(&state, ctx)
  }

  // MARK: - Status on joining

  /// Op and voice for a member joining: op for the first into a new channel; in a
  /// restored one, what the joiner's mask held when chatd stopped; in a registered one,
  /// op for the founder's account and those on its access list, nothing for anyone else.
  func statusOnJoin(of client: ClientHandle, _ state: inout State) -> (op: Bool, voice: Bool) {
    if let registration = state.channel.registration {
      let op = registration.opsOnJoin(client.account)
      if op { state.storeOutdated = true }
      return (op, false)
    }
    var status = (op: state.members.isEmpty && !state.record.restored, voice: false)
    if !state.record.awaitedStatus.isEmpty, restoreWindowOpen,
      let kept = state.record.awaitedStatus.removeValue(forKey: Names.fold(client.prefix))
    {
      status = (status.op || kept.op, kept.voice)
    }
    if status.op || status.voice { state.storeOutdated = true }
    return status
  }

  /// Tells the members of a status given back on a JOIN (a creator's op needs no word:
  /// nobody else is there, and NAMES shows it).
  func announce(_ status: (op: Bool, voice: Bool), of client: ClientHandle, _ state: State) {
    guard state.record.restored || state.channel.registration != nil, status.op || status.voice else { return }
    let nick = client.nick
    let modes = (status.op ? "o" : "") + (status.voice ? "v" : "")
    // In a registered channel ChanServ gives op, as services do elsewhere.
    let source = state.channel.registration != nil ? ServiceBot.chanServ.source : server
    let line = TaggedLine(
      IRCMessage(source: source, "MODE", [state.channel.name, "+" + modes] + Array(repeating: nick, count: modes.count)))
    Fanout.broadcast(line, to: state.members.values.lazy.map(\.client), services)
  }

  /// A member with status ended by chatd's shutdown: it gets it back when it rejoins after
  /// the restart.
  func awaitReturn(of member: ChannelMember, _ state: inout State) {
    let mask = member.client.prefix
    state.leftAtShutdown[Names.fold(mask)] = StoredStatus(mask: mask, op: member.op, voice: member.voice)
  }

  /// Whether a restored channel still waits for the members it had before the restart.
  var restoreWindowOpen: Bool {
    WallClock.seconds() < services.startedAt + Int(services.config.channelRestoreWindow.components.seconds)
  }

  /// Whether a member's process was ended by chatd stopping (its supervisor's shutdown)
  /// rather than by the client leaving or failing.
  static func endedByServer(_ reason: ExitReason) -> Bool {
    switch reason {
    case .shutdown, .shutdownWith: return true
    default: return false
    }
  }

  // MARK: - Saving

  /// After members came or went: while any is in, the store keeps what changed; with
  /// none left the room stops — and unless chatd's shutdown ended them or a restored
  /// channel still waits for its members, the channel is over and the store forgets it.
  /// Returns whether the room stops.
  func settle(_ state: inout State, serverStopping: Bool, _ ctx: ServerContext<Self>) -> Bool {
    guard state.members.isEmpty else {
      save(&state, ctx)
      return false
    }
    services.channels.unpublish(key)
    if serverStopping || (state.record.restored && restoreWindowOpen) {
      save(&state, ctx)
    } else if services.config.history {
      historyStore(ctx)?.cast(.forgetChannel(key: key))
    }
    return true
  }

  /// Has the store keep the channel as it now stands, if that changed since the last
  /// save. The store writes on its own thread; a store that is down misses it (the next
  /// change saves again).
  func save(_ state: inout State, _ ctx: ServerContext<Self>) {
    guard state.storeOutdated else { return }
    state.storeOutdated = false
    let now = stored(state)
    guard now != state.saved else { return }
    state.saved = now
    // A registered channel is kept by the account store too (every node of a network
    // reads it there); a store that is down misses this save, the next change saves.
    if now.settings.registration != nil { accountStore(ctx)?.cast(.saveChannel(now.settings)) }
    guard services.config.history, let store = historyStore(ctx) else { return }
    store.cast(.saveChannel(key: key, now))
  }

  /// The channel as the store keeps it: settings without invitations, and the status of
  /// members now in, of those chatd's shutdown ended, and of those still awaited back.
  func stored(_ state: State) -> StoredChannel {
    var settings = state.channel
    settings.invited = []
    var statuses = restoreWindowOpen ? state.record.awaitedStatus : [:]
    statuses.merge(state.leftAtShutdown) { $1 }
    for m in state.members.values where m.op || m.voice {
      let mask = m.client.prefix
      statuses[Names.fold(mask)] = StoredStatus(mask: mask, op: m.op, voice: m.voice)
    }
    return StoredChannel(settings: settings, statuses: statuses.values.sorted { $0.mask < $1.mask })
  }
}
