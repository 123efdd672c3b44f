// Which master serves each of the 16,384 slots: read from CLUSTER SLOTS. Owned by the
// cluster client's ClusterCore (behind its lock); MOVED updates one slot at once, a
// refresh replaces the whole map.

struct ClusterTopology: Sendable {
  /// The masters, in the order first seen.
  private(set) var nodes: [RedisConfiguration.Endpoint] = []
  /// Each slot's master, as an index into `nodes` (`unassigned` if none).
  private var owners = [UInt16](repeating: ClusterTopology.unassigned, count: HashSlot.count)
  static let unassigned = UInt16.max

  init() {}

  /// The map from a CLUSTER SLOTS reply; `askedHost` stands for an empty or `?` address
  /// (a node that does not know its own address answers that).
  init(slotsReply reply: RESPValue, askedHost: String) throws {
    guard let ranges = reply.array else {
      throw RedisError.unexpectedReply(command: "CLUSTER SLOTS", expected: "array", got: reply.typeName)
    }
    for range in ranges {
      guard let r = range.array, r.count >= 3, let start = r[0].int, let end = r[1].int, let master = r[2].array, master.count >= 2,
        let port = master[1].int, (0..<HashSlot.count).contains(start), (start..<HashSlot.count).contains(end)
      else {
        throw RedisError.unexpectedReply(command: "CLUSTER SLOTS", expected: "[start, end, [host, port, id]]", got: range.description)
      }
      var host = master[0].string ?? ""
      if host.isEmpty || host == "?" { host = askedHost }
      let index = self.index(of: .tcp(host: host, port: port))
      for slot in start...end { owners[slot] = index }
    }
  }

  func owner(of slot: Int) -> RedisConfiguration.Endpoint? {
    let i = owners[slot]
    return i == Self.unassigned ? nil : nodes[Int(i)]
  }

  /// How many slots have a master.
  var coveredSlots: Int { owners.reduce(0) { $0 + ($1 == Self.unassigned ? 0 : 1) } }

  /// After MOVED: `slot` is served by `endpoint` now.
  mutating func move(_ slot: Int, to endpoint: RedisConfiguration.Endpoint) {
    owners[slot] = index(of: endpoint)
  }

  private mutating func index(of endpoint: RedisConfiguration.Endpoint) -> UInt16 {
    if let i = nodes.firstIndex(of: endpoint) { return UInt16(i) }
    nodes.append(endpoint)
    return UInt16(nodes.count - 1)
  }
}
