// Whether a membership reaches Redis now: a value made by the membership process from
// the outcome of its own calls, kept in MembershipCore and handed out as an event.
import Foundation

/// Whether a membership's calls to Redis succeed: what an application shows as
/// "cluster degraded".
///
/// While Redis is unreachable nothing changes in the cluster as a member sees it: no
/// node goes down, no incarnation changes, links between nodes stay (they do not go
/// through Redis); only what needs Redis (joining, leaving, global names) fails. See
/// `Membership`.
public enum MembershipHealth: Sendable, Hashable, CustomStringConvertible {
  /// The last call to Redis succeeded.
  case reachable
  /// Every call to Redis has failed since `since` (when the first one failed): no
  /// connection, no answer within the command timeout, or an error reply. `error` is
  /// the last failure, as Redis or the client told it.
  case unreachable(since: Date, error: String)

  /// Whether Redis answers now.
  public var isReachable: Bool {
    if case .reachable = self { return true }
    return false
  }

  /// `Redis reachable`, or `Redis unreachable since 2025-01-31 12:00:00 +0000: <error>`.
  public var description: String {
    switch self {
    case .reachable: return "Redis reachable"
    case .unreachable(let since, let error): return "Redis unreachable since \(since): \(error)"
    }
  }
}
