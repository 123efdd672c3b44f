// Keeping other nodes' copies of a channel's record: after each change it publishes,
// the room of a channel (on its home node) tells each node with members what changed —
// the whole record to a node that just got its first member, a `forget` to one that
// lost its last, the differences to the rest. The copies are what those nodes read
// for WHO, NAMES, WHOIS and a member's neighbours, and what a new home starts from if
// this node dies (Relay.swift). Owner: the room process calling it.
import Actors

enum MirrorSync {
  /// Sends what changed between `old` (the record before, as published) and `new`.
  static func changed(_ key: String, old: ChannelRecord?, new: ChannelRecord, _ network: ChatNetwork) {
    // A record that another node published (this room has just been started here from
    // a copy) counts as unknown to everyone: all get the whole record.
    let before = old?.home == nil ? old : nil
    let oldNodes = nodes(of: before)
    let newNodes = nodes(of: new)
    let home = network.nodeName
    for node in newNodes.subtracting(oldNodes) {
      network.send(.mirror(key: key, home: home, .snapshot(new.settings, new.members.values.map(WireMember.init))), to: node)
    }
    for node in oldNodes.subtracting(newNodes) { network.send(.mirror(key: key, home: home, .forget), to: node) }
    let kept = newNodes.intersection(oldNodes)
    guard !kept.isEmpty, let before else { return }
    var changes: [MirrorChange] = []
    if before.settings != new.settings { changes.append(.settings(new.settings)) }
    for (id, m) in new.members {
      if let was = before.members[id] {
        if was.op != m.op || was.voice != m.voice { changes.append(.status(WireMember(m))) }
      } else {
        changes.append(.joined(WireMember(m)))
      }
    }
    for (id, m) in before.members where new.members[id] == nil { changes.append(.left(WireClient(m.client))) }
    for node in kept {
      for change in changes { network.send(.mirror(key: key, home: home, change), to: node) }
    }
  }

  /// Sends every node with members the whole record again, and `also` those of `also`
  /// without members a `forget`: for when nodes changed their copies on their own and
  /// got it wrong (a member handed over to another node had left meanwhile).
  static func resync(_ key: String, _ record: ChannelRecord, also: [String], _ network: ChatNetwork) {
    let members = nodes(of: record)
    let home = network.nodeName
    for node in members {
      network.send(.mirror(key: key, home: home, .snapshot(record.settings, record.members.values.map(WireMember.init))), to: node)
    }
    for node in Set(also).subtracting(members) where node != home { network.send(.mirror(key: key, home: home, .forget), to: node) }
  }

  /// The channel is gone here (its room stopped with members elsewhere — only when this
  /// node leaves the network): the others drop their copies.
  static func forgotten(_ key: String, old: ChannelRecord?, _ network: ChatNetwork) {
    for node in nodes(of: old) { network.send(.mirror(key: key, home: network.nodeName, .forget), to: node) }
  }

  /// The other nodes with members in the channel.
  static func nodes(of record: ChannelRecord?) -> Set<String> {
    var out: Set<String> = []
    for m in record?.members.values ?? [:].values {
      if let r = m.client.remote { out.insert(r.node) }
    }
    return out
  }
}
