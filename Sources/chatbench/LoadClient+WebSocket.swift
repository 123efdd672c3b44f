// A load client over WebSocket: after connect it sends the upgrade request, checks the
// 101, then registers; from then on the server's text messages go to the same line
// handling as IRC lines (each a slice of the read buffer), its pings are answered with
// pongs and its close frame is answered and ends the client.
import Actors
import Foundation

/// The WebSocket side of one load client.
struct WebSocketState {
  /// The Sec-WebSocket-Key sent.
  let key: String
  /// The response head as it arrives; nil once the handshake is done.
  var head: [UInt8]? = []
  var stream: WebSocketStream
  var keys: MaskKeys

  init(id: Int, lineLimit: Int) {
    let seed = UInt64(truncatingIfNeeded: id) &+ MonotonicClock.microseconds() &* 0x9E37_79B9_7F4A_7C15
    key = WebSocketUpgrade.key(id: id, seed: seed)
    stream = WebSocketStream(maxMessage: lineLimit)
    keys = MaskKeys(seed: seed ^ 0xD1B5_4A32_D192_ED03)
  }
}

extension LoadClient {
  /// Bytes from the server. Returns why the client must end, or nil.
  mutating func webSocketData(_ bytes: [UInt8], _ socket: Socket) -> String? {
    guard webSocket != nil else { return nil }
    var data = bytes
    if var head = webSocket!.head {
      head += bytes
      guard let end = WebSocketUpgrade.headEnd(in: head) else {
        if head.count > WebSocketUpgrade.maxHeadLength { return "handshake response head over \(WebSocketUpgrade.maxHeadLength) bytes" }
        webSocket!.head = head
        return nil
      }
      if let problem = WebSocketUpgrade.check(head: head[..<end], key: webSocket!.key) { return problem }
      webSocket!.head = nil
      data = Array(head[end...])
      write(socket, OutgoingLines.registration(prefix: run.nickPrefix, id: id))
      if data.isEmpty { return nil }
    }
    // The stream is taken out while its items are handled (the handlers change `self`)
    // and put back after; an empty stream holds no storage.
    var stream = webSocket!.stream
    webSocket!.stream = WebSocketStream(maxMessage: stream.maxMessage)
    defer { webSocket?.stream = stream }
    stream.append(data)
    while let item = stream.next() {
      switch item {
      case .message(let range):
        let buffer = stream.buffer  // a reference, not a copy
        buffer.withUnsafeBufferPointer { b in
          var end = range.upperBound
          // One line per message; a line end, if a server sends one, is not part of it.
          while end > range.lowerBound && (b[end - 1] == 0x0A || b[end - 1] == 0x0D) { end -= 1 }
          onLine(UnsafeBufferPointer(rebasing: b[range.lowerBound..<end]), socket)
        }
      case .joined(let message):
        message.withUnsafeBufferPointer { onLine($0, socket) }
      case .ping(let payload):
        socket.send(WebSocketFrames.control(WebSocketFrames.pong, payload, keys: &webSocket!.keys))
      case .pong:
        break
      case .close(let code):
        // Answer with the same code (§5.5.1), then end.
        let payload = code.map { [UInt8($0 >> 8), UInt8(truncatingIfNeeded: $0)] } ?? []
        socket.send(WebSocketFrames.control(WebSocketFrames.close, payload, keys: &webSocket!.keys))
        return "server sent a close frame (code \(code.map(String.init) ?? "none"), state \(phase.rawValue))"
      case .failure(let why):
        return "WebSocket: \(why)"
      }
    }
    return nil
  }
}
