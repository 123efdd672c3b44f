// The WebSocket protocol (RFC 6455) as chatd speaks it: a namespace for the frame codec,
// the message reader, the close codes and the server's output, each in its own file.
// The codec is written with BinaryMatch; everything above it is plain Swift.

/// RFC 6455 WebSocket, server side.
enum WebSocket {
  /// Frame opcodes (RFC 6455 §5.2). Values not listed are reserved: a frame carrying
  /// one is a protocol error.
  enum Opcode: UInt8, Sendable, CustomStringConvertible {
    case continuation = 0x0
    case text = 0x1
    case binary = 0x2
    case close = 0x8
    case ping = 0x9
    case pong = 0xA

    /// Close, ping and pong: never fragmented, at most 125 bytes of payload (§5.5).
    var isControl: Bool { rawValue & 0x8 != 0 }

    var description: String {
      switch self {
      case .continuation: "continuation"
      case .text: "text"
      case .binary: "binary"
      case .close: "close"
      case .ping: "ping"
      case .pong: "pong"
      }
    }
  }

  /// The largest payload of a control frame (§5.5).
  static let maxControlPayload = 125

  /// The subprotocols of the IRCv3 WebSocket specification: one IRC line per message,
  /// as text (valid UTF-8) or as binary (any bytes).
  static let textSubprotocol = "text.ircv3.net"
  static let binarySubprotocol = "binary.ircv3.net"
}
