// What a `Membership` handle and its process share: who we are, our current incarnation
// and lease, whether Redis answers, and the view of the others. Written only by the
// running membership process
// (one at a time: a restarted one carries on from here); read by the handle's getters.
import Actors
import Redis

/// The state of one membership, outliving any one run of its process.
final class MembershipCore: Sendable {
  let name: String
  let address: String
  let metadata: [String: String]
  let redis: RedisClient
  let configuration: MembershipConfiguration
  let events: @Sendable (MembershipEvent) -> Void
  let state: Locked<State>

  struct State {
    /// Our info; incarnation 0 until the first join.
    var current: MemberInfo
    /// Whether we hold a lease now (false before joining, and from the moment Redis says
    /// it is lost until the rejoin).
    var holdsLease = false
    /// When the last successful renewal (or join) was sent: our lease is certainly alive
    /// until this instant + leaseTime; after that only Redis can say.
    var lastRenewSent: ContinuousClock.Instant?
    /// Whether our last call to Redis succeeded.
    var health = MembershipHealth.reachable
    var view: MembershipView
    /// The running process and its node.
    var address: Address<MembershipMessage>?
    var node: Node?
    /// `leave` or `stop` was called: the process must not be restarted into the cluster.
    var stopped = false
  }

  init(
    name: String, address: String, metadata: [String: String], redis: RedisClient, configuration: MembershipConfiguration,
    events: @escaping @Sendable (MembershipEvent) -> Void
  ) {
    self.name = name
    self.address = address
    self.metadata = metadata
    self.redis = redis
    self.configuration = configuration
    self.events = events
    let instance = String(UInt64.random(in: 1...UInt64.max), radix: 16)
    announcement = MemberAnnouncement(name: name, address: address, metadata: metadata, instance: instance).json
    state = Locked(
      State(current: MemberInfo(name: name, incarnation: 0, address: address, metadata: metadata), view: MembershipView(me: name)))
  }

  /// The JSON we register under (the same for every run of the process).
  let announcement: String

  /// Whether the lease may have expired, so that only Redis can say whether it still
  /// stands: no successful renewal sent within leaseTime.
  func leaseOverdue(now: ContinuousClock.Instant = .now) -> Bool {
    state.withLock { s in
      guard s.holdsLease, let sent = s.lastRenewSent else { return false }
      return now - sent >= configuration.leaseTime
    }
  }
}
