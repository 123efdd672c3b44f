// The idle sweeper: one process that times every client's silence, instead of a timer
// per connection (a timer entry is about 120 bytes a connection, and re-arming it after
// every message took the timer wheel's lock). Each connection writes, after
// every message it handles, when it next needs looking at (`ClientHandle.idleDeadline`);
// every tick the sweeper tells the connections whose deadline has passed, and each
// decides for itself: registration timeout, PING, or ping timeout.
import Actors
import GenServer

struct IdleSweeper: SyncGenServer {
  let services: ChatServices

  typealias State = Void

  /// How often the deadlines are looked at: a fifth of the shortest timeout, at most a
  /// second, at least 10 ms. A timeout fires at most one tick late.
  static func tick(_ config: ChatConfig) -> Duration {
    var shortest = min(config.pingInterval, config.pingTimeout, config.registrationTimeout)
    if config.tlsPort != nil { shortest = min(shortest, config.tlsHandshakeTimeout) }
    return max(.milliseconds(10), min(.seconds(1), shortest / 5))
  }

  func initialize(_ ctx: ServerContext<Self>) throws -> InitResult<Self> {
    .ok((), .timeout(Self.tick(services.config)))
  }

  func handleInfo(_ message: Message<Never>, state: inout State, _ ctx: ServerContext<Self>) throws -> HandleResult<Self> {
    if case .timeout = message {
      for client in services.clients.takeOverdue(now: MonotonicClock.nanoseconds()) {
        client.pid.address(as: ServerMessage<Connection>.self)?.send(.info(.idle))
      }
    }
    return .noreply(.timeout(Self.tick(services.config)))
  }

  func formatStatus(_ state: State) -> String { "every \(Self.tick(services.config))" }
}

extension ClientHandle {
  /// Sets when the connection must be looked at if nothing else happens first
  /// (monotonic nanoseconds). Written by the connection process after each message.
  func setIdleDeadline(after delay: Duration, now: UInt64 = MonotonicClock.nanoseconds()) {
    idleDeadline.store(now &+ delay.clampedNanoseconds, ordering: .relaxed)
  }

  /// True if the deadline passed and the sweeper claimed it (see `takeOverdue`), and
  /// nothing has set a new one since: the client has really been silent.
  var idleDeadlineClaimed: Bool { idleDeadline.load(ordering: .relaxed) == ClientHandle.deadlineClaimed }

  /// Claims the deadline if it is at or before `now`: true once per passed deadline.
  func claimIdleDeadline(now: UInt64) -> Bool {
    let d = idleDeadline.load(ordering: .relaxed)
    guard d <= now else { return false }
    // A connection that sets a new deadline meanwhile wins: it was not silent.
    return idleDeadline.compareExchange(expected: d, desired: ClientHandle.deadlineClaimed, ordering: .relaxed).exchanged
  }
}
