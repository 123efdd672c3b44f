// How a membership process times its lease, and where its Redis keys live: one value,
// made by the caller, read by the membership process.

/// Timings and key prefix of a membership.
///
/// With the defaults, a member that stops renewing is seen down by every other member
/// within `leaseTime + sweep` (2.5 s), and one that leaves at once (pub/sub).
public struct MembershipConfiguration: Sendable, Equatable {
  /// The cluster's name: keys are `otter:{cluster}:...` (a hash tag, so that a Redis
  /// Cluster keeps them in one slot, as the scripts need).
  public var cluster: String = "otter"
  /// How long a lease lives without renewal. A member that has gone this long without
  /// a successful renewal asks Redis, before anything else, whether its lease still
  /// stands (see `Membership`).
  public var leaseTime: Duration = .milliseconds(2000)
  /// How often the lease is renewed: less than half of `leaseTime` (a third or less
  /// leaves room for a lost renewal or two).
  public var heartbeat: Duration = .milliseconds(500)
  /// How often each member reads the member list (and removes expired leases).
  public var sweep: Duration = .milliseconds(500)
  /// The longest wait for one Redis script.
  public var commandTimeout: Duration = .milliseconds(1000)

  /// The defaults.
  public init() {}

  /// Defaults but for the cluster's name.
  public init(cluster: String) { self.cluster = cluster }

  /// Why these timings cannot work, or nil.
  var problem: String? {
    if leaseTime <= .zero || heartbeat <= .zero || sweep <= .zero || commandTimeout <= .zero { return "durations must be positive" }
    if heartbeat * 2 >= leaseTime { return "the heartbeat (\(heartbeat)) must be less than half the lease (\(leaseTime))" }
    return nil
  }

  /// The longest silence that Redis takes for a quiet cluster rather than for time it
  /// did not serve. After a longer one (it was paused, restarted from its files, or
  /// nobody could reach it) the next membership script gives every lease a fresh
  /// `leaseTime`, so that no lease counts as expired for time in which its owner could
  /// not renew. Halfway between the longest gap between the scripts of one live member
  /// (the shorter of heartbeat and sweep) and the shortest outage that can expire a
  /// lease (`leaseTime - heartbeat`): shorter would refresh leases in a quiet cluster
  /// for ever, longer could let an outage expire a lease unrefreshed.
  var quietGap: Duration { (leaseTime - heartbeat + min(heartbeat, sweep)) / 2 }

  /// `otter:{cluster}`: the prefix of every key.
  public var prefix: String { "otter:{\(cluster)}" }
  /// The channel of membership events.
  public var channel: String { "\(prefix):events" }
  /// The key of one member's lease (`otter:{cluster}:member:<name>`).
  public func memberKey(_ name: String) -> String { "\(prefix):member:\(name)" }
  var memberKeyPrefix: String { "\(prefix):member:" }
  /// The keys every script takes, in this order: the incarnation counter, the member zset
  /// (score: lease expiry, Redis time in ms), name → incarnation, name → info JSON,
  /// name → tombstone ("<incarnation> <reason>"), the Redis time of the last membership
  /// script (ms).
  var scriptKeys: [String] {
    [
      "\(prefix):incarnation", "\(prefix):members", "\(prefix):incarnations", "\(prefix):info", "\(prefix):down",
      "\(prefix):heard",
    ]
  }
  /// The arguments every script takes first: the channel, the member key prefix, the
  /// lease and the quiet gap (ms).
  var scriptArguments: [String] { [channel, memberKeyPrefix, milliseconds(leaseTime), milliseconds(quietGap)] }
}
