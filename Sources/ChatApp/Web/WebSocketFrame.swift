// WebSocket frames the server sends (RFC 6455 §5.2): unmasked, never fragmented.

enum WebSocketFrame {
  /// Opcodes.
  static let text: UInt8 = 0x1
  static let close: UInt8 = 0x8
  static let ping: UInt8 = 0x9
  static let pong: UInt8 = 0xA

  /// A complete frame: FIN, `opcode`, the payload length in its shortest form.
  static func frame(opcode: UInt8, payload: some Collection<UInt8>) -> [UInt8] {
    var out: [UInt8] = [0x80 | opcode]
    let n = payload.count
    out.reserveCapacity(n + 10)
    if n < 126 {
      out.append(UInt8(n))
    } else if n <= 0xFFFF {
      out.append(126)
      out.append(UInt8(n >> 8))
      out.append(UInt8(n & 0xFF))
    } else {
      out.append(127)
      for shift in stride(from: 56, through: 0, by: -8) { out.append(UInt8((UInt64(n) >> UInt64(shift)) & 0xFF)) }
    }
    out.append(contentsOf: payload)
    return out
  }

  /// An IRC line as a text message: the line without its CR LF (IRCv3 WebSocket).
  static func textFrame(line: [UInt8]) -> [UInt8] {
    var end = line.count
    while end > 0 && (line[end - 1] == 0x0A || line[end - 1] == 0x0D) { end -= 1 }
    return frame(opcode: text, payload: line[0..<end])
  }
}
