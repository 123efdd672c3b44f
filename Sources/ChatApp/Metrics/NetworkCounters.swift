// What a chatd node of a network sends to the other nodes' relays and receives from
// them, counted per message (not per recipient) and by kind, for the metrics endpoint:
// the way to see that a channel's line crosses to a node once however many members sit
// there, and that a node with no member receives none of it.
//
// Writers: `sent` by whichever process calls `ChatNetwork.send` (a room's fan-out, a
// connection's line to one remote user, a room's mirror changes, the relay's
// introductions), one relaxed atomic add per message handed to a link; `received` by
// the relay, once per message it takes. Read by the metrics session.
import Synchronization

/// Messages between nodes, sent and received, by kind (`NetMessage.kind`).
final class NetworkCounters: Sendable {
  /// What a message between nodes carries, as the metrics label it.
  enum Kind: String, CaseIterable, Sendable {
    /// Lines for users of the receiving node (a broadcast line once per node, or a line
    /// for one user).
    case lines
    /// User records: introductions, changes, a user's end.
    case users
    /// Changes to the receiving node's copy of a channel homed on the sender.
    case mirror
    /// KILL and WALLOPS.
    case other
  }

  private let sentLines = Atomic<Int>(0)
  private let sentUsers = Atomic<Int>(0)
  private let sentMirror = Atomic<Int>(0)
  private let sentOther = Atomic<Int>(0)
  private let receivedLines = Atomic<Int>(0)
  private let receivedUsers = Atomic<Int>(0)
  private let receivedMirror = Atomic<Int>(0)
  private let receivedOther = Atomic<Int>(0)

  init() {}

  /// One message of `kind` handed to the link to another node.
  func sent(_ kind: Kind) { _ = with(sent: true, kind) { $0.wrappingAdd(1, ordering: .relaxed).newValue } }
  /// One message of `kind` taken by this node's relay.
  func received(_ kind: Kind) { _ = with(sent: false, kind) { $0.wrappingAdd(1, ordering: .relaxed).newValue } }

  /// Messages of `kind` sent so far.
  func sent(of kind: Kind) -> Int { with(sent: true, kind) { $0.load(ordering: .relaxed) } }
  /// Messages of `kind` received so far.
  func received(of kind: Kind) -> Int { with(sent: false, kind) { $0.load(ordering: .relaxed) } }

  /// Runs `body` on the counter of `kind` in one direction.
  private func with(sent: Bool, _ kind: Kind, _ body: (borrowing Atomic<Int>) -> Int) -> Int {
    switch (sent, kind) {
    case (true, .lines): body(sentLines)
    case (true, .users): body(sentUsers)
    case (true, .mirror): body(sentMirror)
    case (true, .other): body(sentOther)
    case (false, .lines): body(receivedLines)
    case (false, .users): body(receivedUsers)
    case (false, .mirror): body(receivedMirror)
    case (false, .other): body(receivedOther)
    }
  }
}
