// One master of a RedisCluster as a test names it: where it listens and its cluster node
// id. A value; the RedisCluster that made it owns the server behind it.

/// A node of a `RedisCluster`.
public struct ClusterNode: Sendable, Hashable, CustomStringConvertible {
  /// Its position in `RedisCluster.nodes` (0, 1, 2).
  public let index: Int
  /// The address it listens on.
  public let host: String
  /// Its TCP port (the cluster bus is on port + 10000).
  public let port: Int
  /// Its node id (40 hex digits, as in CLUSTER NODES and MOVED redirections' owners).
  public let id: String

  /// `host:port`, as in MOVED and ASK redirections.
  public var address: String { "\(host):\(port)" }

  /// `redis://host:port`.
  public var url: String { "redis://\(host):\(port)" }

  /// `node <index> host:port (<id prefix>)`.
  public var description: String { "node \(index) \(address) (\(id.prefix(8)))" }
}
