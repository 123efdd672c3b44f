// Moving a worker's sessions to its replacement during a reload: the old worker is
// asked, on its control socket, to hand every session to the new one and say how many
// went. Until workers can (a chatd that does not know the operation), nil: the old
// worker's stop then tells its clients to reconnect, and they come back through the
// listeners to the workers that serve.
import Actors
import Control

enum SessionHandOff {
  static func move(from old: String, to new: String, _ node: Node) async -> HandOffOutcome? {
    nil
  }
}
