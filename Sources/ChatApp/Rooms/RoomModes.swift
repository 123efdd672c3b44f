// Channel modes (MODE #channel ...): queries, list modes (bans, exceptions, invite
// exceptions), flags (imnst, and R: only accounts may join, M: only accounts may speak),
// key, limit, and member status (+o/+v) — changed in the room's state only; the room
// publishes the result (Room.swift).
import Actors
import GenServer

extension Room {
  func mode(_ client: ClientHandle, _ params: [String], _ state: inout State) -> Reply {
    let c = state.channel
    let member = state.members[client.id]
    guard let modeString = params.first else {
      client.numeric(server, .rplChannelModeIs, [c.name] + c.modeString(showKey: member != nil))
      client.numeric(server, .rplCreationTime, c.name, String(c.created))
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
          client.numeric(server, .errNotOnChannel, c.name)
        } else {
          client.numeric(server, .errChanOpPrivsNeeded, c.name)
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
            client.numeric(server, .errBanListFull, c.name, normal)
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
          client.numeric(server, .errInvalidModeParam, c.name, "k", "*", "Invalid key")
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
            client.numeric(server, .errInvalidModeParam, c.name, "l", "*", "You must specify a parameter for the limit mode")
            continue
          }
          guard let n = Int(arg), n > 0 else {
            client.numeric(server, .errInvalidModeParam, c.name, "l", arg, "Invalid limit")
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
      case "i", "m", "n", "s", "t", "R", "M":
        guard needOp() else { continue }
        let current: Bool
        switch ch {
        case "i": current = state.channel.inviteOnly
        case "m": current = state.channel.moderated
        case "n": current = state.channel.noExternal
        case "s": current = state.channel.secret
        case "R": current = state.channel.registeredOnly
        case "M": current = state.channel.registeredSpeech
        default: current = state.channel.topicLock
        }
        if current == adding { continue }
        switch ch {
        case "i": state.channel.inviteOnly = adding
        case "m": state.channel.moderated = adding
        case "n": state.channel.noExternal = adding
        case "s": state.channel.secret = adding
        case "R": state.channel.registeredOnly = adding
        case "M": state.channel.registeredSpeech = adding
        default: state.channel.topicLock = adding
        }
        applied.append((adding, ch, nil))
      case "o", "v":
        guard let nick = args.next() else {
          client.numeric(server, .errInvalidModeParam, c.name, String(ch), "*", "You must specify a nick")
          continue
        }
        guard needOp() else { continue }
        let folded = Names.fold(nick)
        guard let id = state.members.first(where: { Names.fold($0.value.client.nick) == folded })?.key else {
          let exists = services.clients.all.contains { $0.holdsNick && Names.fold($0.nick) == folded }
          if exists {
            client.numeric(server, .errUserNotInChannel, nick, c.name)
          } else {
            client.numeric(server, .errNoSuchNick, nick)
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
        client.numeric(server, .errUnknownMode, String(ch))
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
    Fanout.broadcast(line, to: state.members.values.lazy.map(\.client), services)
    return .done
  }

  /// RPL_BANLIST / RPL_EXCEPTLIST / RPL_INVEXLIST and their ends.
  private func listModeEntries(_ client: ClientHandle, _ mode: Character, _ state: State) {
    let c = state.channel
    let (list, item, end): ([ListEntry], Numeric, Numeric)
    switch mode {
    case "b": (list, item, end) = (c.bans, .rplBanList, .rplEndOfBanList)
    case "e": (list, item, end) = (c.exceptions, .rplExceptList, .rplEndOfExceptList)
    default: (list, item, end) = (c.inviteExceptions, .rplInviteList, .rplEndOfInviteExceptList)
    }
    for e in list { client.numeric(server, item, c.name, e.mask, e.setBy, String(e.time)) }
    client.numeric(server, end, c.name)
  }
}
