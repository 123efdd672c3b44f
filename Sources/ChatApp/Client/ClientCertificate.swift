// The seam between TLS and accounts: a connection's client certificate, as the SHA-256
// fingerprint of its DER form (64 lowercase hex digits), for SASL EXTERNAL and NickServ
// CERT ADD. Plain TCP has none, so today it is always nil; the TLS transport sets it
// once its handshake is done (`State.certificateFingerprint`), and EXTERNAL works from
// then on with nothing else to change. Writer: the connection process (its state).

extension Connection.State {
  /// The client certificate's SHA-256 fingerprint (hex), if the client showed one.
  var certificateFingerprint: String? {
    get { rare?.certificateFingerprint }
    set { if newValue != nil || rare != nil { rareBox.certificateFingerprint = newValue } }
  }
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
