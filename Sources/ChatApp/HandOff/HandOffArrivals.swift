// Sessions handed over by another node, between their socket's arrival and their
// connection's start: the receiver (HandOffReceiver.swift) puts one here under its
// socket and starts a connection under the connection supervisor with that socket; the
// connection takes it out as it initializes and starts as that client
// (Connection+Arrival.swift). Writer: the receivers (put) and the connections (take).
import Actors
import Synchronization

/// Arrivals waiting for their connection, by socket.
final class HandOffArrivals: Sendable {
  private let waiting = Locked<[UInt64: Arrival]>([:])

  /// `arrival` is for the connection that will be started with `socket`.
  func expect(_ arrival: Arrival, on socket: Socket) { waiting.withLock { $0[socket.id] = arrival } }

  /// The arrival for a connection starting with `socket`, if it is one.
  func take(for socket: Socket) -> Arrival? { waiting.withLock { $0.removeValue(forKey: socket.id) } }
}
