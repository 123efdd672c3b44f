// A room's copies for other nodes, planned once per change of its members: for each
// node with members, the process numbers of its members there. A message then goes to
// each node as one frame built from the plan, without looking at each member (which
// reads each member's handle: a cache miss per member per message). Owner: the room
// process that holds it in its state; any change of the room's members drops it
// (`Room.State.members`, with the delivery list).

/// The remote recipients of one room's broadcasts, grouped by node.
final class RemotePlan {
  struct Group {
    var node: String
    var incarnation: UInt64
    var numbers: [UInt64]
  }
  /// Nil until needed after a change of members.
  var groups: [Group]?

  init() {}

  /// Sends `line` once to each node with members, to all of them but `except` (a sender
  /// that did not ask for its echo). Returns the copies sent.
  func send(_ line: TaggedLine, members: [UInt64: ChannelMember], except: ClientHandle?, _ services: ChatServices) -> Int {
    guard let network = services.network else { return 0 }
    let groups = self.groups ?? plan(members)
    self.groups = groups
    guard !groups.isEmpty else { return 0 }
    let wire = WireLine(line)
    let skip = except?.remote?.location
    var copies = 0
    for g in groups {
      // The whole group goes, the sender apart: the same list for every line of the room.
      var except: UInt64?
      if let skip, skip.node == g.node, skip.incarnation == g.incarnation, g.numbers.contains(skip.number) { except = skip.number }
      let count = g.numbers.count - (except == nil ? 0 : 1)
      guard count > 0 else { continue }
      copies += count
      network.send(.deliver(wire, to: g.numbers, except: except, incarnation: g.incarnation, quitOf: nil), to: g.node)
    }
    return copies
  }

  private func plan(_ members: [UInt64: ChannelMember]) -> [Group] {
    var index: [String: Int] = [:]
    var groups: [Group] = []
    for m in members.values where m.isRemote {
      guard let l = m.client.remote?.location else { continue }
      let key = "\(l.node)#\(l.incarnation)"
      if let i = index[key] {
        groups[i].numbers.append(l.number)
      } else {
        index[key] = groups.count
        groups.append(Group(node: l.node, incarnation: l.incarnation, numbers: [l.number]))
      }
    }
    return groups
  }
}
