// Registration: CAP negotiation, PASS, NICK, USER, and the welcome burst (001–005,
// LUSERS, MOTD). NICK after registration is a nick change, told to everyone who shares
// a channel. A nick registered to an account someone else holds is reserved for it
// (Client/NickReservation.swift).
import Actors
import GenServer

extension Connection {
  // MARK: - CAP

  func cap(_ m: IRCMessage, _ state: inout State, _ ctx: ServerContext<Self>) async throws {
    let client = state.client
    let target = client.holdsNick ? client.nick : "*"
    guard let sub = m.params.first?.uppercased() else {
      needMoreParams("CAP", state)
      return
    }
    let registered = client.isRegistered
    switch sub {
    case "LS":
      if !registered { state.capNegotiating = true }
      if let v = m.params.dropFirst().first.flatMap({ Int($0) }), v >= 302 {
        state.capVersion = max(state.capVersion, Int16(clamping: v))
        state.setCapabilities(client.capabilities.union(.capNotify))
      }
      let names = offeredCapabilities(withValues: state.capVersion >= 302)
      client.send(IRCMessage(source: server, "CAP", [target, "LS", names]).serialized(forceTrailing: true))
    case "LIST":
      let on = Caps.all.filter { client.has($0.cap) }.map(\.name).joined(separator: " ")
      client.send(IRCMessage(source: server, "CAP", [target, "LIST", on]).serialized(forceTrailing: true))
    case "REQ":
      if !registered { state.capNegotiating = true }
      let wanted = (m.params.dropFirst().first ?? "").split(separator: " ").map(String.init)
      var add = Caps()
      var remove = Caps()
      var ok = !wanted.isEmpty
      for w in wanted {
        let removing = w.hasPrefix("-")
        guard let cap = Caps.named(removing ? String(w.dropFirst()) : w), cap != .accountRegistration || accountRegistrationCapValue != nil
        else {
          ok = false
          break
        }
        if removing { remove.insert(cap) } else { add.insert(cap) }
      }
      // cap-notify cannot be turned off by a 302 client.
      if state.capVersion >= 302 && remove.contains(.capNotify) { ok = false }
      let list = m.params.dropFirst().first ?? ""
      if ok {
        var caps = client.capabilities
        caps.formUnion(add)
        caps.subtract(remove)
        state.setCapabilities(caps)
        client.send(IRCMessage(source: server, "CAP", [target, "ACK", list]).serialized(forceTrailing: true))
      } else {
        client.send(IRCMessage(source: server, "CAP", [target, "NAK", list]).serialized(forceTrailing: true))
      }
    case "END":
      if !registered {
        state.capNegotiating = false
        try await completeRegistration(&state, ctx)
      }
    default:
      client.numeric(server, .errInvalidCapCmd, sub)
    }
  }

  /// CAP LS: every capability offered, with values (`sasl=PLAIN,...`) for 302 clients.
  func offeredCapabilities(withValues values: Bool) -> String {
    Caps.all.compactMap { entry -> String? in
      switch entry.cap {
      case .sasl:
        return values ? "\(entry.name)=\(SASLSession.mechanismList)" : entry.name
      case .accountRegistration:
        guard let value = accountRegistrationCapValue else { return nil }
        return values && !value.isEmpty ? "\(entry.name)=\(value)" : entry.name
      default:
        return entry.name
      }
    }.joined(separator: " ")
  }

  // MARK: - PASS, NICK, USER

  func pass(_ p: [String], _ state: inout State) {
    if state.client.isRegistered {
      state.client.numeric(server, .errAlreadyRegistered)
      return
    }
    guard let password = p.first else {
      needMoreParams("PASS", state)
      return
    }
    state.passGiven = password
  }

  func nick(_ p: [String], _ state: inout State, _ ctx: ServerContext<Self>) async throws {
    let client = state.client
    guard let nick = p.first, !nick.isEmpty else {
      client.numeric(server, .errNoNicknameGiven)
      return
    }
    guard Names.isValidNick(nick, maxLength: config.nickLength) else {
      client.numeric(server, .errErroneusNickname, nick)
      return
    }
    if ServiceBot.named(nick) != nil {
      client.numeric(server, .errServiceNickname, nick)
      return
    }
    let registered = client.isRegistered
    if nick == client.nick && client.holdsNick { return }
    let before = client.prefix
    // In a network the nick is first taken network-wide (Redis arbitrates), then here.
    var claimedInNetwork = false
    if let network = services.network, !client.holdsNick || Names.fold(nick) != Names.fold(client.nick) {
      do {
        guard try await network.claimNick(nick, for: client, ctx) else {
          if !registered && isOwnDetachedSession(nick, state) { return try await registerToAttach(&state, ctx) }
          if !registered { state.rareBox.refusedNick = nick }
          client.numeric(server, .errNicknameInUse, nick)
          return
        }
        claimedInNetwork = true
      } catch {
        client.send(
          IRCMessage(
            source: server, "FAIL",
            [
              "NICK", "TEMPORARILY_UNAVAILABLE", nick,
              "The network cannot take new nicks right now (its Redis is unreachable); try again shortly",
            ]))
        client.numeric(server, .rplTryAgain, "NICK")
        return
      }
    }
    guard let reply = try await callPresence(.claim(nick, client), ctx) else {
      if claimedInNetwork { await services.network?.releaseNick(nick, ctx) }
      client.numeric(server, .rplTryAgain, "NICK")
      return
    }
    switch reply {
    case .inUse:
      if claimedInNetwork { await services.network?.releaseNick(nick, ctx) }
      if !registered && isOwnDetachedSession(nick, state) { return try await registerToAttach(&state, ctx) }
      if !registered { state.rareBox.refusedNick = nick }
      client.numeric(server, .errNicknameInUse, nick)
    case .claimed(let old):
      if claimedInNetwork, let old, Names.fold(old) != Names.fold(nick) { await services.network?.releaseNick(old, ctx) }
      if registered {
        // Once to each client sharing a channel, and to the client itself.
        let line = TaggedLine(IRCMessage(source: before, "NICK", [nick]))
        // The other nodes learn the new nick before the line (a message to it at once
        // must find it there).
        services.network?.publish(client)
        line.send(to: client)
        Fanout.broadcast(line, to: neighbours(state), services)
        await checkReservation(of: nick, &state, ctx)
      } else {
        state.nickGiven = true
        try await completeRegistration(&state, ctx)
      }
    default:
      break
    }
  }

  func user(_ p: [String], _ state: inout State, _ ctx: ServerContext<Self>) async throws {
    let client = state.client
    if client.isRegistered || state.userGiven {
      client.numeric(server, .errAlreadyRegistered)
      return
    }
    guard p.count >= 4, !p[0].isEmpty, !p[3].isEmpty else {
      needMoreParams("USER", state)
      return
    }
    // Keep what is safe in `nick!user@host`.
    let cleaned = p[0].unicodeScalars.filter { $0.value > 0x20 && $0 != "@" && $0 != "!" && $0 != ":" }
    let user = String(String.UnicodeScalarView(cleaned.prefix(config.userLength)))
    state.update {
      $0.user = user.isEmpty ? "user" : user
      $0.realname = p[3]
    }
    state.userGiven = true
    try await completeRegistration(&state, ctx)
  }

  /// Ends registration once NICK and USER are in and CAP negotiation is over.
  func completeRegistration(_ state: inout State, _ ctx: ServerContext<Self>) async throws {
    guard state.nickGiven && state.userGiven && !state.capNegotiating else { return }
    let client = state.client
    // SASL 3.1: registering mid-exchange aborts it; the client registers unauthenticated.
    if state.sasl != nil {
      state.sasl = nil
      client.numeric(server, .errSaslAborted)
    }
    if let password = config.password, state.passGiven != password {
      client.numeric(server, .errPasswdMismatch)
      client.send(IRCMessage("ERROR", ["Closing Link: \(client.host) (Bad password)"]))
      state.update { $0.quitMessage = "Bad password" }
      socket.closeWhenDone()
      ctx.exit(ctx.pid, reason: .normal)
      return
    }
    // A web client's login session (its cookie) logs it in now, as SASL would have.
    if let account = upgrade?.account, client.account == nil { logIn(account, &state) }
    let attached = await attachToDetachedSession(&state, ctx)
    // A NICK of its own detached session's was taken as given: without the session
    // (it ended meanwhile) the client has no nick yet.
    if !client.holdsNick {
      state.nickGiven = false
      client.numeric(server, .errNicknameInUse, state.rare?.refusedNick ?? "*")
      return
    }
    state.update { $0.registered = true }
    welcome(&state)
    try await lusers(&state, ctx)
    motd(&state)
    await checkReservation(of: client.nick, &state, ctx)
    await showChannels(attached, &state, ctx)
  }

  func welcome(_ state: inout State) {
    let client = state.client
    let nick = client.nick
    client.numeric(server, .rplWelcome, "Welcome to the \(config.networkName) Internet Relay Chat Network \(client.prefix)")
    client.numeric(server, .rplYourHost, "Your host is \(server), running version \(ChatApp.version)")
    client.numeric(server, .rplCreated, "This server was created \(WallClock.iso8601(millis: Int64(services.startedAt) * 1000))")
    client.send(IRCMessage(source: server, Numeric.rplMyInfo.code, [nick, server, ChatApp.version, "iow", "MRbeIiklmnostv", "beIklov"]))
    let tokens = isupport()
    var i = 0
    while i < tokens.count {
      let chunk = Array(tokens[i..<min(i + 12, tokens.count)])
      client.numeric(server, .rplISupport, chunk + ["are supported by this server"])
      i += 12
    }
  }

  /// RPL_ISUPPORT tokens.
  func isupport() -> [String] {
    [
      "AWAYLEN=\(config.awayLength)", "BOT=B", "CASEMAPPING=ascii", "CHANLIMIT=#:\(config.channelsPerClient)",
      "CHANMODES=beI,k,l,MRimnst", "CHANNELLEN=\(config.channelLength)", "CHANTYPES=#", "CHATHISTORY=\(config.chathistoryLimit)",
      "ELIST=CMNTU", "EXCEPTS=e", "INVEX=I", "KICKLEN=\(config.kickLength)", "MAXLIST=beI:\(config.listModesLimit)",
      "MAXTARGETS=\(config.targetsLimit)", "MODES=4", "MONITOR=\(config.monitorLimit)", "MSGREFTYPES=msgid,timestamp",
      "NETWORK=\(config.networkName)",
      "NICKLEN=\(config.nickLength)", "PREFIX=(ov)@+",
      "TARGMAX=JOIN:,KICK:\(config.targetsLimit),LIST:1,MONITOR:,NAMES:\(config.targetsLimit),NOTICE:\(config.targetsLimit),PART:,PRIVMSG:\(config.targetsLimit),TAGMSG:\(config.targetsLimit),WHOIS:1",
      "TOPICLEN=\(config.topicLength)", "USERLEN=\(config.userLength)", "UTF8ONLY", "WHOX",
    ]
  }

  func motd(_ state: inout State) {
    let client = state.client
    if config.motd.isEmpty {
      client.numeric(server, .errNoMotd)
      return
    }
    client.numeric(server, .rplMotdStart, "- \(server) Message of the day - ")
    for line in config.motd { client.numeric(server, .rplMotd, "- " + line) }
    client.numeric(server, .rplEndOfMotd)
  }

  func lusers(_ state: inout State, _ ctx: ServerContext<Self>) async throws {
    let client = state.client
    let directory = services.clients
    let total = directory.registered.load(ordering: .relaxed)
    let invisible = directory.invisible.load(ordering: .relaxed)
    let opers = directory.opers.load(ordering: .relaxed)
    let unknown = max(0, directory.count - total)
    let channels = services.channels.count
    let peak = max(services.clients.peak.load(ordering: .relaxed), total)
    // In a network: everyone, on every node (each node knows every user).
    let network = services.network?.census
    let everyone = total + (network?.users ?? 0)
    let remoteInvisible = network?.invisible ?? 0
    let servers = 1 + (network?.peers ?? 0)
    client.numeric(
      server, .rplLUserClient,
      "There are \(everyone - invisible - remoteInvisible) users and \(invisible + remoteInvisible) invisible on \(servers) servers")
    client.numeric(server, .rplLUserOp, String(opers + (network?.opers ?? 0)))
    client.numeric(server, .rplLUserUnknown, String(unknown))
    client.numeric(server, .rplLUserChannels, String(channels + (network?.channelsElsewhere ?? 0)))
    client.numeric(server, .rplLUserMe, "I have \(total) clients and \(network?.linked ?? 0) servers")
    client.numeric(server, .rplLocalUsers, String(total), String(peak), "Current local users \(total), max \(peak)")
    let globalPeak = max(peak, everyone)
    client.numeric(server, .rplGlobalUsers, String(everyone), String(globalPeak), "Current global users \(everyone), max \(globalPeak)")
    if let since = network?.degradedSince {
      client.send(
        IRCMessage(
          source: server, "NOTICE",
          [
            client.nick,
            "*** This server is degraded: the network's Redis has been unreachable for \(since)s; chat works, new nicks and channels wait",
          ]))
    }
  }
}
