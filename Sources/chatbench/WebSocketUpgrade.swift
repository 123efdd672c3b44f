// The client's side of the WebSocket opening handshake (RFC 6455 §4.1): the HTTP/1.1
// upgrade request a load client writes, and the checks its answer must pass — status
// 101, Upgrade: websocket, Connection: Upgrade, the Sec-WebSocket-Accept computed from
// the key sent, and the text.ircv3.net subprotocol.
import Foundation
import WebSocketAccept

enum WebSocketUpgrade {
  /// The IRCv3 subprotocol chatbench asks for: one IRC line per text message.
  static let subprotocol = "text.ircv3.net"
  /// The most bytes of response head read before giving up.
  static let maxHeadLength = 8192

  /// A Sec-WebSocket-Key: 16 bytes in base64. The RFC wants them random per connection;
  /// the server only echoes a hash of them, so a key from the client id and a seed does.
  static func key(id: Int, seed: UInt64) -> String {
    var x = seed ^ UInt64(truncatingIfNeeded: id) &* 0x9E37_79B9_7F4A_7C15
    var bytes: [UInt8] = []
    for _ in 0..<2 {
      x = MaskKeys.step(x)
      for i in 0..<8 { bytes.append(UInt8(truncatingIfNeeded: x >> UInt64(8 * i))) }
    }
    return Data(bytes).base64EncodedString()
  }

  /// Sec-WebSocket-Accept for `key`: base64(SHA-1(key + GUID)) (§4.2.2).
  static func accept(forKey key: String) -> String { AcceptKey.forKey(key) }

  /// `GET <path> HTTP/1.1` with the upgrade headers.
  static func request(host: String, port: Int, path: String, key: String) -> [UInt8] {
    Array(
      ("GET \(path) HTTP/1.1\r\n" + "Host: \(host):\(port)\r\n" + "Upgrade: websocket\r\n" + "Connection: Upgrade\r\n"
        + "Sec-WebSocket-Key: \(key)\r\n" + "Sec-WebSocket-Version: 13\r\n" + "Sec-WebSocket-Protocol: \(subprotocol)\r\n" + "\r\n").utf8)
  }

  /// The length of the response head (through its blank line) at the start of `bytes`,
  /// or nil if it has not all arrived.
  static func headEnd(in bytes: [UInt8]) -> Int? {
    guard bytes.count >= 4 else { return nil }
    for i in 0...(bytes.count - 4) where bytes[i] == 0x0D && bytes[i + 1] == 0x0A && bytes[i + 2] == 0x0D && bytes[i + 3] == 0x0A {
      return i + 4
    }
    return nil
  }

  /// Checks the server's answer to a request sent with `key`: nil when the connection is
  /// a WebSocket speaking text.ircv3.net, else what is wrong.
  static func check(head: some Collection<UInt8>, key: String) -> String? {
    let text = String(decoding: head, as: UTF8.self)
    let lines = text.split(separator: "\r\n", omittingEmptySubsequences: true)
    guard let status = lines.first else { return "empty handshake response" }
    let parts = status.split(separator: " ", maxSplits: 2)
    guard parts.count >= 2, parts[0].hasPrefix("HTTP/1."), parts[1] == "101" else {
      return "handshake refused: \(status.prefix(200))"
    }
    var headers: [String: String] = [:]
    for line in lines.dropFirst() {
      guard let colon = line.firstIndex(of: ":") else { return "bad header line in handshake response: \(line.prefix(200))" }
      let name = line[..<colon].lowercased()
      let value = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
      headers[name] = headers[name].map { $0 + ", " + value } ?? value
    }
    func tokens(_ name: String) -> [String] {
      (headers[name] ?? "").split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces).lowercased() }
    }
    guard tokens("upgrade").contains("websocket") else { return "handshake response without Upgrade: websocket" }
    guard tokens("connection").contains("upgrade") else { return "handshake response without Connection: Upgrade" }
    let expected = accept(forKey: key)
    guard headers["sec-websocket-accept"] == expected else {
      return "Sec-WebSocket-Accept is '\(headers["sec-websocket-accept"] ?? "(missing)")', expected '\(expected)'"
    }
    guard headers["sec-websocket-protocol"] == subprotocol else {
      return "the server did not agree to \(subprotocol) (Sec-WebSocket-Protocol: \(headers["sec-websocket-protocol"] ?? "(missing)"))"
    }
    return nil
  }
}
