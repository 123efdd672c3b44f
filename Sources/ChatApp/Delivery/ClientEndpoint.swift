// The delivery seam: where a client's lines go. Rooms, presence and other clients'
// connections hand lines to a client's endpoint and never look behind it. A plain IRC
// socket and a WebSocket output are today's endpoints; tests drive rooms and presence
// with in-memory ones; a member on another node will be one more. That a client has
// gone is learnt the Erlang way — by monitoring its process (`ClientHandle.pid`) — never
// from its endpoint.
import Actors

/// Takes lines for one client. Any process may call it, from any thread.
protocol ClientEndpoint: AnyObject, Sendable {
  /// Writes one serialised line (with its CR LF). False when the client can take no
  /// more (closing, closed, or cut off for a full SendQ).
  @discardableResult func send(line: [UInt8]) -> Bool
  /// Writes a broadcast line in the variant for a client with `caps`. The line keeps
  /// each variant it has made, so a thousand copies cost one serialisation.
  func deliver(_ line: TaggedLine, caps: Caps)
  /// How the client is connected (`irc`, `websocket`), for people: the observer's label.
  var transport: String { get }
}

/// A plain IRC client: lines go to its socket as they are. The socket queues what the
/// kernel does not take at once and closes at its SendQ watermark.
extension Socket: ClientEndpoint {
  @discardableResult func send(line: [UInt8]) -> Bool { send(line) != .closed }

  func deliver(_ line: TaggedLine, caps: Caps) { send(line.bytes(for: caps)) }

  var transport: String { "irc" }
}
