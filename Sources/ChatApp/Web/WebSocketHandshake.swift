// The server's side of the opening handshake (RFC 6455 §4.2): checks an upgrade
// request, picks the subprotocol, and computes Sec-WebSocket-Accept. A request that
// fails gets the 4xx the RFC names (400, or 426 with the version chatd speaks).
import Actors
import Foundation
import WebSocketAccept

extension WebSocket {
  /// An accepted handshake.
  struct Handshake: Equatable, Sendable {
    /// The Sec-WebSocket-Accept value.
    let accept: String
    /// The subprotocol chosen from the client's list, if it offered any chatd speaks.
    let subprotocol: String?
    /// Whether lines travel as binary messages (binary.ircv3.net).
    var binary: Bool { subprotocol == WebSocket.binarySubprotocol }

    /// Sec-WebSocket-Accept for `key`: base64(SHA-1(key + GUID)).
    static func accept(forKey key: String) -> String { AcceptKey.forKey(key) }

    /// Checks `request` as an opening handshake; throws the answer when it is not one.
    init(_ request: HTTPRequest) throws(HTTPError) {
      guard request.method == "GET" else {
        throw HTTPError(405, "a WebSocket handshake is a GET", headers: [("Allow", "GET")])
      }
      guard request.minorVersion >= 1 else { throw HTTPError(400, "a WebSocket handshake needs HTTP/1.1") }
      guard request.tokens("upgrade").contains("websocket") else {
        throw HTTPError(
          426, "this is a WebSocket endpoint: send Upgrade: websocket",
          headers: [("Upgrade", "websocket")])
      }
      guard request.tokens("connection").contains("upgrade") else {
        throw HTTPError(400, "Upgrade: websocket without Connection: Upgrade")
      }
      guard request.header("sec-websocket-version")?.trimmingSpaces == "13" else {
        throw HTTPError(426, "unsupported Sec-WebSocket-Version (13 is supported)", headers: [("Sec-WebSocket-Version", "13")])
      }
      guard let key = request.header("sec-websocket-key")?.trimmingSpaces,
        let decoded = Data(base64Encoded: key), decoded.count == 16
      else {
        throw HTTPError(400, "Sec-WebSocket-Key must be 16 bytes in base64")
      }
      let offered = request.tokens("sec-websocket-protocol")
      // The client's first preference that chatd speaks.
      if let known = offered.first(where: { $0 == WebSocket.textSubprotocol || $0 == WebSocket.binarySubprotocol }) {
        subprotocol = known
      } else {
        // No subprotocol, or none chatd knows: text it is. A client that insists on one
        // of its own sees the missing header and closes (§4.1).
        subprotocol = nil
      }
      accept = Handshake.accept(forKey: key)
    }
  }

  /// A socket whose handshake is done, on its way to its connection process. A class:
  /// the connection keeps one reference to it, not its fields (IRC connections keep nil).
  final class Upgrade: Sendable {
    let socket: Socket
    let binary: Bool
    /// Bytes that came after the request head (frames sent early): read first.
    let pending: [UInt8]
    /// The account the request's login session cookie named: the connection is logged
    /// in to it when its registration completes, as if by SASL (900).
    let account: AccountInfo?

    init(socket: Socket, binary: Bool, pending: [UInt8], account: AccountInfo? = nil) {
      self.socket = socket
      self.binary = binary
      self.pending = pending
      self.account = account
    }
  }
}
