// Who is subscribed to what, through one connection. The connection process is its only
// writer; it keeps a copy in its ConnectionSlot so a restarted connection resubscribes.
import Actors

struct SubscriptionTable: Sendable {
  private var byName: [RedisSubscriptionKind: [String: [Pid: Subscriber]]] = [:]

  /// Channels, patterns and shard channels with at least one subscriber.
  var count: Int { byName.values.reduce(0) { $0 + $1.count } }
  var isEmpty: Bool { byName.values.allSatisfy(\.isEmpty) }

  /// Adds `subscriber` to `names`; returns the names nobody was subscribed to before
  /// (those Redis must be told about).
  mutating func add(_ kind: RedisSubscriptionKind, _ names: [String], _ subscriber: Subscriber) -> [String] {
    var fresh: [String] = []
    for name in names {
      var subs = byName[kind, default: [:]][name] ?? [:]
      if subs.isEmpty { fresh.append(name) }
      subs[subscriber.pid] = subscriber
      byName[kind, default: [:]][name] = subs
    }
    return fresh
  }

  /// Removes `pid` from `names` (every name of the kind when nil); returns the names left
  /// with no subscriber.
  mutating func remove(_ kind: RedisSubscriptionKind, _ names: [String]?, pid: Pid) -> [String] {
    guard var table = byName[kind] else { return [] }
    var emptied: [String] = []
    for name in names ?? Array(table.keys) {
      guard var subs = table[name], subs.removeValue(forKey: pid) != nil else { continue }
      if subs.isEmpty {
        table[name] = nil
        emptied.append(name)
      } else {
        table[name] = subs
      }
    }
    byName[kind] = table
    return emptied
  }

  /// Removes `pid` everywhere (it ended); returns the names left with no subscriber.
  mutating func removeAll(pid: Pid) -> [RedisSubscriptionKind: [String]] {
    var emptied: [RedisSubscriptionKind: [String]] = [:]
    for kind in RedisSubscriptionKind.allCases {
      let e = remove(kind, nil, pid: pid)
      if !e.isEmpty { emptied[kind] = e }
    }
    return emptied
  }

  func subscribers(_ kind: RedisSubscriptionKind, _ name: String) -> Dictionary<Pid, Subscriber>.Values? {
    byName[kind]?[name]?.values
  }

  func names(_ kind: RedisSubscriptionKind) -> [String] { byName[kind].map { Array($0.keys) } ?? [] }

  /// Does `pid` still subscribe to anything?
  func contains(pid: Pid) -> Bool {
    byName.values.contains { table in table.values.contains { $0[pid] != nil } }
  }

  /// One subscription per subscribing process (to tell each about a lost connection once).
  var oneForEachSubscriber: [Subscriber] {
    var seen: [Pid: Subscriber] = [:]
    for table in byName.values {
      for subs in table.values { for (pid, s) in subs where seen[pid] == nil { seen[pid] = s } }
    }
    return Array(seen.values)
  }
}
