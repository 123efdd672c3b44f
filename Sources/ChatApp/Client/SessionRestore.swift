// Bringing always-on sessions back after chatd restarts (a chatd alone): a one-shot
// child of chatd's root, started after the rooms, presence, the account store and the
// connections' supervisor and before the listeners, reads the sessions the account
// store keeps (Accounts/StoredSession.swift) and starts a connection for each, with no
// client behind it: a socket whose peer is already closed, which the connection never
// reads. The connection takes the session's nick, joins its channels (a restored channel
// gives back op and voice by mask, as for anyone returning within the restore window)
// and waits detached (Client/AlwaysOn.swift) for its account to connect.
//
// Writers: the restorer puts each session in `SessionRestorations` for the connection
// it starts, which takes it out in its `initialize`; nothing else touches the table.
import Actors
import GenServer
import Glibc
import Supervision

/// Sessions waiting for the connection started to restore them, by its socket.
final class SessionRestorations: Sendable {
  private let waiting = Locked<[ObjectIdentifier: StoredSession]>([:])

  func expect(_ session: StoredSession, on socket: Socket) { waiting.withLock { $0[ObjectIdentifier(socket)] = session } }

  /// The session a connection starting with `socket` restores, if it is one.
  func take(for socket: Socket) -> StoredSession? { waiting.withLock { $0.removeValue(forKey: ObjectIdentifier(socket)) } }
}

enum SessionRestore {
  /// The one-shot child: nothing to do without always-on sessions, or in a network.
  static func childSpec(_ services: ChatServices) -> ChildSpec {
    ChildSpec(id: "always-on-restore", restart: .temporary) { ctx in
      guard services.network == nil, services.config.alwaysOn != .off else { return nil }
      return ctx.spawnLink(Never.self, options: SpawnOptions(label: "always-on restore")) { ctx in
        await restore(services, ctx)
      }.pid
    }
  }

  private static func restore(_ services: ChatServices, _ ctx: Context<Never>) async {
    guard let store = ctx.node.whereis(ChatServices.accountsName, as: ServerMessage<AccountStore>.self),
      let reply = try? await ctx.call(GenServerRef(store), AccountStore.Request.alwaysOnSessions, timeout: .seconds(10)),
      case .alwaysOnSessions(let sessions) = reply
    else {
      services.logger.warning("always-on sessions: the account store did not list them; none restored")
      return
    }
    guard let sup = ctx.node.whereis(ChatServices.connectionsName, as: ServerMessage<DynamicSupervisor<Socket>>.self) else { return }
    var restored = 0
    for session in sessions {
      var pair: [Int32] = [-1, -1]
      guard socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0, &pair) == 0 else { continue }
      Glibc.close(pair[1])
      guard let socket = try? ctx.adoptSocket(pair[0]) else {
        Glibc.close(pair[0])
        continue
      }
      services.restorations.expect(session, on: socket)
      if (try? await ctx.startChild(GenServerRef(sup), socket, timeout: .seconds(10))) != nil {
        restored += 1
      } else {
        _ = services.restorations.take(for: socket)
      }
      // This process's end closes the sockets it adopted: the connections never read them.
    }
    if !sessions.isEmpty { services.logger.info("always-on sessions: \(restored) of \(sessions.count) restored") }
  }
}

extension Connection {
  /// A connection started by the restorer: a registered client with no socket, which
  /// takes its nick and channels back when its first message (`.restore`) comes.
  func initialize(restoring session: StoredSession, _ ctx: ServerContext<Self>) -> InitResult<Self> {
    let client = ClientHandle(pid: ctx.pid, host: session.host, services: services, endpoint: socket)
    services.clients.add(client)
    ctx.trapExit = true
    ctx.onExit { _ in client.services.clientLeft(client) }
    ctx.setLabel(from: client)
    var state = State(client: client, tokens: Double(config.floodBurst), refilledAt: MonotonicClock.nanoseconds())
    state.rareBox.alwaysOn = true
    state.rareBox.detached = true
    state.rareBox.restoring = session
    state.nickGiven = true
    state.userGiven = true
    ctx.address.send(.info(.restore))
    return .ok(state)
  }

  /// Takes the stored session's nick and channels back, detached.
  func restore(_ state: inout State, _ ctx: ServerContext<Self>) async -> HandleResult<Self> {
    guard let session = state.rare?.restoring else { return .noreply(.hibernate) }
    state.rareBox.restoring = nil
    let client = state.client
    client.idleDeadline.store(ClientHandle.deadlineClaimed, ordering: .relaxed)
    state.update {
      $0.user = session.user
      $0.realname = session.realname
      $0.account = session.account
      $0.away = session.away ?? Self.detachedAway
    }
    state.rareBox.autoAway = session.away == nil || session.away == Self.detachedAway
    guard case .claimed? = try? await callPresence(.claim(session.nick, client), ctx) else {
      services.logger.info("always-on session of \(session.account) not restored: its nick \(session.nick) is taken")
      return .stop(.normal)
    }
    state.update { $0.registered = true }
    for name in session.channels.prefix(config.channelsPerClient) {
      _ = try? await callRoom(name, .join(client, key: nil), create: true, ctx)
    }
    services.detached.add(client, account: session.account)
    return .noreply(.hibernate)
  }

  /// The session as it stands, for the account store to keep.
  func storedSession(_ state: State) -> StoredSession? {
    let client = state.client
    guard state.rare?.alwaysOn == true, client.isRegistered, let account = client.account else { return nil }
    let info = client.settings
    return StoredSession(
      account: account, nick: client.nick, user: info.user, realname: info.realname, host: client.host, away: info.away,
      channels: services.channels.memberships(of: client.id).map(\.settings.name))
  }
}
