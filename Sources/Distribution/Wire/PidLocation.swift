// Where a pid lives, for applications that keep their own tables of other nodes'
// processes (chatd keeps a replica of every remote user, keyed by where its connection
// process lives). Read-only views of a proxy's identity and of the node a message is
// being read on; nothing here can make a proxy.
@_spi(Distribution) import Actors

/// A process of another node: its node's name and incarnation, and its number there.
public struct PidLocation: Hashable, Sendable, CustomStringConvertible {
  public let node: String
  public let incarnation: UInt64
  public let number: UInt64

  public init(node: String, incarnation: UInt64, number: UInt64) {
    self.node = node
    self.incarnation = incarnation
    self.number = number
  }

  public var description: String { "\(node)#\(incarnation)/\(number)" }
}

extension Pid {
  /// Where this process lives when it is another node's (nil for a local process).
  public var location: PidLocation? {
    remoteIdentity.map { PidLocation(node: $0.nodeName, incarnation: $0.incarnation, number: $0.id) }
  }
}

extension WireDecoder {
  /// The node reading this message (nil for a decoder made outside a link, in tests):
  /// lets a type find its application's tables while it is read.
  public var node: Node? { context?.core.node }
}

extension WireEncoder {
  /// The node writing this message (nil outside a link).
  public var node: Node? { context?.core.node }
}
