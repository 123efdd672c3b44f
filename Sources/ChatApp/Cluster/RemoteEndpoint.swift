// The endpoint of a user of another node: its lines go to that node's relay, which
// writes them to the user's own endpoint. A broadcast to many users of one node goes
// there once (Fanout.swift); this is the path for lines to one user (numerics, a private
// message, an INVITE).
import Actors
import Distribution

final class RemoteEndpoint: ClientEndpoint {
  let network: ChatNetwork
  let location: PidLocation

  init(network: ChatNetwork, location: PidLocation) {
    self.network = network
    self.location = location
  }

  @discardableResult func send(line: [UInt8]) -> Bool {
    network.send(.lines(line, to: location.number, incarnation: location.incarnation), to: location.node)
    return true
  }

  func deliver(_ line: TaggedLine, caps: Caps) {
    network.send(.deliver(WireLine(line), to: [location.number], incarnation: location.incarnation, quitOf: nil), to: location.node)
  }

  var transport: String { "remote \(location.node)" }
}
