// What a membership process tells its owner: nodes coming and going, and the loss of
// its own lease. Values made by the membership process, handed to the `events` callback.

/// A change of the cluster as this member sees it.
public enum MembershipEvent: Sendable, Hashable, CustomStringConvertible {
  /// A member (name and incarnation) is up: first seen, or seen again under a new
  /// incarnation (then after a `nodeDown` of the old one).
  case nodeUp(MemberInfo)
  /// A member (that incarnation) is gone: `reason` says why ("lease expired", "left",
  /// "replaced by a newer incarnation", ...). Its pids are dead; it never comes back
  /// under that incarnation, except after our own `leaseLost` (see `Membership`).
  case nodeDown(MemberInfo, reason: String)
  /// Our own lease was gone (we were frozen, or cut off from Redis, past the lease): we
  /// rejoined as `new`; the pids of `old` count as dead everywhere. Comes before every
  /// other event of the rejoin (a `nodeDown` of every member we knew, then `nodeUp`s).
  case leaseLost(old: MemberInfo, new: MemberInfo)

  /// `nodeUp(chatd-a#17@127.0.0.1:45123)` and the like.
  public var description: String {
    switch self {
    case .nodeUp(let m): return "nodeUp(\(m))"
    case .nodeDown(let m, let reason): return "nodeDown(\(m), \(reason))"
    case .leaseLost(let old, let new): return "leaseLost(\(old) -> \(new))"
    }
  }
}
