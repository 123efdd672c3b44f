// A room's part in a session hand-off (docs/HANDOFF.md): the member's old connection is
// replaced by its new one — same status, nobody told —, then the room marks the end of
// what it sent the old one. The room orders all of its channel's traffic, so the switch
// is one point in that order: every line before it went to the old connection, every
// line after it goes to the new one; the mark travels the old connection's path after
// the lines before it (a direct message on the old connection's node, else through that
// node's relay and the worker that writes the member's lines).
//
// Owner: the room process (its members and record, as in Room.swift).
import Actors
import GenServer

extension Room {
  /// Replaces member `old` with `new`, keeping its status; `.refused` if `old` is no
  /// member (it left or was kicked meanwhile). Marks the end of `old`'s lines either way.
  func handOff(_ old: ClientHandle, to new: ClientHandle, _ state: inout State, _ ctx: ServerContext<Self>) -> Reply {
    defer { markEnd(of: old) }
    guard let member = state.members[old.id] else {
      // The nodes switched their copies of this channel to the new connection on their
      // own (Relay+HandOff.swift): they get the channel as it is.
      if let network = services.network {
        let nodes = [old, new].map { $0.remote?.node ?? network.nodeName }
        MirrorSync.resync(key, state.record, also: nodes, network)
      }
      return .refused
    }
    if let ref = member.monitor { _ = ctx.demonitor(ref, flush: true) }
    state.members.removeValue(forKey: old.id)
    state.members[new.id] = ChannelMember(client: new, op: member.op, voice: member.voice, monitor: ctx.monitor(new.pid))
    state.awaitingReplay.removeAll { $0.client === old }
    publish(state, joined: new.id, left: old.id)
    return .done
  }

  /// Tells `old`'s connection that this room has sent it all it will, on the path its
  /// lines took.
  private func markEnd(of old: ClientHandle) {
    guard let remote = old.remote else {
      old.pid.address(as: ServerMessage<Connection>.self)?.send(.info(.handOff(.mark(.room(key)))))
      return
    }
    let location = remote.location
    services.network?.send(.handOffMark(to: location.number, incarnation: location.incarnation, .room(key)), to: location.node)
  }
}
