// The presence server: who is online under which nick, and who watches whom (MONITOR).
// It is the one writer of nicks — the nick table (Presence/NickTable.swift, read by
// everyone without a call), each client's published nick (`AssignedNick`, whose setters
// are private to this file) and the WHOWAS log, written when a nick is given up. It monitors every client that holds a nick or watches one and
// frees the nick when the client's process ends; a connection's exit hook also tells it
// at once (ChatServices.clientLeft), so the nick is free before the DOWN arrives.
// Killed, it is restarted and rebuilds from what it published on the client handles and
// from each client's own MONITOR list: no client notices.
import Actors
import GenServer

/// A client's nick as presence assigned it, published on the client's handle so that it
/// outlives a presence restart. Only this file can make one that names a nick.
struct AssignedNick: Sendable {
  /// `*` until the first nick is given.
  fileprivate(set) var nick = "*"
  /// Presence holds `nick` for the client (a nick, once given, is held until the client
  /// goes).
  var held: Bool { nick != "*" }

  init() {}
  /// The nick of a user of another node, as its node's presence assigned it (replicas
  /// only: Cluster/RemoteUsers.swift). This node's presence never sees it.
  init(replicating nick: String) { self.nick = nick }
}

struct Presence: SyncGenServer {
  let services: ChatServices

  enum Request: Sendable {
    /// Takes `nick` for `client` (registration or a nick change), releasing its old one.
    case claim(String, ClientHandle)
    /// `client` now also watches these nicks (its connection has added them to its own
    /// list first); answers which of them are online.
    case monitor(ClientHandle, [String])
    /// `client` no longer watches these nicks (its connection has removed them).
    case unmonitor(ClientHandle, [String])
    /// The client is quitting: free its nick (and MONITOR entries) before its connection
    /// closes, so that the nick can be taken again at once.
    case release(ClientHandle)
    /// A session handed over by another node (HandOff/): `client` holds `nick` here now,
    /// taken silently — the network has held it all along — and watches its MONITOR list.
    case adopt(ClientHandle, nick: String)
  }

  enum Reply: Sendable {
    case claimed(old: String?)
    case inUse
    case online([ClientHandle], offline: [String])
    case done
  }

  enum Cast: Sendable {
    /// The client is leaving: free its nick now (the monitor would do it a moment later).
    case release(ClientHandle)
    /// A user of another node took a nick (`new`) or gave one up (`old`): MONITOR
    /// watchers hear of it (the nick itself is held in Redis and RemoteUsers).
    case remoteNick(old: String?, new: ClientHandle?)
    /// A user of another node has gone: its watchers and WHOWAS hear of it.
    case remoteGone(ClientHandle)
    /// This client's session moved to another node (HandOff/): its nick leaves this
    /// node's table silently — a replica holds it now — and its MONITOR entries go.
    case handedOff(ClientHandle)
  }

  struct State {
    /// Folded nick watched → watchers: the reverse of each client's own MONITOR list.
    var watchers: [String: [UInt64: ClientHandle]] = [:]
    /// Client's connection process → client, for each connection monitored. Keyed by
    /// pid, so a DOWN finds its client without a second table. The monitor's reference
    /// is not kept: a monitor ends only with its connection, and DOWN removes it from this
    /// process's monitor table by itself.
    var watched: [Pid: ClientHandle] = [:]
  }

  func initialize(_ ctx: ServerContext<Self>) throws -> InitResult<Self> {
    var state = State()
    // Rebuild from what was published: after a restart, every client keeps its nick (and
    // a client that has gone meanwhile is no longer in the directory).
    var nicks: [String: ClientHandle] = [:]
    for client in services.clients.all {
      let assigned = client.assigned
      let monitoring = client.setting { $0.monitoring }
      if assigned.held { nicks[Names.fold(assigned.nick)] = client }
      for target in monitoring { state.watchers[target, default: [:]][client.id] = client }
      if assigned.held || !monitoring.isEmpty { watch(client, &state, ctx) }
    }
    services.nicks.replaceAll(nicks)
    return .ok(state)
  }

  func handleCall(_ request: Request, from: From<Reply>, state: inout State, _ ctx: ServerContext<Self>) throws -> CallResult<Self> {
    switch request {
    case .claim(let nick, let client):
      let key = Names.fold(nick)
      if let holder = services.nicks.holder(key), holder !== client { return .reply(.inUse) }
      let before = client.assigned
      let oldKey = Names.fold(before.nick)
      if before.held && oldKey != key {
        if client.isRegistered { services.whowas.record(client.whowasEntry) }
        services.nicks.remove(oldKey)
        notifyOffline(before.nick, &state)
      }
      var after = before
      after.nick = nick
      client.assign(after)
      services.nicks.assign(key, to: client)
      watch(client, &state, ctx)
      if !before.held || oldKey != key { notifyOnline(client, key, &state) }
      return .reply(.claimed(old: before.held ? before.nick : nil))
    case .monitor(let client, let nicks):
      var online: [ClientHandle] = []
      var offline: [String] = []
      for nick in nicks {
        let key = Names.fold(nick)
        state.watchers[key, default: [:]][client.id] = client
        if let c = services.nicks.holder(key) ?? services.network?.users.find(nick: nick) { online.append(c) } else { offline.append(nick) }
      }
      watch(client, &state, ctx)
      return .reply(.online(online, offline: offline))
    case .unmonitor(let client, let nicks):
      unwatch(client, nicks, &state)
      return .reply(.done)
    case .release(let client):
      release(client, &state)
      return .reply(.done)
    case .adopt(let client, let nick):
      let key = Names.fold(nick)
      if let holder = services.nicks.holder(key), holder !== client { return .reply(.inUse) }
      var assigned = client.assigned
      assigned.nick = nick
      client.assign(assigned)
      services.nicks.assign(key, to: client)
      for target in client.setting({ $0.monitoring }) { state.watchers[target, default: [:]][client.id] = client }
      watch(client, &state, ctx)
      return .reply(.claimed(old: nil))
    }
  }

  func handleCast(_ message: Cast, state: inout State, _ ctx: ServerContext<Self>) throws -> HandleResult<Self> {
    switch message {
    case .release(let client):
      release(client, &state)
    case .remoteNick(let old, let new):
      if let old { notifyOffline(old, &state) }
      if let new { notifyOnline(new, Names.fold(new.nick), &state) }
    case .remoteGone(let client):
      services.whowas.record(client.whowasEntry)
      notifyOffline(client.nick, &state)
    case .handedOff(let client):
      let key = Names.fold(client.nick)
      if services.nicks.holder(key) === client { services.nicks.remove(key) }
      unwatch(client, Array(client.setting { $0.monitoring }), &state)
      state.watched.removeValue(forKey: client.pid)
    }
    return .noreply()
  }

  func handleInfo(_ message: Message<Never>, state: inout State, _ ctx: ServerContext<Self>) throws -> HandleResult<Self> {
    if case .down(_, let pid, _) = message, let client = state.watched.removeValue(forKey: pid) {
      release(client, &state)
    }
    return .noreply()
  }

  func formatStatus(_ state: State) -> String {
    "\(services.nicks.count) nicks, \(state.watchers.count) monitored nicks, \(state.watched.count) clients watched"
  }

  // MARK: -

  private func watch(_ client: ClientHandle, _ state: inout State, _ ctx: ServerContext<Self>) {
    if state.watched[client.pid] != nil { return }
    _ = ctx.monitor(client.pid)
    state.watched[client.pid] = client
  }

  /// Frees the nick and MONITOR entries of a client whose connection has ended (it may
  /// come twice: from the connection's exit hook, then from its DOWN). WHOWAS learns of
  /// a registered client's nick.
  private func release(_ client: ClientHandle, _ state: inout State) {
    let nick = client.nick
    let key = Names.fold(nick)
    if services.nicks.holder(key) === client {
      if client.isRegistered { services.whowas.record(client.whowasEntry) }
      services.nicks.remove(key)
      notifyOffline(nick, &state)
    }
    unwatch(client, Array(client.setting { $0.monitoring }), &state)
  }

  private func unwatch(_ client: ClientHandle, _ nicks: [String], _ state: inout State) {
    for nick in nicks {
      let key = Names.fold(nick)
      state.watchers[key]?.removeValue(forKey: client.id)
      if state.watchers[key]?.isEmpty == true { state.watchers.removeValue(forKey: key) }
    }
  }

  private func notifyOnline(_ client: ClientHandle, _ key: String, _ state: inout State) {
    guard let watchers = state.watchers[key] else { return }
    let mask = client.prefix
    for w in watchers.values where w !== client { w.numeric(services.serverName, .rplMonOnline, mask) }
  }

  private func notifyOffline(_ nick: String, _ state: inout State) {
    guard let watchers = state.watchers[Names.fold(nick)] else { return }
    for w in watchers.values { w.numeric(services.serverName, .rplMonOffline, nick) }
  }
}
