// Channel commands: JOIN, PART, TOPIC, NAMES, MODE, KICK, INVITE, LIST. The connection
// checks the syntax; the room checks the rules and answers the client itself.
import Actors
import GenServer

extension Connection {
  func join(_ p: [String], _ state: inout State, _ ctx: ServerContext<Self>) async throws {
    let client = state.client
    guard let first = p.first, !first.isEmpty else {
      needMoreParams("JOIN", state)
      return
    }
    if first == "0" {
      for m in services.channels.memberships(of: client.id) {
        _ = try await callRoom(m.settings.name, .part(client, reason: nil), ctx)
      }
      return
    }
    let names = first.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
    let keys = p.count > 1 ? p[1].split(separator: ",", omittingEmptySubsequences: false).map(String.init) : []
    for (i, name) in names.enumerated() {
      guard Names.isValidChannel(name, maxLength: config.channelLength) else {
        client.numeric(server, .errNoSuchChannel, name.isEmpty ? "*" : name)
        continue
      }
      let mine = services.channels.channels(of: client.id)
      let count = mine.count
      if mine.contains(Names.fold(name)) { continue }
      if count >= config.channelsPerClient {
        client.numeric(server, .errTooManyChannels, name)
        continue
      }
      let key = i < keys.count && !keys[i].isEmpty ? keys[i] : nil
      let marker = await readMarkerOnJoin(name, state, ctx)
      if try await callRoom(name, .join(client, key: key, readMarker: marker), create: true, ctx) == nil {
        client.numeric(server, .rplTryAgain, "JOIN")
      }
    }
  }

  func part(_ p: [String], _ state: inout State, _ ctx: ServerContext<Self>) async throws {
    let client = state.client
    guard let first = p.first, !first.isEmpty else {
      needMoreParams("PART", state)
      return
    }
    let reason = p.count > 1 ? p[1] : nil
    for name in Names.targets(first) {
      if try await callRoom(name, .part(client, reason: reason), ctx) == nil {
        client.numeric(server, .errNoSuchChannel, name)
      }
    }
  }

  func topic(_ p: [String], _ state: inout State, _ ctx: ServerContext<Self>) async throws {
    guard let name = p.first, !name.isEmpty else {
      needMoreParams("TOPIC", state)
      return
    }
    if try await callRoom(name, .topic(state.client, p.count > 1 ? p[1] : nil), ctx) == nil {
      state.client.numeric(server, .errNoSuchChannel, name)
    }
  }

  func names(_ p: [String], _ state: inout State, _ ctx: ServerContext<Self>) async throws {
    guard let first = p.first, !first.isEmpty else {
      state.client.numeric(server, .rplEndOfNames, "*")
      return
    }
    // Past TARGMAX, targets are dropped silently. Several channels end with one 366.
    let list = Array(Names.targets(first).prefix(config.targetsLimit))
    if list.count == 1 {
      if try await callRoom(list[0], .names(state.client, end: true), ctx) == nil {
        state.client.numeric(server, .rplEndOfNames, list[0])
      }
      return
    }
    for name in list { _ = try await callRoom(name, .names(state.client, end: false), ctx) }
    state.client.numeric(server, .rplEndOfNames, first)
  }

  func mode(_ p: [String], _ state: inout State, _ ctx: ServerContext<Self>) async throws {
    let client = state.client
    guard let target = p.first, !target.isEmpty else {
      needMoreParams("MODE", state)
      return
    }
    if Names.isChannel(target) {
      if try await callRoom(target, .mode(client, Array(p.dropFirst())), ctx) == nil {
        client.numeric(server, .errNoSuchChannel, target)
      }
      return
    }
    try await userMode(target, Array(p.dropFirst()), &state, ctx)
  }

  /// MODE <nick> [modes]: +i, +w, +B, and -o; only on oneself.
  func userMode(_ target: String, _ params: [String], _ state: inout State, _ ctx: ServerContext<Self>) async throws {
    let client = state.client
    guard Names.fold(target) == Names.fold(client.nick) else {
      if services.findNick(target) == nil {
        client.numeric(server, .errNoSuchNick, target)
      } else {
        client.numeric(server, .errUsersDontMatch)
      }
      return
    }
    guard let modes = params.first else {
      client.numeric(server, .rplUModeIs, userModeString(client))
      return
    }
    var adding = true
    var changed = ""
    var sign: Bool?
    var unknown = false
    for ch in modes {
      switch ch {
      case "+": adding = true
      case "-": adding = false
      case "i", "w", "B", "o":
        let did: Bool = state.update { info in
          switch ch {
          case "i":
            defer { info.invisible = adding }
            return info.invisible != adding
          case "w":
            defer { info.wallops = adding }
            return info.wallops != adding
          case "B":
            defer { info.bot = adding }
            return info.bot != adding
          default:
            // +o only through OPER.
            if adding || !info.oper { return false }
            info.oper = false
            return true
          }
        }
        if did {
          if sign != adding {
            changed += adding ? "+" : "-"
            sign = adding
          }
          changed.append(ch)
        }
      default:
        unknown = true
      }
    }
    if unknown { client.numeric(server, .errUModeUnknownFlag) }
    if !changed.isEmpty { client.send(IRCMessage(source: client.prefix, "MODE", [client.nick, changed])) }
  }

  func userModeString(_ client: ClientHandle) -> String {
    let i = client.settings
    return "+" + (i.invisible ? "i" : "") + (i.oper ? "o" : "") + (i.wallops ? "w" : "") + (i.bot ? "B" : "")
  }

  func kick(_ p: [String], _ state: inout State, _ ctx: ServerContext<Self>) async throws {
    guard p.count >= 2, !p[0].isEmpty, !p[1].isEmpty else {
      needMoreParams("KICK", state)
      return
    }
    let reason = p.count > 2 ? p[2] : nil
    // KICK #a nick1,nick2 kicks each from #a; KICK #a,#b nick1,nick2 pairs them up.
    let channels = p[0].split(separator: ",").map(String.init)
    let targets = Array(p[1].split(separator: ",").prefix(config.targetsLimit).map(String.init))
    let pairs: [(String, String)]
    if channels.count == 1 {
      pairs = targets.map { (channels[0], $0) }
    } else if channels.count == targets.count {
      pairs = Array(zip(channels, targets))
    } else {
      needMoreParams("KICK", state)
      return
    }
    for (channel, target) in pairs {
      if try await callRoom(channel, .kick(state.client, target: target, reason: reason), ctx) == nil {
        state.client.numeric(server, .errNoSuchChannel, channel)
      }
    }
  }

  func invite(_ p: [String], _ state: inout State, _ ctx: ServerContext<Self>) async throws {
    let client = state.client
    guard p.count >= 2 else {
      if p.isEmpty {
        client.numeric(server, .rplEndOfInviteList)
      } else {
        needMoreParams("INVITE", state)
      }
      return
    }
    guard let target = services.findNick(p[0]) else {
      client.numeric(server, .errNoSuchNick, p[0])
      return
    }
    if try await callRoom(p[1], .invite(client, target), ctx) == nil {
      client.numeric(server, .errNoSuchChannel, p[1])
      return
    }
    if let away = target.setting({ $0.away }) { client.numeric(server, .rplAway, target.nick, away) }
  }

  /// LIST [channels or masks] [ELIST conditions: >n <n for members].
  func list(_ p: [String], _ state: inout State, _ ctx: ServerContext<Self>) async throws {
    let client = state.client
    var masks: [String] = []
    var notMasks: [String] = []
    var minUsers = 0
    var maxUsers = Int.max
    // C</C> (created) and T</T> (topic set) less / more than n minutes ago.
    var createdBefore = Int.max
    var createdAfter = Int.min
    var topicBefore = Int.max
    var topicAfter = Int.min
    let now = WallClock.seconds()
    for item in (p.first ?? "").split(separator: ",").map(String.init) {
      let b = Array(item.utf8)
      if b.count > 2, b[0] == UInt8(ascii: "C") || b[0] == UInt8(ascii: "T"), b[1] == UInt8(ascii: "<") || b[1] == UInt8(ascii: ">"),
        let minutes = Int(item.dropFirst(2))
      {
        let edge = now - minutes * 60
        switch (b[0] == UInt8(ascii: "C"), b[1] == UInt8(ascii: "<")) {
        case (true, true): createdAfter = edge  // created less than n minutes ago
        case (true, false): createdBefore = edge  // more than n minutes ago
        case (false, true): topicAfter = edge
        case (false, false): topicBefore = edge
        }
        continue
      }
      if item.hasPrefix(">"), let n = Int(item.dropFirst()) {
        minUsers = n + 1
      } else if item.hasPrefix("<"), let n = Int(item.dropFirst()) {
        maxUsers = n - 1
      } else if item.hasPrefix("!") {
        notMasks.append(String(item.dropFirst()))
      } else if !item.isEmpty {
        masks.append(item)
      }
    }
    client.numeric(server, .rplListStart, "Channel")
    let myID = client.id
    // From the rooms' published records: LIST asks no room.
    for (_, record) in services.channels.all.sorted(by: { $0.key < $1.key }) {
      let channel = record.settings
      if !masks.isEmpty && !masks.contains(where: { Names.globMatch($0, channel.name) }) { continue }
      if notMasks.contains(where: { Names.globMatch($0, channel.name) }) { continue }
      if channel.secret && record.members[myID] == nil { continue }
      let members = record.members.count
      if members < minUsers || members > maxUsers { continue }
      if channel.created <= createdAfter || channel.created >= createdBefore { continue }
      if channel.topicTime <= topicAfter || channel.topicTime >= topicBefore { continue }
      client.numeric(server, .rplList, channel.name, String(members), channel.topic ?? "")
    }
    // In a network: the channels homed on other nodes that this node has no copy of.
    if let network = services.network {
      let known = Set(services.channels.all.keys)
      for row in await network.remoteChannels(ctx) where !known.contains(Names.fold(row.name)) {
        if !masks.isEmpty && !masks.contains(where: { Names.globMatch($0, row.name) }) { continue }
        if notMasks.contains(where: { Names.globMatch($0, row.name) }) { continue }
        if row.members < minUsers || row.members > maxUsers { continue }
        if row.created <= createdAfter || row.created >= createdBefore { continue }
        if row.topicTime <= topicAfter || row.topicTime >= topicBefore { continue }
        client.numeric(server, .rplList, row.name, String(row.members), row.topic)
      }
    }
    client.numeric(server, .rplListEnd)
  }
}
