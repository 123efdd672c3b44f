// Fan-out once per node (Discord's manifold): a broadcast line goes to this node's
// recipients at once and to each other node once, with the list of its recipients
// there; that node's relay writes it to them. However many members a channel has on a
// node, its traffic crosses to that node once per line, and a node with no member gets
// none of it. Owner: the broadcasting process (a value on its stack).
import Actors
import Distribution

/// The remote recipients of one broadcast line, gathered while this node's are written.
struct Fanout {
  private struct NodeKey: Hashable {
    var node: String
    var incarnation: UInt64
  }
  private var byNode: [NodeKey: [UInt64]] = [:]

  init() {}

  /// Writes `line` to `client` now if it is this node's; collects it otherwise.
  @inline(__always)
  mutating func send(_ line: TaggedLine, to client: ClientHandle) {
    guard let r = client.remote else {
      line.send(to: client)
      return
    }
    byNode[NodeKey(node: r.node, incarnation: r.location.incarnation), default: []].append(r.location.number)
  }

  /// Whether no remote recipient was collected.
  var isEmpty: Bool { byNode.isEmpty }

  /// Sends `line` once to each node with collected recipients. A QUIT names its
  /// quitter: each node tells each of its users once (its own QuitLedger).
  func flush(_ line: TaggedLine, _ services: ChatServices, quitOf: ClientHandle? = nil) {
    guard !byNode.isEmpty, let network = services.network else { return }
    let wire = WireLine(line)
    let quitter = quitOf.map(WireClient.init)
    for (key, numbers) in byNode {
      network.send(.deliver(wire, to: numbers, incarnation: key.incarnation, quitOf: quitter), to: key.node)
    }
  }

  /// Sends `line` to every client in `clients`, once per node for the remote ones —
  /// those first, so that the other nodes write while this one does.
  static func broadcast(_ line: TaggedLine, to clients: some Collection<ClientHandle>, _ services: ChatServices) {
    if services.network != nil {
      var fan = Fanout()
      for c in clients where c.remote != nil { fan.send(line, to: c) }
      fan.flush(line, services)
    }
    for c in clients where c.remote == nil { line.send(to: c) }
  }
}
