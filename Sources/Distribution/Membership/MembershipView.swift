// One member's view of the others: who it considers up (name and incarnation), and the
// newest incarnation of each name it knows to be down. Pure: it turns what Redis says
// (sweeps, channel notices) into events. Owned and written by the membership process
// (kept in MembershipCore so that a restarted process carries on from it).

/// The peers a member considers up, and the events that change it.
struct MembershipView {
  /// A peer considered up.
  struct Entry {
    var info: MemberInfo
    /// When a sweep first found it unregistered without a tombstone (Redis lost its
    /// data): it is given until `since + grace` to register again.
    var missingSince: ContinuousClock.Instant?
  }

  /// What a sweep said about one of the peers it was given.
  struct Status: Equatable {
    var name: String
    var incarnation: UInt64
    /// nil: missing (no record, no tombstone); else down, with this reason.
    var downReason: String?
  }

  /// Our own name: never a peer.
  let me: String
  private(set) var peers: [String: Entry] = [:]
  /// The newest incarnation of each name known down: never up again.
  private var buried: [String: UInt64] = [:]

  init(me: String) { self.me = me }

  /// The peers as a sweep takes them: name, incarnation, and whether to declare it down
  /// (missing for `grace` or more, and `mayDeclare`: Redis answers us, so the sweep will
  /// not wait in a stalled server to run after the peer could not register either).
  func sweepArguments(now: ContinuousClock.Instant, grace: Duration, mayDeclare: Bool = true) -> [String] {
    peers.values.sorted { $0.info.name < $1.info.name }.flatMap { e -> [String] in
      let declare = mayDeclare && (e.missingSince.map { now - $0 >= grace } ?? false)
      return [e.info.name, String(e.info.incarnation), declare ? "1" : "0"]
    }
  }

  /// A sweep's answer: the statuses first (downs, missing ones), then the live list.
  mutating func applySweep(live: [MemberInfo], statuses: [Status], now: ContinuousClock.Instant) -> [MembershipEvent] {
    var events: [MembershipEvent] = []
    for s in statuses {
      if let reason = s.downReason {
        events += applyDown(name: s.name, incarnation: s.incarnation, reason: reason)
      } else if peers[s.name]?.info.incarnation == s.incarnation, peers[s.name]?.missingSince == nil {
        peers[s.name]?.missingSince = now
      }
    }
    for info in live { events += applyUp(info) }
    return events
  }

  /// A member registered (seen in a sweep or announced): nodeUp if new; a nodeDown of
  /// the old incarnation first if it replaces one.
  mutating func applyUp(_ info: MemberInfo) -> [MembershipEvent] {
    guard info.name != me else { return [] }
    if let down = buried[info.name], down >= info.incarnation { return [] }
    var events: [MembershipEvent] = []
    if let old = peers[info.name]?.info {
      if old.incarnation == info.incarnation {
        peers[info.name]?.missingSince = nil
        return []
      }
      if old.incarnation > info.incarnation { return [] }
      bury(old.name, old.incarnation)
      events.append(.nodeDown(old, reason: "replaced by a newer incarnation"))
    }
    peers[info.name] = Entry(info: info)
    events.append(.nodeUp(info))
    return events
  }

  /// An incarnation is down: nodeDown if we had it (or an older one of the name).
  mutating func applyDown(name: String, incarnation: UInt64, reason: String) -> [MembershipEvent] {
    guard name != me else { return [] }
    bury(name, incarnation)
    guard let old = peers[name]?.info, old.incarnation <= incarnation else { return [] }
    peers[name] = nil
    return [.nodeDown(old, reason: old.incarnation == incarnation ? reason : "replaced by a newer incarnation")]
  }

  /// Forgets every peer, with a nodeDown each (our lease was lost: we cannot know what
  /// happened meanwhile). Buries nothing: the next sweep brings them up again.
  mutating func dropAll(reason: String) -> [MembershipEvent] {
    let events = peers.values.sorted { $0.info.name < $1.info.name }.map { MembershipEvent.nodeDown($0.info, reason: reason) }
    peers = [:]
    return events
  }

  /// Gives every missing peer a fresh grace: we could not reach Redis for a while, so
  /// we could not have seen them register again (nor could they, if the outage was
  /// Redis's).
  mutating func restartGraces() {
    for name in peers.keys { peers[name]?.missingSince = nil }
  }

  private mutating func bury(_ name: String, _ incarnation: UInt64) {
    buried[name] = max(buried[name] ?? 0, incarnation)
  }
}
