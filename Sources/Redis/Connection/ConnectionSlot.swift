// A connection's identity across restarts: callers find the current process here, and a
// restarted process finds the subscriptions it must restore. `address` is written by the
// child start that spawns the connection (in its supervisor) and by `RedisClient.stop`;
// `subscriptions` only by the connection process that is alive (one at a time: the
// supervisor starts the next after the last has ended). Callers only read.
import Actors
import Synchronization

final class ConnectionSlot: Sendable {
  /// What the slot holds.
  struct Contents: Sendable {
    var address: Address<ConnectionMessage>?
    var subscriptions = SubscriptionTable()
    var stopped = false
  }

  let state = Locked(Contents())
  /// Whether the connection is up now: written by the connection process, read by
  /// `ClientCore.pick` to send commands to a connection that can take them.
  let connected = Atomic<Bool>(false)
  /// The connection's place in its client (for its process label).
  let index: Int

  init(index: Int) { self.index = index }

  var address: Address<ConnectionMessage>? { state.withLock { $0.address } }
}
