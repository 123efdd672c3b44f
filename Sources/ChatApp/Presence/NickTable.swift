// Who holds which nick, published for everyone to read without asking presence: an
// application-owned table (Erlang's ETS, `protected`: one writer, many readers). Writer:
// the presence server only (Presence/Presence.swift) — it is its own state, not a copy.
// It outlives presence, so nicks keep resolving while presence is being restarted, and
// the restarted presence rebuilds it from what it published on the client handles.
import Actors
import Synchronization

final class NickTable: Sendable {
  /// Folded nick → client.
  private let table = Locked<[String: ClientHandle]>([:])

  /// The client holding `nick` (any case).
  func find(_ nick: String) -> ClientHandle? { table.withLock { $0[Names.fold(nick)] } }
  /// Every client holding a nick.
  var all: [ClientHandle] { table.withLock { Array($0.values) } }
  var count: Int { table.withLock { $0.count } }

  // MARK: Writes: presence only

  /// The holder of a folded nick, read by presence under the same lock it writes with.
  func holder(_ key: String) -> ClientHandle? { table.withLock { $0[key] } }
  func assign(_ key: String, to client: ClientHandle) { table.withLock { $0[key] = client } }
  func remove(_ key: String) { _ = table.withLock { $0.removeValue(forKey: key) } }
  func replaceAll(_ entries: [String: ClientHandle]) { table.withLock { $0 = entries } }
}
