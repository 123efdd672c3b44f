// Every connected client: an application-owned table (Erlang's ETS), outliving the
// processes that read it — presence rebuilds its nick table from it after a restart, the
// idle sweeper walks it. Writer: each connection, for itself only (it adds itself when
// it starts and its exit hook removes it, however it ends).
import Synchronization

/// Every connected client. A set (a handle hashes by its id): one pointer per client.
final class ClientDirectory: Sendable {
  private let clients = Mutex<Set<ClientHandle>>([])
  /// Registered clients now, and the most there have been at once (LUSERS 265/266).
  let registered = Atomic<Int>(0)
  let peak = Atomic<Int>(0)

  func add(_ client: ClientHandle) { _ = clients.withLock { $0.insert(client) } }

  /// Counts a client that has completed registration.
  func markRegistered(_ client: ClientHandle) {
    let n = registered.wrappingAdd(1, ordering: .relaxed).newValue
    var p = peak.load(ordering: .relaxed)
    while n > p {
      let (done, now) = peak.compareExchange(expected: p, desired: n, ordering: .relaxed)
      if done { break }
      p = now
    }
  }

  func remove(_ client: ClientHandle) {
    guard clients.withLock({ $0.remove(client) }) != nil else { return }
    if client.isRegistered { registered.wrappingSubtract(1, ordering: .relaxed) }
  }

  var all: [ClientHandle] { clients.withLock { Array($0) } }

  /// The clients whose idle deadline is at or before `now`, each claimed so that it is
  /// returned once per deadline (IdleSweeper.swift).
  func takeOverdue(now: UInt64) -> [ClientHandle] {
    clients.withLock { all in
      var due: [ClientHandle] = []
      for client in all where client.claimIdleDeadline(now: now) { due.append(client) }
      return due
    }
  }
  var count: Int { clients.withLock { $0.count } }
}
