// The server's shared tables — Erlang's ETS tables owned by the application rather than
// by any one process. They outlive the processes that use them, which is what lets a
// killed room or presence server rebuild its state without disturbing any client.
import Synchronization

/// Every connected client. A set (a handle hashes by its id): one pointer per client.
final class ClientDirectory: Sendable {
  private let clients = Mutex<Set<ClientHandle>>([])
  private let ids = Atomic<UInt64>(1)
  /// Registered clients now, and the most there have been at once (LUSERS 265/266).
  let registered = Atomic<Int>(0)
  let peak = Atomic<Int>(0)

  func nextID() -> UInt64 { ids.wrappingAdd(1, ordering: .relaxed).oldValue }

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
    if client.info.withLock({ $0.registered }) { registered.wrappingSubtract(1, ordering: .relaxed) }
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

/// One channel's settings (everything but its members, which the clients' memberships
/// record).
struct ChannelState: Sendable, Equatable {
  var name: String
  /// Unix seconds.
  var created: Int
  var topic: String?
  var topicBy: String?
  var topicTime = 0
  var inviteOnly = false
  var moderated = false
  var noExternal = true
  var secret = false
  var topicLock = true
  var key: String?
  var limit: Int?
  var bans: [ListEntry] = []
  var exceptions: [ListEntry] = []
  var inviteExceptions: [ListEntry] = []
  /// Folded nicks invited (INVITE), allowed past +i and +l... until they join.
  var invited: Set<String> = []

  init(name: String, created: Int = WallClock.seconds()) {
    self.name = name
    self.created = created
  }

  /// `+nt` style, with parameters for +k and +l (the key only for members).
  func modeString(showKey: Bool) -> [String] {
    var flags = "+"
    var params: [String] = []
    if inviteOnly { flags += "i" }
    if key != nil { flags += "k" }
    if limit != nil { flags += "l" }
    if moderated { flags += "m" }
    if noExternal { flags += "n" }
    if secret { flags += "s" }
    if topicLock { flags += "t" }
    if let key { params.append(showKey ? key : "*") }
    if let limit { params.append(String(limit)) }
    return [flags] + params
  }
}

/// A ban, exception or invite-exception entry.
struct ListEntry: Sendable, Equatable {
  var mask: String
  var setBy: String
  var time: Int
}

/// Channel settings by folded name, kept outside the room processes.
final class ChannelStore: Sendable {
  private let channels = Mutex<[String: ChannelState]>([:])

  func get(_ key: String) -> ChannelState? { channels.withLock { $0[key] } }
  func put(_ key: String, _ state: ChannelState) { channels.withLock { $0[key] = state } }
  func remove(_ key: String) { _ = channels.withLock { $0.removeValue(forKey: key) } }
  var all: [String: ChannelState] { channels.withLock { $0 } }
}
