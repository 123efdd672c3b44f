// How a load client talks to the server: plain IRC over TCP, IRC over TLS (the server's
// TLS port; the client checks no certificate, as a load tool against a bench's
// self-signed one), or IRC over WebSocket (the IRCv3 WebSocket spec: one IRC line per
// text message, subprotocol text.ircv3.net, after an HTTP/1.1 upgrade on /ws).
// Everything above the transport — registration, joins, messages, accounting — is the
// same for all three.

enum ChatTransport: String, CaseIterable, Sendable {
  case irc
  case websocket
  case tls

  /// The suffix of a measurement's column name ("chatd", "chatd ws", "chatd tls").
  var columnSuffix: String { self == .irc ? "" : " " + shortName }

  /// How ratio titles name it ("chatd tls/irc").
  var shortName: String {
    switch self {
    case .irc: "irc"
    case .websocket: "ws"
    case .tls: "tls"
    }
  }
}
