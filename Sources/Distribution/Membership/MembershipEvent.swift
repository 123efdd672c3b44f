// What a membership process tells its owner: nodes coming and going, the loss of its
// own lease, and whether Redis answers. Values made by the membership process, handed
// to the `events` callback.

/// A change of the cluster as this member sees it.
public enum MembershipEvent: Sendable, Hashable, CustomStringConvertible {
  /// A member (name and incarnation) is up: first seen, or seen again under a new
  /// incarnation (then after a `nodeDown` of the old one).
  case nodeUp(MemberInfo)
  /// A member (that incarnation) is gone: `reason` says why ("lease expired", "left",
  /// "replaced by a newer incarnation", ...). Its pids are dead; it never comes back
  /// under that incarnation, except after our own `leaseLost` (see `Membership`).
  case nodeDown(MemberInfo, reason: String)
  /// Our own lease was gone: Redis had buried it (we were frozen, or cut off from Redis
  /// while the others reached it, past the lease) or given our name to another
  /// incarnation. We rejoined as `new`; the pids of `old` count as dead everywhere.
  /// Comes before every other event of the rejoin (a `nodeDown` of every member we knew,
  /// then `nodeUp`s). An outage of Redis itself never causes it.
  case leaseLost(old: MemberInfo, new: MemberInfo)
  /// Redis became unreachable for us, or reachable again (`Membership.health`): one
  /// event per change, not per failed call. Nothing else is emitted while it is
  /// unreachable.
  case health(MembershipHealth)

  /// `nodeUp(chatd-a#17@127.0.0.1:45123)` and the like.
  public var description: String {
    switch self {
    case .nodeUp(let m): return "nodeUp(\(m))"
    case .nodeDown(let m, let reason): return "nodeDown(\(m), \(reason))"
    case .leaseLost(let old, let new): return "leaseLost(\(old) -> \(new))"
    case .health(let h): return "health(\(h))"
    }
  }
}
