// The load scenarios, with ircload.c's parameters (and its defaults for everything
// the scenarios leave open).

/// S1–S3 are chat runs (ircload's chat mode), S4 the idle-connection run (idle mode).
enum Scenario: String, CaseIterable, Sendable {
  case s1 = "S1"
  case s2 = "S2"
  case s3 = "S3"
  case s4 = "S4"

  /// What the issue says the scenario is.
  var summary: String {
    switch self {
    case .s1: return "300 clients, 1 room, 30 senders, 3 msg/s, 60 s (the Lingr figure)"
    case .s2: return "1,000 clients, 1 room, 100 senders, 100 msg/s, 30 s"
    case .s3: return "10,000 clients, 100 rooms, 1,000 senders, 1,000 msg/s, 30 s"
    case .s4: return "idle registered connections in steps up to the fd limit: server RSS per connection"
    }
  }

  /// The chat parameters, nil for S4.
  var chat: ChatParameters? {
    switch self {
    case .s1: return ChatParameters(clients: 300, rooms: 1, senders: 30, rate: 3, duration: 60)
    case .s2: return ChatParameters(clients: 1000, rooms: 1, senders: 100, rate: 100, duration: 30)
    case .s3: return ChatParameters(clients: 10_000, rooms: 100, senders: 1000, rate: 1000, duration: 30)
    case .s4: return nil
    }
  }
}

/// How clients connect and register (both modes).
struct ConnectParameters: Equatable, Sendable {
  /// Connections in the connect + register phase at once (ircload `--conn-inflight`);
  /// nil: the server's own default (8 for ngIRCd, 500 for the others, as run-peers.sh;
  /// 200 — ircload's default — for a server given with `--server`).
  var inflight: Int? = nil
  /// New connections per second at most; 0 = only the in-flight cap.
  var rate = 0.0
  /// A client that has not seen `001` this long after connect() counts as timed out.
  var registrationTimeout = 60.0
  /// Nick prefix: clients are `<prefix><id>`.
  var nickPrefix = "b"
  /// Loopback source addresses to spread connections over (empty: the kernel picks).
  var sources: [String] = []
}

/// A chat run: connect, join, send at a fixed total rate, drain.
struct ChatParameters: Equatable, Sendable {
  var clients: Int
  var rooms: Int
  /// The first `senders` joined clients send, in turn.
  var senders: Int
  /// Messages per second, all senders together.
  var rate: Double
  /// Seconds of sending.
  var duration: Double
  /// Bytes of text after the colon (numbers included, padded with `x`).
  var size = 100
  /// JOINs waiting for their `366` at once.
  var joinInflight = 50
  /// Seconds between the last join and the first message.
  var settle = 2.0
  /// The drain ends this long after the last copy arrived...
  var drainIdle = 3.0
  /// ...or this long after sending stopped.
  var drainMax = 30.0
  /// Room names are `<roomPrefix><n>`.
  var roomPrefix = "#r"
  /// Go on when not every client registered (ircload aborts the run).
  var allowPartial = false
  var connect = ConnectParameters()
}

/// An idle run (S4): registered connections without channels, added in steps.
struct IdleParameters: Equatable, Sendable {
  /// Total connections after each step; a last step at `maxConnections` is added.
  var steps = [1000, 5000, 10_000, 15_000, 19_000]
  /// Stop here at the latest. Within this process the open-file limit stops it first
  /// (20,000 here, with a few descriptors used by the node).
  var maxConnections = 100_000
  /// Seconds after each step before the server's RSS is read.
  var settle = 3.0
  /// Seconds to keep the connections open at the end.
  var hold = 3.0
  var connect = ConnectParameters(registrationTimeout: 20, nickPrefix: "a")

  /// The step targets as ircload takes them: those in (0, max], then max itself.
  var effectiveSteps: [Int] {
    var out = steps.filter { $0 > 0 && $0 <= maxConnections }
    if out.last != maxConnections { out.append(maxConnections) }
    return out
  }
}
