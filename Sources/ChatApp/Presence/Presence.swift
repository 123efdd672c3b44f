// The presence server: who is online under which nick, and who watches whom (MONITOR).
// It is the one place that makes nicks unique. It monitors every client that holds a
// nick and frees the nick when the client's process ends; a connection's exit hook also
// tells it at once (ChatServices.clientLeft), so the nick is free before the DOWN
// arrives. Killed, it is restarted and rebuilds its index from the client directory,
// monitoring again: no client notices.
import Actors
import GenServer

struct Presence: SyncGenServer {
  let services: ChatServices

  enum Request: Sendable {
    /// Takes `nick` for `client` (registration or a nick change), releasing its old one.
    case claim(String, ClientHandle)
    /// The client with this nick.
    case find(String)
    /// Adds nicks to `client`'s MONITOR list; answers which of them are online.
    case monitor(ClientHandle, [String])
    case unmonitor(ClientHandle, [String])
    case clearMonitor(ClientHandle)
    /// Every client holding a nick.
    case everyone
  }

  enum Reply: Sendable {
    case claimed(old: String?)
    case inUse
    case client(ClientHandle?)
    case online([ClientHandle], offline: [String])
    case clients([ClientHandle])
    case done
  }

  enum Cast: Sendable {
    /// The client is leaving: free its nick now (the monitor would do it a moment later).
    case release(ClientHandle)
  }

  struct State {
    /// Folded nick → client.
    var nicks: [String: ClientHandle] = [:]
    /// Folded nick watched → watchers.
    var watchers: [String: [UInt64: ClientHandle]] = [:]
    /// Client's connection process → client, for each connection monitored. Keyed by
    /// pid, so a DOWN finds its client without a second table. The monitor's reference
    /// is not kept: a monitor ends only with its connection (`release` is told by a
    /// connection that is ending, and its DOWN follows), and DOWN removes it from this
    /// process's monitor table by itself — 8 bytes a client less here.
    var watched: [Pid: ClientHandle] = [:]
  }

  func initialize(_ ctx: ServerContext<Self>) throws -> InitResult<Self> {
    var state = State()
    // Rebuild from the directory: after a restart, every client keeps its nick.
    for client in services.clients.all {
      let info = client.snapshot
      if info.nick != "*" && info.registeredNick { state.nicks[Names.fold(info.nick)] = client }
      for target in info.monitoring { state.watchers[target, default: [:]][client.id] = client }
      if info.registeredNick || !info.monitoring.isEmpty { watch(client, &state, ctx) }
    }
    return .ok(state)
  }

  func handleCall(_ request: Request, from: From<Reply>, state: inout State, _ ctx: ServerContext<Self>) throws -> CallResult<Self> {
    switch request {
    case .claim(let nick, let client):
      let key = Names.fold(nick)
      if let holder = state.nicks[key], holder !== client { return .reply(.inUse) }
      let (old, had) = client.info.withLock { info -> (String, Bool) in
        let o = (info.nick, info.registeredNick)
        info.nick = nick
        info.registeredNick = true
        return o
      }
      let oldKey = Names.fold(old)
      if had && oldKey != key {
        state.nicks.removeValue(forKey: oldKey)
        notifyOffline(old, &state)
      }
      state.nicks[key] = client
      watch(client, &state, ctx)
      if !had || oldKey != key { notifyOnline(client, key, &state) }
      return .reply(.claimed(old: had ? old : nil))
    case .find(let nick):
      return .reply(.client(state.nicks[Names.fold(nick)]))
    case .monitor(let client, let nicks):
      var online: [ClientHandle] = []
      var offline: [String] = []
      for nick in nicks {
        let key = Names.fold(nick)
        state.watchers[key, default: [:]][client.id] = client
        if let c = state.nicks[key] { online.append(c) } else { offline.append(nick) }
      }
      client.info.withLock { info in for n in nicks { info.monitoring.insert(Names.fold(n)) } }
      watch(client, &state, ctx)
      return .reply(.online(online, offline: offline))
    case .unmonitor(let client, let nicks):
      for nick in nicks {
        let key = Names.fold(nick)
        state.watchers[key]?.removeValue(forKey: client.id)
        if state.watchers[key]?.isEmpty == true { state.watchers.removeValue(forKey: key) }
      }
      client.info.withLock { info in for n in nicks { info.monitoring.remove(Names.fold(n)) } }
      return .reply(.done)
    case .clearMonitor(let client):
      clearMonitors(client, &state)
      return .reply(.done)
    case .everyone:
      return .reply(.clients(Array(state.nicks.values)))
    }
  }

  func handleCast(_ message: Cast, state: inout State, _ ctx: ServerContext<Self>) throws -> HandleResult<Self> {
    switch message {
    case .release(let client):
      release(client, &state)
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
    "\(state.nicks.count) nicks, \(state.watchers.count) monitored nicks, \(state.watched.count) clients watched"
  }

  // MARK: -

  private func watch(_ client: ClientHandle, _ state: inout State, _ ctx: ServerContext<Self>) {
    if state.watched[client.pid] != nil { return }
    _ = ctx.monitor(client.pid)
    state.watched[client.pid] = client
  }

  /// Frees the nick and MONITOR list of a client whose connection has ended (it may
  /// come twice: from the connection's exit hook, then from its DOWN).
  private func release(_ client: ClientHandle, _ state: inout State) {
    let nick = client.nick
    let key = Names.fold(nick)
    if state.nicks[key] === client {
      state.nicks.removeValue(forKey: key)
      notifyOffline(nick, &state)
    }
    clearMonitors(client, &state)
  }

  private func clearMonitors(_ client: ClientHandle, _ state: inout State) {
    let targets = client.info.withLock { info -> Set<String> in
      let t = info.monitoring
      info.monitoring = []
      return t
    }
    for key in targets {
      state.watchers[key]?.removeValue(forKey: client.id)
      if state.watchers[key]?.isEmpty == true { state.watchers.removeValue(forKey: key) }
    }
  }

  private func notifyOnline(_ client: ClientHandle, _ key: String, _ state: inout State) {
    guard let watchers = state.watchers[key] else { return }
    let mask = client.prefix
    for w in watchers.values where w !== client { w.numeric(services.serverName, "730", mask) }
  }

  private func notifyOffline(_ nick: String, _ state: inout State) {
    guard let watchers = state.watchers[Names.fold(nick)] else { return }
    for w in watchers.values { w.numeric(services.serverName, "731", nick) }
  }
}
