// Every connected client: an application-owned table (Erlang's ETS), outliving the
// processes that read it — presence rebuilds its nick table from it after a restart, the
// idle sweeper walks it. Writer: each connection, for itself only (it adds itself when
// it starts and its exit hook removes it, however it ends).
import Actors
import Synchronization

/// Every connected client. A set (a handle hashes by its id): one pointer per client.
final class ClientDirectory: Sendable {
  /// Id → client (a handle's id is its connection's process number).
  private let clients = Locked<[UInt64: ClientHandle]>([:])
  /// Registered clients now, how many of them are invisible (+i) and operators, and the
  /// most registered at once (LUSERS): kept as the flags change, so LUSERS, sent to
  /// every client that registers, counts nothing.
  let registered = Atomic<Int>(0)
  let invisible = Atomic<Int>(0)
  let opers = Atomic<Int>(0)
  let peak = Atomic<Int>(0)
  /// Clients connected now, and since the start, per transport (the metrics endpoint).
  let connected = TransportCounts()
  let opened = TransportCounts()
  /// How many clients have left: what was looked up in the table before may name a
  /// client that is gone when it has changed (the relay workers' lists).
  let removals = Atomic<UInt64>(0)

  /// What a client adds to the counts.
  struct Counted: Equatable {
    var registered = false
    var invisible = false
    var oper = false

    init(_ settings: ClientSettings) {
      registered = settings.registered
      invisible = settings.registered && settings.invisible
      oper = settings.registered && settings.oper
    }
    init() {}
  }

  func add(_ client: ClientHandle) {
    guard clients.withLock({ $0.updateValue(client, forKey: client.id) == nil }) else { return }
    connected.add(1, client.transport)
    opened.add(1, client.transport)
  }

  /// A client's counted flags changed (its connection, `Connection.State.update`), or it
  /// left (`remove`).
  func recount(from old: Counted, to new: Counted) {
    func adjust(_ counter: borrowing Atomic<Int>, _ was: Bool, _ now: Bool) {
      if now && !was { counter.wrappingAdd(1, ordering: .relaxed) }
      if was && !now { counter.wrappingSubtract(1, ordering: .relaxed) }
    }
    adjust(invisible, old.invisible, new.invisible)
    adjust(opers, old.oper, new.oper)
    if new.registered && !old.registered {
      let n = registered.wrappingAdd(1, ordering: .relaxed).newValue
      var p = peak.load(ordering: .relaxed)
      while n > p {
        let (done, now) = peak.compareExchange(expected: p, desired: n, ordering: .relaxed)
        if done { break }
        p = now
      }
    } else if old.registered && !new.registered {
      registered.wrappingSubtract(1, ordering: .relaxed)
    }
  }

  func remove(_ client: ClientHandle) {
    guard clients.withLock({ c in c[client.id] === client ? c.removeValue(forKey: client.id) : nil }) != nil else { return }
    removals.add(1, ordering: .releasing)
    connected.add(-1, client.transport)
    recount(from: Counted(client.settings), to: Counted())
  }
  var all: [ClientHandle] { clients.withLock { Array($0.values) } }
  /// The client whose connection has process number `id`.
  func find(_ id: UInt64) -> ClientHandle? { clients.withLock { $0[id] } }
  /// The clients of these ids that are still here, found under one lock.
  func find(_ ids: [UInt64]) -> [ClientHandle] { clients.withLock { c in ids.compactMap { c[$0] } } }

  /// The clients whose idle deadline is at or before `now`, each claimed so that it is
  /// returned once per deadline (IdleSweeper.swift).
  func takeOverdue(now: UInt64) -> [ClientHandle] {
    clients.withLock { all in
      var due: [ClientHandle] = []
      for client in all.values where client.claimIdleDeadline(now: now) { due.append(client) }
      return due
    }
  }
  var count: Int { clients.withLock { $0.count } }
}
