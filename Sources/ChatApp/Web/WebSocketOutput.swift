// The sending half of a WebSocket connection, shared like the socket it writes to:
// rooms write lines to a client from their own processes, so this is a Sendable class.
// After the close frame has gone out nothing more may be sent (RFC 6455 §5.5.1), and an
// atomic flag makes sure of that whichever process tries.
import Actors
import Synchronization

extension WebSocket {
  /// Frames IRC lines for one client and writes them to its socket.
  final class Output: Sendable {
    let socket: Socket
    /// binary.ircv3.net: lines go as binary messages, bytes as they are. Otherwise
    /// (text.ircv3.net, or no subprotocol) as text, repaired to valid UTF-8.
    let binary: Bool
    private let closed = Atomic<Bool>(false)

    init(socket: Socket, binary: Bool) {
      self.socket = socket
      self.binary = binary
    }

    /// Whether the close frame has been sent.
    var isClosed: Bool { closed.load(ordering: .acquiring) }

    /// Sends one IRC line (its CR LF, if any, is dropped: one line per message).
    /// False when the connection is closing or closed.
    @discardableResult
    func send(line: [UInt8]) -> Bool {
      guard !isClosed else { return false }
      return socket.send(Output.frame(line: line, binary: binary)) != .closed
    }

    /// Sends a frame made by `frame(line:binary:)` for this output's `binary`: a
    /// broadcast makes it once for all its copies (`TaggedLine.frame(for:binary:)`).
    @discardableResult
    func send(frame: [UInt8]) -> Bool {
      guard !isClosed else { return false }
      return socket.send(frame) != .closed
    }

    /// The message that carries one IRC line: without its CR LF, as a binary message,
    /// or as text repaired to valid UTF-8.
    static func frame(line: [UInt8], binary: Bool) -> [UInt8] {
      var end = line.count
      while end > 0 && (line[end - 1] == 0x0A || line[end - 1] == 0x0D) { end -= 1 }
      if binary { return Codec.shared.encode(.binary, line[0..<end]) }
      return Codec.shared.encode(.text, UTF8Validation.repaired(Array(line[0..<end])))
    }

    /// Answers a ping with a pong carrying the same payload (§5.5.3).
    func pong(_ payload: [UInt8]) {
      guard !isClosed else { return }
      socket.send(Codec.shared.encode(.pong, payload))
    }

    /// Sends the close frame, once: `code` and a reason cut to fit the 125-byte control
    /// payload at a character boundary. Returns false if it had been sent already.
    @discardableResult
    func close(_ code: CloseCode, reason: String = "") -> Bool {
      guard !closed.exchange(true, ordering: .acquiringAndReleasing) else { return false }
      var payload = [UInt8(code.rawValue >> 8), UInt8(code.rawValue & 0xFF)]
      var text = Substring(reason)
      while text.utf8.count > maxControlPayload - 2 { text = text.dropLast() }
      payload += Array(text.utf8)
      socket.send(Codec.shared.encode(.close, payload))
      return true
    }
  }
}
