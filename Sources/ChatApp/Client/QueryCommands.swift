// Who is who: WHO (with WHOX), WHOIS, WHOWAS, ISON, USERHOST, MONITOR; and AWAY and
// SETNAME, which change what those show.
import Actors
import GenServer

extension Connection {
  // MARK: - WHO

  func who(_ p: [String], _ state: inout State, _ ctx: ServerContext<Self>) async throws {
    let client = state.client
    let mask = p.first ?? "*"
    // WHOX: `%fields[,token]`.
    var fields: String?
    var token: String?
    var opersOnly = false
    if p.count > 1 {
      let spec = p[1]
      if let pct = spec.firstIndex(of: "%") {
        let rest = spec[spec.index(after: pct)...]
        let parts = rest.split(separator: ",", maxSplits: 1, omittingEmptySubsequences: false)
        fields = String(parts[0])
        if parts.count > 1 { token = String(parts[1]) }
        opersOnly = spec[..<pct].contains("o")
      } else {
        opersOnly = spec.contains("o")
      }
    }
    var rows: [(ClientHandle, channel: String, prefix: String)] = []
    if Names.isChannel(mask) {
      // From the room's published record: WHO asks no room.
      if let record = services.channels.record(Names.fold(mask)) {
        let isMember = record.members[client.id] != nil
        if isMember || !record.settings.secret {
          let multi = client.has(.multiPrefix)
          for m in record.members.values {
            if !isMember && m.client.setting({ $0.invisible }) { continue }
            rows.append((m.client, record.settings.name, m.prefix(multi: multi)))
          }
        }
      }
    } else {
      let myChannels = Set(services.channels.channels(of: client.id))
      let everyone: [ClientHandle]
      if mask.contains("*") || mask.contains("?") {
        everyone = services.everyone
      } else if let one = services.findNick(mask) {
        everyone = [one]
      } else {
        everyone = []
      }
      for other in everyone {
        let info = other.settings
        let nick = other.nick
        let exact = Names.fold(nick) == Names.fold(mask)
        if info.invisible && other !== client && !exact
          && myChannels.isDisjoint(with: services.channels.channels(of: other.id))
        {
          continue
        }
        let matches =
          mask == "*" || mask == "0" || Names.globMatch(mask, nick) || Names.globMatch(mask, info.user)
          || Names.globMatch(mask, other.host) || Names.globMatch(mask, info.realname)
          || Names.globMatch(mask, services.serverName(of: other))
        if !matches { continue }
        rows.append((other, "*", ""))
      }
    }
    for (other, channel, prefix) in rows {
      let info = other.settings
      let nick = other.nick
      if opersOnly && !info.oper { continue }
      let flags = (info.away == nil ? "H" : "G") + (info.oper ? "*" : "") + prefix + (info.bot ? "B" : "")
      if let fields {
        client.numeric(server, .rplWhoSpcRpl, whox(fields, token: token, other, nick, info, channel: channel, flags: flags))
      } else {
        client.numeric(
          server, .rplWhoReply, channel, info.user, other.host, services.serverName(of: other), nick, flags, "0 \(info.realname)")
      }
    }
    client.numeric(server, .rplEndOfWho, mask)
  }

  /// The fields of a WHOX reply, in the protocol's fixed order (`tcuihsnfdlaor`).
  private func whox(
    _ fields: String, token: String?, _ other: ClientHandle, _ nick: String, _ info: ClientSettings, channel: String, flags: String
  ) -> [String] {
    var out: [String] = []
    for f in "tcuihsnfdlaor" where fields.contains(f) {
      switch f {
      case "t": out.append(token ?? "0")
      case "c": out.append(channel)
      case "u": out.append(info.user)
      case "i": out.append(other.host.contains(":") || other.host.contains(".") ? other.host : "255.255.255.255")
      case "h": out.append(other.host)
      case "s": out.append(services.serverName(of: other))
      case "n": out.append(nick)
      case "f": out.append(flags)
      case "d": out.append("0")
      case "l": out.append(String(max(0, WallClock.seconds() - info.lastActive)))
      case "a": out.append(info.account ?? "0")
      case "o": out.append("n/a")
      default: out.append(info.realname)
      }
    }
    return out
  }

  // MARK: - WHOIS, WHOWAS

  func whois(_ p: [String], _ state: inout State, _ ctx: ServerContext<Self>) async throws {
    let client = state.client
    guard let last = p.last, !last.isEmpty else {
      client.numeric(server, .errNoNicknameGiven)
      return
    }
    for nick in last.split(separator: ",").prefix(1).map(String.init) {
      guard let other = services.findNick(nick) else {
        client.numeric(server, .errNoSuchNick, nick)
        client.numeric(server, .rplEndOfWhois, nick)
        continue
      }
      let info = other.settings
      let theirNick = other.nick
      client.numeric(server, .rplWhoisUser, theirNick, info.user, other.host, "*", info.realname)
      let mine = Set(services.channels.channels(of: client.id))
      let multi = client.has(.multiPrefix)
      var channels: [String] = []
      for m in services.channels.memberships(of: other.id).sorted(by: { $0.key < $1.key }) {
        if m.settings.secret && !mine.contains(m.key) && other !== client { continue }
        channels.append(m.member.prefix(multi: multi) + m.settings.name)
      }
      if !channels.isEmpty { client.numeric(server, .rplWhoisChannels, theirNick, channels.joined(separator: " ")) }
      client.numeric(server, .rplWhoisServer, theirNick, services.serverName(of: other), config.networkName)
      if info.oper { client.numeric(server, .rplWhoisOperator, theirNick) }
      if let account = info.account { client.numeric(server, .rplWhoisAccount, theirNick, account) }
      if info.bot { client.numeric(server, .rplWhoisBot, theirNick) }
      if let tls = other.tls {
        client.numeric(server, .rplWhoisSecure, theirNick)
        // A certificate's fingerprint is the client's own business, and its opers'.
        if let fingerprint = tls.peerCertificateFingerprint, other === client || client.setting(\.oper) {
          client.numeric(server, .rplWhoisCertFP, theirNick, "has client certificate fingerprint \(fingerprint)")
        }
      }
      if let away = info.away { client.numeric(server, .rplAway, theirNick, away) }
      client.numeric(server, .rplWhoisIdle, theirNick, String(max(0, WallClock.seconds() - info.lastActive)), String(other.signon))
      client.numeric(server, .rplEndOfWhois, theirNick)
    }
  }

  /// chatd keeps no record of past nicks.
  func whowas(_ p: [String], _ state: inout State) {
    let client = state.client
    guard let nick = p.first, !nick.isEmpty else {
      client.numeric(server, .errNoNicknameGiven)
      return
    }
    let limit = p.count > 1 ? Int(p[1]) ?? 0 : 0
    let found = services.whowas.lookup(nick, limit: limit)
    if found.isEmpty { client.numeric(server, .errWasNoSuchNick, nick) }
    for e in found {
      client.numeric(server, .rplWhowasUser, e.nick, e.user, e.host, "*", e.realname)
      client.numeric(server, .rplWhoisServer, e.nick, server, WallClock.iso8601(millis: Int64(e.time) * 1000))
    }
    client.numeric(server, .rplEndOfWhowas, nick)
  }

  // MARK: - ISON, USERHOST

  func ison(_ p: [String], _ state: inout State, _ ctx: ServerContext<Self>) async throws {
    guard !p.isEmpty else {
      needMoreParams("ISON", state)
      return
    }
    var online: [String] = []
    for nick in p.flatMap({ $0.split(separator: " ").map(String.init) }) {
      if let c = services.findNick(nick) { online.append(c.nick) }
    }
    state.client.numeric(server, .rplIsOn, online.joined(separator: " "))
  }

  func userhost(_ p: [String], _ state: inout State, _ ctx: ServerContext<Self>) async throws {
    guard !p.isEmpty else {
      needMoreParams("USERHOST", state)
      return
    }
    var replies: [String] = []
    for nick in p.prefix(5) {
      guard let c = services.findNick(nick) else { continue }
      let info = c.settings
      replies.append("\(c.nick)\(info.oper ? "*" : "")=\(info.away == nil ? "+" : "-")\(info.user)@\(c.host)")
    }
    state.client.numeric(server, .rplUserhost, replies.joined(separator: " "))
  }

  // MARK: - MONITOR

  func monitor(_ p: [String], _ state: inout State, _ ctx: ServerContext<Self>) async throws {
    let client = state.client
    guard let sub = p.first else {
      needMoreParams("MONITOR", state)
      return
    }
    let targets = p.count > 1 ? Names.targets(p[1]) : []
    switch sub {
    case "+":
      guard !targets.isEmpty else { return needMoreParams("MONITOR", state) }
      let current = client.setting { $0.monitoring }
      var accepted: [String] = []
      var refused: [String] = []
      var count = current.count
      for t in targets where Names.isValidNick(t, maxLength: config.nickLength) {
        if current.contains(Names.fold(t)) {
          accepted.append(t)
          continue
        }
        if count >= config.monitorLimit {
          refused.append(t)
          continue
        }
        count += 1
        accepted.append(t)
      }
      if !refused.isEmpty { client.numeric(server, .errMonListFull, String(config.monitorLimit), refused.joined(separator: ",")) }
      // The client's own list first (presence rebuilds its index from it).
      state.update { for n in accepted { $0.monitoring.insert(Names.fold(n)) } }
      guard !accepted.isEmpty, case .online(let on, let off)? = try await callPresence(.monitor(client, accepted), ctx) else { return }
      if !on.isEmpty { client.numeric(server, .rplMonOnline, on.map(\.prefix).joined(separator: ",")) }
      if !off.isEmpty { client.numeric(server, .rplMonOffline, off.joined(separator: ",")) }
    case "-":
      guard !targets.isEmpty else { return needMoreParams("MONITOR", state) }
      state.update { for n in targets { $0.monitoring.remove(Names.fold(n)) } }
      _ = try await callPresence(.unmonitor(client, targets), ctx)
    case "C", "c":
      let all = state.update { settings -> [String] in
        defer { settings.monitoring = [] }
        return Array(settings.monitoring)
      }
      if !all.isEmpty { _ = try await callPresence(.unmonitor(client, all), ctx) }
    case "L", "l":
      let list = client.setting { $0.monitoring }.sorted()
      if !list.isEmpty { client.numeric(server, .rplMonList, list.joined(separator: ",")) }
      client.numeric(server, .rplEndOfMonList)
    case "S", "s":
      let list = Array(client.setting { $0.monitoring })
      guard !list.isEmpty, case .online(let on, let off)? = try await callPresence(.monitor(client, list), ctx) else { return }
      if !on.isEmpty { client.numeric(server, .rplMonOnline, on.map(\.prefix).joined(separator: ",")) }
      if !off.isEmpty { client.numeric(server, .rplMonOffline, off.joined(separator: ",")) }
    default:
      client.numeric(server, .errUnknownCommand, "MONITOR", "Unknown MONITOR subcommand")
    }
  }

  // MARK: - AWAY, SETNAME

  func away(_ p: [String], _ state: inout State, _ ctx: ServerContext<Self>) async throws {
    let client = state.client
    let message = p.first.flatMap { $0.isEmpty ? nil : String(decoding: Array($0.utf8.prefix(config.awayLength)), as: UTF8.self) }
    state.update { $0.away = message }
    if message == nil {
      client.numeric(server, .rplUnaway)
    } else {
      client.numeric(server, .rplNowAway)
    }
    let line = TaggedLine(IRCMessage(source: client.prefix, "AWAY", message.map { [$0] } ?? []))
    Fanout.broadcast(line, to: neighbours(state).lazy.filter { $0.has(.awayNotify) }, services)
  }

  func setname(_ p: [String], _ state: inout State, _ ctx: ServerContext<Self>) async throws {
    let client = state.client
    guard let name = p.first, !name.isEmpty else {
      client.send(IRCMessage(source: server, "FAIL", ["SETNAME", "INVALID_REALNAME", "Realname is not valid"]))
      return
    }
    guard name.utf8.count <= 390 else {
      client.send(IRCMessage(source: server, "FAIL", ["SETNAME", "INVALID_REALNAME", "Realname is too long"]))
      return
    }
    state.update { $0.realname = name }
    let line = TaggedLine(IRCMessage(source: client.prefix, "SETNAME", [name]))
    if client.has(.setname) { line.send(to: client) }
    Fanout.broadcast(line, to: neighbours(state).lazy.filter { $0.has(.setname) }, services)
  }
}
