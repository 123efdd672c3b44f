// An in-memory client endpoint: what a room or presence sent to a client, kept as
// parsed IRC messages for a test to read. No socket anywhere.
import Actors
import Synchronization

@testable import ChatApp

final class MemoryEndpoint: ClientEndpoint {
  private let received = Locked<[IRCMessage]>([])
  /// Everything delivered as one variant: a test asks for the capabilities it wants.
  let open = Atomic<Bool>(true)

  @discardableResult
  func send(line: [UInt8]) -> Bool {
    guard open.load(ordering: .relaxed) else { return false }
    var bytes = line
    while let last = bytes.last, last == 0x0A || last == 0x0D { bytes.removeLast() }
    guard let message = try? IRCMessage.parse(bytes) else { return true }
    received.withLock { $0.append(message) }
    return true
  }

  func deliver(_ line: TaggedLine, caps: Caps) { send(line: line.bytes(for: caps)) }

  var transport: String { "memory" }

  /// Everything received so far, and forgets it.
  func take() -> [IRCMessage] {
    received.withLock { r in
      defer { r = [] }
      return r
    }
  }
  /// Everything received so far.
  var messages: [IRCMessage] { received.withLock { $0 } }
  /// The commands (or numerics) received so far.
  var commands: [String] { messages.map(\.command) }
}
