// Why a TLS handshake did not complete, in the few kinds an operator tells apart on a
// dashboard, read from OpenSSL's error queue (or from how the transport ended). The
// kinds are what `/metrics` labels failures with; the message says the rest.
internal import COpenSSL

/// The kind of a failed handshake.
public enum TLSFailure: String, CaseIterable, Sendable {
  /// What came was not TLS: plain IRC or HTTP on a TLS port, garbage, a scanner's probe.
  case notTLS = "not_tls"
  /// The client offered only protocol versions refused here (SSL 3, TLS 1.0, TLS 1.1).
  case protocolVersion = "protocol_version"
  /// No cipher suite or key-exchange group in common.
  case noSharedCipher = "no_shared_cipher"
  /// The peer sent an alert (a client that does not trust the certificate says so).
  case peerAlert = "peer_alert"
  /// The peer closed the connection before the handshake completed.
  case closedEarly = "closed_early"
  /// The connection was reset or failed before the handshake completed.
  case reset
  /// The handshake took longer than allowed (recorded by the socket's owner).
  case timeout
  /// This side closed the connection before the handshake completed (shutting down).
  case abandoned
  /// Anything else OpenSSL refused.
  case other

  /// The kind of the error OpenSSL reported last on this thread, and its words
  /// ("wrong version number"); nil words if the queue was empty.
  static func fromErrorQueue() -> (TLSFailure, String?) {
    let code = ERR_peek_last_error()
    guard code != 0 else { return (.other, nil) }
    let reason = otter_tls_error_reason(code)
    let words = ERR_reason_error_string(code).map { String(cString: $0) }
    return (classify(reason: reason), words)
  }

  /// The words of every error in this thread's queue, oldest first; the queue is emptied.
  static func drainErrorQueue() -> [String] {
    var all: [String] = []
    while case let code = ERR_get_error(), code != 0 {
      all.append(ERR_reason_error_string(code).map { String(cString: $0) } ?? "error \(otter_tls_error_reason(code))")
    }
    return all
  }

  /// The kind of an OpenSSL reason code.
  static func classify(reason: Int32) -> TLSFailure {
    if reason == SSL_R_TLSV1_ALERT_PROTOCOL_VERSION { return .protocolVersion }
    if reason >= otter_tls_alert_offset() { return .peerAlert }
    switch reason {
    case SSL_R_WRONG_VERSION_NUMBER, SSL_R_HTTP_REQUEST, SSL_R_HTTPS_PROXY_REQUEST, SSL_R_PACKET_LENGTH_TOO_LONG,
      SSL_R_UNKNOWN_PROTOCOL, SSL_R_RECORD_LENGTH_MISMATCH, SSL_R_BAD_PACKET, SSL_R_LENGTH_MISMATCH,
      SSL_R_UNEXPECTED_MESSAGE, SSL_R_UNEXPECTED_RECORD, SSL_R_UNSUPPORTED_SSL_VERSION:
      return .notTLS
    case SSL_R_UNSUPPORTED_PROTOCOL, SSL_R_VERSION_TOO_LOW:
      return .protocolVersion
    case SSL_R_NO_SHARED_CIPHER, SSL_R_NO_SHARED_GROUPS, SSL_R_NO_SUITABLE_KEY_SHARE, SSL_R_NO_CIPHERS_AVAILABLE:
      return .noSharedCipher
    default:
      return .other
    }
  }
}
