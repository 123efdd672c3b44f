// Where accounts meet TLS: a connection's client certificate, as the SHA-256 fingerprint
// of its DER form (64 lowercase hex digits), for SASL EXTERNAL and NickServ CERT ADD. The
// TLS session (`ClientHandle.tls`, Server/ChatTLS.swift) has it once its handshake is
// done — before the client can send a line — and plain TCP has none. Read-only here:
// the session is the TLS side's.

extension Connection.State {
  /// The client certificate's SHA-256 fingerprint (hex), if the client showed one.
  var certificateFingerprint: String? { client.tls?.peerCertificateFingerprint }
}

/// Certificate fingerprints as accounts keep them.
enum CertificateFingerprint {
  /// `fingerprint` as stored (lowercase hex, no colons), if it is a SHA-256 one: 64 hex
  /// digits, with or without colons between pairs, in either case.
  static func normalized(_ fingerprint: String) -> String? {
    let hex = fingerprint.lowercased().filter { $0 != ":" }
    guard hex.utf8.count == 64, hex.allSatisfy({ $0.isHexDigit }) else { return nil }
    return hex
  }
}
