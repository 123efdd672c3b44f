// The servers and networks chatbench knows how to start, and what differs between them
// when a run is set up (how many servers, how many connections in flight). Constants.

/// A server, or a network of linked servers, chatbench can start itself.
enum ManagedKind: String, CaseIterable, Sendable {
  case chatd, ngircd, inspircd
  /// chatbench-floor (built next to chatbench): the least a server can do for these
  /// clients — one epoll loop that only relays — as a yardstick, not a peer.
  case floor
  /// Two chatd nodes (`--cluster`) and the `redis-server` they share.
  case chatdNet = "chatd-net"
  /// Two ngIRCd linked with `[Server]` blocks.
  case ngircdNet = "ngircd-net"
  /// Two InspIRCd linked with m_spanningtree.
  case inspircdNet = "inspircd-net"

  /// What `--servers` means when it is not given: the single servers (a network needs
  /// more processes, and Redis for chatd-net, so it is asked for by name).
  static let singles: [ManagedKind] = [.chatd, .ngircd, .inspircd]

  /// Whether this is a network of linked servers.
  var isNetwork: Bool { servers > 1 }

  /// How many servers serve clients.
  var servers: Int {
    switch self {
    case .chatd, .ngircd, .inspircd, .floor: return 1
    case .chatdNet, .ngircdNet, .inspircdNet: return 2
    }
  }

  /// The single server a network is made of (chatd-net: chatd); itself for a single one.
  var single: ManagedKind {
    switch self {
    case .chatd, .chatdNet: return .chatd
    case .ngircd, .ngircdNet: return .ngircd
    case .inspircd, .inspircdNet: return .inspircd
    case .floor: return .floor
    }
  }

  /// Connections in flight during connect + register when none is given (run-peers.sh),
  /// per server: ngIRCd 26 listens with a backlog of 10 and accepts one connection per
  /// loop, so more overflow its accept queue; InspIRCd 3 completes registrations once a
  /// second, so it needs many.
  var defaultInflight: Int { (single == .ngircd ? 8 : 500) * servers }
}
