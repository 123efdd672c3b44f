// How a load client talks to the server: plain IRC over TCP, or IRC over WebSocket (the
// IRCv3 WebSocket spec: one IRC line per text message, subprotocol text.ircv3.net, after
// an HTTP/1.1 upgrade on /ws). Everything above the transport — registration, joins,
// messages, accounting — is the same for both.

enum ChatTransport: String, CaseIterable, Sendable {
  case irc
  case websocket

  /// The suffix of a measurement's column name ("chatd", "chatd ws").
  var columnSuffix: String { self == .irc ? "" : " ws" }
}
