// A room and its channel's registration (Rooms/ChannelRegistration.swift): the checks
// ChanServ's commands need, which only the room can make (is the client an op here, is
// it the founder), and the changes, which only the room makes — the registration is
// part of the settings it owns. After each change the room has the account store keep
// the channel (`save`, Rooms/RoomStorage.swift). What the client is told comes from
// ChanServ.
import Actors
import GenServer

extension Room {
  /// ChanServ REGISTER, first step: whether `client` may register the channel — it is
  /// an op here and logged in, and the channel is not registered yet.
  func mayRegister(_ client: ClientHandle, _ state: State) -> Reply {
    let c = state.channel
    func refuse(_ why: String) -> Reply {
      client.notice(from: .chanServ, why)
      return .refused
    }
    if c.registration != nil { return refuse("\(c.name) is already registered") }
    guard client.account != nil else { return refuse("Log in to an account first: a channel is registered to an account") }
    guard let member = state.members[client.id] else { return refuse("Join \(c.name) first") }
    guard member.op else { return refuse("You must be an operator of \(c.name) to register it") }
    return .done
  }

  /// ChanServ REGISTER, second step: the account store has the registration; the
  /// channel is registered from now on, and kept as it stands.
  func adopt(_ registration: ChannelRegistration, from client: ClientHandle, _ state: inout State, _ ctx: ServerContext<Self>) -> Reply {
    guard state.channel.registration == nil || state.channel.registration?.founder == registration.founder else { return .refused }
    state.channel.registration = registration
    publish(state)
    state.storeOutdated = true
    save(&state, ctx)
    client.notice(from: .chanServ, "\(state.channel.name) is registered to \(registration.founder)")
    return .done
  }

  /// ChanServ ACCESS ADD or DEL, by the founder: the access list (accounts that get op
  /// on joining). An account added that is here gets op now.
  func changeAccess(_ client: ClientHandle, add: Bool, account: String, _ state: inout State, _ ctx: ServerContext<Self>) -> Reply {
    let name = state.channel.name
    guard var registration = state.channel.registration else {
      client.notice(from: .chanServ, "\(name) is not registered")
      return .refused
    }
    guard registration.isFounder(client.account) else {
      client.notice(from: .chanServ, "Only the founder of \(name) (\(registration.founder)) may change its access list")
      return .refused
    }
    let folded = Names.fold(account)
    if add {
      if !registration.access.contains(where: { Names.fold($0) == folded }) { registration.access.append(account) }
    } else {
      guard registration.access.contains(where: { Names.fold($0) == folded }) else {
        client.notice(from: .chanServ, "\(account) is not on the access list of \(name)")
        return .refused
      }
      registration.access.removeAll { Names.fold($0) == folded }
    }
    state.channel.registration = registration
    if add {
      let joiners = state.members.filter { !$0.value.op && $0.value.client.account.map(Names.fold) == folded }
      for (id, var member) in joiners {
        member.op = true
        state.members[id] = member
        let line = TaggedLine(IRCMessage(source: ServiceBot.chanServ.source, "MODE", [name, "+o", member.client.nick]))
        Fanout.broadcast(line, to: state.members.values.lazy.map(\.client), services)
      }
    }
    publish(state)
    state.storeOutdated = true
    save(&state, ctx)
    client.notice(
      from: .chanServ, add ? "\(account) added to the access list of \(name)" : "\(account) removed from the access list of \(name)")
    return .done
  }

  /// ChanServ DROP, by the founder: the channel is an ordinary one again.
  func unregister(_ client: ClientHandle, _ state: inout State, _ ctx: ServerContext<Self>) -> Reply {
    let name = state.channel.name
    guard let registration = state.channel.registration else {
      client.notice(from: .chanServ, "\(name) is not registered")
      return .refused
    }
    guard registration.isFounder(client.account) else {
      client.notice(from: .chanServ, "Only the founder of \(name) (\(registration.founder)) may drop it")
      return .refused
    }
    state.channel.registration = nil
    publish(state)
    accountStore(ctx)?.cast(.dropChannel(key: key, founder: registration.founder))
    client.notice(from: .chanServ, "\(name) is no longer registered")
    return .done
  }

  /// The account store, if it runs.
  func accountStore(_ ctx: ServerContext<Self>) -> GenServerRef<AccountStore>? {
    ctx.node.whereis(ChatServices.accountsName, as: ServerMessage<AccountStore>.self).map(GenServerRef.init)
  }
}
