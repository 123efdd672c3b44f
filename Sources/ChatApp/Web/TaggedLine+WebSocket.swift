// A broadcast line's WebSocket frames, made once per tag variant and framing: a message
// to a room of a thousand WebSocket members is framed (CR LF dropped, UTF-8 checked,
// header built with BinaryMatch, payload copied) once, not a thousand times — the copies
// then cost what an IRC client's do, one `Socket.send` of a shared buffer.

extension TaggedLine {
  /// The frame of `bytes(for: caps)` for an output with `binary`, made on first use.
  func frame(for caps: Caps, binary: Bool) -> [UInt8] {
    let i = variant(for: caps) * 2 + (binary ? 1 : 0)
    if let f = webSocketFrames[i] { return f }
    let f = WebSocket.Output.frame(line: bytes(for: caps), binary: binary)
    webSocketFrames[i] = f
    return f
  }
}

/// A WebSocket client's endpoint: each line in a message of its own.
extension WebSocket.Output: ClientEndpoint {
  func deliver(_ line: TaggedLine, caps: Caps) { send(frame: line.frame(for: caps, binary: binary)) }

  var transport: String { "websocket" }
}
