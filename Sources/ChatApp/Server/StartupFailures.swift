// The first of chatd's root children to fail to start, and its error as it was thrown.
// A supervisor that cannot start a child passes on only a description of why (its own
// start fails with `{shutdown, failed to start child ...}`); this keeps the typed error,
// so that `ChatServer.start` can say which flag to change. Written by the start
// functions of the root's children (run in the root supervisor's process), read by
// `ChatServer.start` once the root's start has returned.
import Actors
import Supervision
import Synchronization

final class StartupFailures: Sendable {
  private let first = Mutex<(child: String, error: any Error)?>(nil)

  /// `spec`, whose start function records its failure here before throwing it on.
  func watching(_ spec: ChildSpec) -> ChildSpec {
    var watched = spec
    let start = spec.start
    let id = spec.id
    watched.start = { ctx in
      do {
        return try await start(ctx)
      } catch {
        self.first.withLock { if $0 == nil { $0 = (id, error) } }
        throw error
      }
    }
    return watched
  }

  /// The first failure recorded: which child, and what its start threw.
  var recorded: (child: String, error: any Error)? { first.withLock { $0 } }
}
