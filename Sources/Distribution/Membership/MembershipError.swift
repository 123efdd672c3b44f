// Why a membership could not start or go on: thrown by `Membership.start`, or the exit
// reason of its process.

/// Why a node could not join (or rejoin) the cluster.
public enum MembershipError: Error, Sendable, Equatable, CustomStringConvertible {
  /// Another live member holds the name (Erlang refuses a duplicate node name too).
  case nameTaken(name: String, incarnation: UInt64, address: String)
  /// The name is empty, or has whitespace or control characters.
  case invalidName(String)
  /// The timings cannot work (the heartbeat must be less than half the lease, and every
  /// duration positive).
  case invalidConfiguration(String)
  /// Redis could not be reached, or answered with an error (the cause).
  case redis(String)
  /// The membership is stopped (or was never started).
  case stopped

  /// What went wrong, for people.
  public var description: String {
    switch self {
    case .nameTaken(let name, let incarnation, let address):
      return "node name \(name) is taken by a live member (incarnation \(incarnation), address \(address))"
    case .invalidName(let name): return "invalid node name \"\(name)\": it must be non-empty, without spaces or control characters"
    case .invalidConfiguration(let why): return "invalid membership configuration: \(why)"
    case .redis(let why): return "membership could not reach Redis: \(why)"
    case .stopped: return "the membership is stopped"
    }
  }
}
