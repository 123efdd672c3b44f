// What every process of one run shares: where the server (or each server of a network)
// is, how clients talk, and the few live counters the driver watches while it drains.
import Synchronization
import TLS

/// Immutable settings of a run plus its live counters. Shared by the driver and every
/// client process (`Sendable`: constants and atomics only).
final class RunContext: Sendable {
  /// The servers (several: a network); see `endpoint(for:)`.
  let endpoints: [Endpoint]
  /// Rooms of the run (clients join room `id % rooms`): the stride of the spreading.
  let rooms: Int
  /// Loopback source addresses, client `i` uses `sources[i % count]` (empty: any).
  let sources: [String]
  let nickPrefix: String
  let roomPrefix: String
  /// Text bytes per message.
  let size: Int
  /// Sequence numbers at or above this are not ours (ircload's `max_msgs`).
  let maxMessages: UInt64
  /// Lines longer than this are dropped (ircload keeps 4 KiB per connection).
  let lineLimit: Int
  /// Seconds a connect() may take before the client counts as failed (the driver's
  /// registration timeout fires first).
  let connectTimeout: Double
  /// Print the 4xx/5xx lines clients get.
  let verbose: Bool
  /// IRC over TCP, or over WebSocket (then the endpoints are web ports).
  let transport: ChatTransport
  /// Where the WebSocket endpoint is (chatd: /ws).
  let webSocketPath = "/ws"
  /// Over TLS: the client context every client's session is made from (nil otherwise,
  /// or if OpenSSL could not make one: the clients then fail and say so).
  let tls: TLSContext?

  /// Receivers count copies only while this is set (cleared when the drain ends, as
  /// ircload stops reading then).
  let counting = Atomic<Bool>(true)
  /// Copies received so far (all clients).
  let received = Atomic<Int>(0)
  /// CLOCK_MONOTONIC µs of a recent receipt (for the drain's idle rule).
  let lastReceive = Atomic<UInt64>(0)

  init(
    endpoints: [Endpoint], rooms: Int = 1, sources: [String], nickPrefix: String, roomPrefix: String, size: Int,
    maxMessages: Int, connectTimeout: Double, verbose: Bool, transport: ChatTransport = .irc
  ) {
    precondition(!endpoints.isEmpty, "a run needs a server")
    self.endpoints = endpoints
    self.rooms = max(1, rooms)
    self.sources = sources
    self.nickPrefix = nickPrefix
    self.roomPrefix = roomPrefix
    self.size = size
    self.maxMessages = UInt64(max(0, maxMessages))
    self.lineLimit = max(4096, size + 1024)
    self.connectTimeout = connectTimeout
    self.verbose = verbose
    self.transport = transport
    self.tls = transport == .tls ? try? TLSContext.client() : nil
  }

  /// The server client `id` connects to: the members of each room, in the order of
  /// their ids (`id = room + k·rooms`), take the servers in turn — server `k % count`. So
  /// every room has members on every server, and a message's sender and receivers sit on
  /// different servers as often as not. With one room this is `id % count`.
  func endpoint(for id: Int) -> Endpoint { endpoints[(id / rooms) % endpoints.count] }
}
