// A relay's part in a session hand-off (docs/HANDOFF.md): the network learns that a
// user's connection moved from node A to node B, and each node switches its own view
// of the user in one step of its relay — nobody is told anything, since nothing changed
// for them: the nick stays held, the channels keep their member.
//
// - On B, the new connection asks (`adopted`): the old replica is retired, B's copies
//   of the user's channels name the new connection, and every other node is told
//   (`moved`), on the links that carry everything else B sends them.
// - On every other node (`moved`): the same switch, then a mark to A — on the same
//   link as everything this node sent the old connection, so A knows when it has all.
// - On A, the user's own node (`moved` from B): the user becomes a replica like any
//   user of B; presence lets the nick go from its table without a word; the old
//   connection hears who took it (through its relay worker, after its lines).
//
// Owner: the relay process (the copies and, with the links' readers, the replicas).
import Actors
import Distribution

extension Relay {
  /// This node's connection `client` took over the session that was `from`.
  func adopted(from: PidLocation, _ client: ClientHandle) {
    let old = network.users.retire(from)
    if let old { swapCopies(old, client) }
    let record = client.record(location: nil)
    // Later changes go out as usual, from this version on.
    client.sentVersion.store(record.version, ordering: .relaxed)
    network.broadcast(.moved(SessionMove(from: from, pid: client.pid, record: record)))
  }

  /// Another node took over the session of the connection at `move.from`.
  func moved(_ move: SessionMove, _ workers: RelayWorkers) {
    guard let location = move.pid.location else { return }
    let (retired, replica) = network.users.move(from: move.from, to: move.pid, at: location, move.record, services: services)
    let ours = move.from.node == network.nodeName && move.from.incarnation == network.incarnation
    let old = ours ? services.clients.find(move.from.number) : retired
    if let old { swapCopies(old, replica) }
    if ours {
      guard let old else { return }
      services.tellPresence(.handedOff(old))
      workers.hand(.handOff(move.from.number, .adopted(node: location.node, replica: replica)))
    } else {
      network.send(.handOffMark(to: move.from.number, incarnation: move.from.incarnation, .node(network.nodeName)), to: move.from.node)
    }
  }

  /// This node's copies of channels homed elsewhere name `new` where they named `old`,
  /// with the same status: what this node's users see of their neighbours (NICK, AWAY,
  /// QUIT go to the new connection at once). The rooms make the same change and send it
  /// as usual, which then changes nothing here.
  func swapCopies(_ old: ClientHandle, _ new: ClientHandle) {
    for key in services.channels.channels(of: old.id) {
      guard var record = services.channels.record(key), record.home != nil,
        let member = record.members.removeValue(forKey: old.id)
      else { continue }
      let joined = record.members[new.id] == nil ? new.id : nil
      record.members[new.id] = ChannelMember(client: new, op: member.op, voice: member.voice, monitor: nil)
      services.channels.publish(key, record, joined: joined, left: old.id)
    }
  }
}
