// Channel modes (MODE #channel ...): queries, list modes (bans, exceptions, invite
// exceptions), flags, key, limit, and member status (+o/+v) — changed in the room's state
// only; the room publishes the result (Room.swift).
import Actors
import GenServer

extension Room {
  func mode(_ client: ClientHandle, _ params: [String], _ state: inout State) -> Reply {
    let c = state.channel
    let member = state.members[client.id]
    guard let modeString = params.first else {
      client.numeric(server, "324", [c.name] + c.modeString(showKey: member != nil))
      client.numeric(server, "329", c.name, String(c.created))
      return .done
    }
    var args = params.dropFirst().makeIterator()
    var adding = true
    var applied: [(sign: Bool, mode: Character, arg: String?)] = []
    var refusedForPrivileges = false
    func needOp() -> Bool {
      if member?.op == true { return true }
      if !refusedForPrivileges {
        refusedForPrivileges = true
        if member == nil {
          client.numeric(server, "442", c.name, "You're not on that channel")
        } else {
          client.numeric(server, "482", c.name, "You're not channel operator")
        }
      }
      return false
    }
    for ch in modeString {
      switch ch {
      case "+": adding = true
      case "-": adding = false
      case "b", "e", "I":
        guard let mask = args.next() else {
          listModeEntries(client, ch, state)
          continue
        }
        guard needOp() else { continue }
        let normal = Names.normalizeMask(mask)
        var list: [ListEntry]
        switch ch {
        case "b": list = state.channel.bans
        case "e": list = state.channel.exceptions
        default: list = state.channel.inviteExceptions
        }
        let exists = list.contains { Names.fold($0.mask) == Names.fold(normal) }
        if adding {
          if exists { continue }
          if list.count >= services.config.listModesLimit {
            client.numeric(server, "478", c.name, normal, "Channel list is full")
            continue
          }
          list.append(ListEntry(mask: normal, setBy: client.prefix, time: WallClock.seconds()))
        } else {
          if !exists { continue }
          list.removeAll { Names.fold($0.mask) == Names.fold(normal) }
        }
        switch ch {
        case "b": state.channel.bans = list
        case "e": state.channel.exceptions = list
        default: state.channel.inviteExceptions = list
        }
        applied.append((adding, ch, normal))
      case "k":
        let arg = adding ? args.next() : args.next()
        if adding && (arg == nil || arg!.isEmpty || arg!.contains(" ")) {
          client.numeric(server, "696", c.name, "k", "*", "Invalid key")
          continue
        }
        guard needOp() else { continue }
        if adding {
          state.channel.key = arg
          applied.append((true, "k", arg))
        } else if state.channel.key != nil {
          state.channel.key = nil
          applied.append((false, "k", "*"))
        }
      case "l":
        if adding {
          guard let arg = args.next() else {
            client.numeric(server, "696", c.name, "l", "*", "You must specify a parameter for the limit mode")
            continue
          }
          guard let n = Int(arg), n > 0 else {
            client.numeric(server, "696", c.name, "l", arg, "Invalid limit")
            continue
          }
          guard needOp() else { continue }
          if state.channel.limit == n { continue }
          state.channel.limit = n
          applied.append((true, "l", String(n)))
        } else {
          guard needOp() else { continue }
          if state.channel.limit == nil { continue }
          state.channel.limit = nil
          applied.append((false, "l", nil))
        }
      case "i", "m", "n", "s", "t":
        guard needOp() else { continue }
        let current: Bool
        switch ch {
        case "i": current = state.channel.inviteOnly
        case "m": current = state.channel.moderated
        case "n": current = state.channel.noExternal
        case "s": current = state.channel.secret
        default: current = state.channel.topicLock
        }
        if current == adding { continue }
        switch ch {
        case "i": state.channel.inviteOnly = adding
        case "m": state.channel.moderated = adding
        case "n": state.channel.noExternal = adding
        case "s": state.channel.secret = adding
        default: state.channel.topicLock = adding
        }
        applied.append((adding, ch, nil))
      case "o", "v":
        guard let nick = args.next() else {
          client.numeric(server, "696", c.name, String(ch), "*", "You must specify a nick")
          continue
        }
        guard needOp() else { continue }
        let folded = Names.fold(nick)
        guard let id = state.members.first(where: { Names.fold($0.value.client.nick) == folded })?.key else {
          let exists = services.clients.all.contains { $0.holdsNick && Names.fold($0.nick) == folded }
          if exists {
            client.numeric(server, "441", nick, c.name, "They aren't on that channel")
          } else {
            client.numeric(server, "401", nick, "No such nick/channel")
          }
          continue
        }
        var target = state.members[id]!
        if ch == "o" {
          if target.op == adding { continue }
          target.op = adding
        } else {
          if target.voice == adding { continue }
          target.voice = adding
        }
        state.members[id] = target
        applied.append((adding, ch, target.client.nick))
      default:
        client.numeric(server, "472", String(ch), "is an unknown mode char to me")
      }
    }
    guard !applied.isEmpty else { return refusedForPrivileges ? .refused : .done }
    // One MODE line with every change that took effect.
    var flags = ""
    var sign: Bool?
    var modeArgs: [String] = []
    for change in applied {
      if change.sign != sign {
        flags += change.sign ? "+" : "-"
        sign = change.sign
      }
      flags.append(change.mode)
      if let a = change.arg { modeArgs.append(a) }
    }
    let line = TaggedLine(IRCMessage(source: client.prefix, "MODE", [c.name, flags] + modeArgs))
    for m in state.members.values { line.send(to: m.client) }
    return .done
  }

  /// RPL_BANLIST / RPL_EXCEPTLIST / RPL_INVEXLIST and their ends.
  private func listModeEntries(_ client: ClientHandle, _ mode: Character, _ state: State) {
    let c = state.channel
    let (list, item, end, text): ([ListEntry], String, String, String)
    switch mode {
    case "b": (list, item, end, text) = (c.bans, "367", "368", "End of channel ban list")
    case "e": (list, item, end, text) = (c.exceptions, "348", "349", "End of channel exception list")
    default: (list, item, end, text) = (c.inviteExceptions, "346", "347", "End of channel invite list")
    }
    for e in list { client.numeric(server, item, c.name, e.mask, e.setBy, String(e.time)) }
    client.numeric(server, end, c.name, text)
  }
}
