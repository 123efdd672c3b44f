// Who has been told of a client's QUIT. A client that quits is seen to go by every room
// it was in, and each room tells its members; someone sharing several channels with it
// must hear it once. Each room claims (quitter, member) before telling: the first claim
// wins. This is not chat state that readers consult but a once-only guard, so its
// writers are exactly the rooms that lost the quitter, and only through `claim`. An
// entry lives until the quitter's handle is freed — that is, until no room holds it any
// more and so none can claim again.
import Actors
import Synchronization

final class QuitLedger: Sendable {
  private let told = Locked<[UInt64: Set<UInt64>]>([:])

  /// True the first time it is asked for this pair: the caller tells `recipient`.
  func claim(quitter: UInt64, recipient: UInt64) -> Bool {
    told.withLock { $0[quitter, default: []].insert(recipient).inserted }
  }

  /// The quitter's handle is gone (its deinit).
  func forget(_ quitter: UInt64) { _ = told.withLock { $0.removeValue(forKey: quitter) } }

  /// Quitters with an entry (tests, introspection).
  var count: Int { told.withLock { $0.count } }
}
