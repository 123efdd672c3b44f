// Where a connection stands in a session hand-off (docs/HANDOFF.md): leaving this node
// or arriving on it. Kept in the connection's rarely needed state (`Connection.Rare`):
// most connections never move. Owner: the connection process.

/// A connection's part in a hand-off, while it lasts.
enum HandOffState {
  /// Its session is moving to another node.
  case departing(Departure)
  /// It took over a session from another node, which is not done yet.
  case arriving(Arrival)
}
