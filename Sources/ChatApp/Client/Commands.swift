// Which command runs what, and the calls to the presence server and the rooms (with
// retries: a server being restarted by its supervisor is waited for, not failed on).
import Actors
import GenServer
import Supervision

extension Connection {
  /// Commands allowed before registration completes.
  static let beforeRegistration: Set<String> = [
    "CAP", "NICK", "USER", "PASS", "PING", "PONG", "QUIT", "AUTHENTICATE", "REGISTER", "VERIFY",
  ]

  func dispatch(_ m: IRCMessage, _ state: inout State, _ ctx: ServerContext<Self>) async throws -> HandleResult<Self>? {
    let client = state.client
    if !client.isRegistered && !Self.beforeRegistration.contains(m.command) {
      if m.command.count == 3 && m.command.allSatisfy(\.isNumber) { return nil }
      client.numeric(server, .errNotRegistered)
      return nil
    }
    let p = m.params
    switch m.command {
    case "CAP": try await cap(m, &state, ctx)
    case "PASS": pass(p, &state)
    case "NICK": try await nick(p, &state, ctx)
    case "USER": try await user(p, &state, ctx)
    case "PING":
      guard let token = p.first else {
        client.numeric(server, .errNeedMoreParams, "PING")
        return nil
      }
      client.send(IRCMessage(source: server, "PONG", [server, token]))
    case "PONG":
      state.awaitingPong = false
    case "QUIT":
      return await quitOrDetach(p.first.map { "Quit: \($0)" } ?? "Client Quit", &state, ctx)
    case "JOIN": try await join(p, &state, ctx)
    case "PART": try await part(p, &state, ctx)
    case "PRIVMSG": try await message(.privmsg, m, &state, ctx)
    case "NOTICE": try await message(.notice, m, &state, ctx)
    case "TAGMSG": try await message(.tagmsg, m, &state, ctx)
    case "TOPIC": try await topic(p, &state, ctx)
    case "NAMES": try await names(p, &state, ctx)
    case "MODE": try await mode(p, &state, ctx)
    case "KICK": try await kick(p, &state, ctx)
    case "INVITE": try await invite(p, &state, ctx)
    case "LIST": try await list(p, &state, ctx)
    case "WHO": try await who(p, &state, ctx)
    case "WHOIS": try await whois(p, &state, ctx)
    case "WHOWAS": whowas(p, &state)
    case "AWAY": try await away(p, &state, ctx)
    case "ISON": try await ison(p, &state, ctx)
    case "USERHOST": try await userhost(p, &state, ctx)
    case "MONITOR": try await monitor(p, &state, ctx)
    case "SETNAME": try await setname(p, &state, ctx)
    case "LUSERS": try await lusers(&state, ctx)
    case "MOTD": motd(&state)
    case "VERSION": version(&state)
    case "TIME": client.numeric(server, .rplTime, server, WallClock.iso8601(millis: WallClock.millis()))
    case "INFO": info(&state)
    case "ADMIN": admin(&state)
    case "HELP", "HELPOP": help(p, &state)
    case "OPER": oper(p, &state)
    case "KILL": try await kill(p, &state, ctx)
    case "WALLOPS": try await wallops(p, &state, ctx)
    case "CHATHISTORY": try await chathistory(p, &state, ctx)
    case "MARKREAD": await markRead(p, &state, ctx)
    case "SEARCH": try await search(p, &state, ctx)
    case "AUTHENTICATE": try await authenticate(p, &state, ctx)
    case "REGISTER": try await register(p, &state, ctx)
    case "VERIFY": verify(p, &state)
    case "NS", "NICKSERV": try await nickServ(p.joined(separator: " "), &state, ctx)
    case "CS", "CHANSERV": try await chanServ(p.joined(separator: " "), &state, ctx)
    default:
      client.numeric(server, .errUnknownCommand, m.command, "Unknown command")
    }
    return nil
  }

  // MARK: - Reaching the singleton servers

  func presenceRef(_ ctx: ServerContext<Self>) -> GenServerRef<Presence>? {
    ctx.node.whereis(ChatServices.presenceName, as: ServerMessage<Presence>.self).map(GenServerRef.init)
  }

  /// Calls the presence server, waiting (up to ~5 s) for it if it is being restarted.
  func callPresence(_ request: Presence.Request, _ ctx: ServerContext<Self>) async throws -> Presence.Reply? {
    for _ in 0..<100 {
      if let presence = presenceRef(ctx) {
        do {
          return try await ctx.call(presence, request, timeout: .seconds(10))
        } catch let e as CallError where e == .timeout {
          return nil
        } catch is CallError {
          // noproc / exited: it is being restarted; try again.
        }
      }
      try await ctx.sleep(for: .milliseconds(50))
    }
    return nil
  }

  func roomRef(_ key: String, _ ctx: ServerContext<Self>) -> GenServerRef<Room>? {
    ctx.node.whereis(ChatServices.roomName(key), as: ServerMessage<Room>.self).map(GenServerRef.init)
  }

  /// Calls the room of channel `name`, starting it if `create` (JOIN) or if the channel
  /// has a record but no room (its room is being restarted, or was lost with the room
  /// supervisor). Nil when there is no such channel (and `create` is false) or it cannot
  /// be reached. Retries while a room is being restarted or has just stopped.
  func callRoom(_ name: String, _ request: Room.Request, create: Bool = false, _ ctx: ServerContext<Self>) async throws -> Room.Reply? {
    let key = Names.fold(name)
    if let network = services.network { return try await network.callRoom(name, request, create: create, services: services, ctx) }
    for _ in 0..<100 {
      var room = roomRef(key, ctx)
      if room == nil {
        if !create && !services.channels.exists(key) { return nil }
        await RoomSupervision.start(name, create: create, ctx)
        room = roomRef(key, ctx)
      }
      if let room {
        do {
          return try await ctx.call(room, request, timeout: .seconds(10))
        } catch let e as CallError where e == .timeout {
          return nil
        } catch is CallError {
          // Stopped or killed meanwhile: look again.
        }
      }
      try await ctx.sleep(for: .milliseconds(30))
    }
    return nil
  }

  /// Everyone who shares a channel with the client, each once (NICK, AWAY and SETNAME go
  /// once to each), from the rooms' published records.
  func neighbours(_ state: State) -> [ClientHandle] {
    services.channels.neighbours(of: state.client.id)
  }

  /// `461 <command> :Not enough parameters`.
  func needMoreParams(_ command: String, _ state: State) {
    state.client.numeric(server, .errNeedMoreParams, command)
  }
}
