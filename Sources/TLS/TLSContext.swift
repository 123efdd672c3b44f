// An OpenSSL context (SSL_CTX) with Otter's settings — TLS 1.2 and 1.3 only, AEAD ciphers
// with ephemeral ECDH key exchange (AES-GCM, ChaCha20-Poly1305), the server's order of
// preference, no compression, no renegotiation, no session resumption (chat connections
// last: a full handshake per connection costs less than keeping and rotating ticket
// keys) — and, for a server, its certificate chain and key, checked to belong together.
// Immutable once made: sessions are made from it on any thread (SSL_new only reads it).
// A reload makes a new context; sessions made from the old one keep it alive (OpenSSL
// counts its references), so existing connections keep the certificate they shook
// hands with.
internal import COpenSSL
import Glibc

/// A TLS configuration sessions are made from: a server's (certificate and key) or a
/// client's (which verifies nothing: a load generator and tests talk to servers with
/// self-signed certificates).
///
/// `@unchecked Sendable`: the SSL_CTX is never changed after `init`, and OpenSSL lets
/// any thread make sessions from an unchanging context.
public final class TLSContext: @unchecked Sendable {
  /// Cipher suites for TLS 1.2, in the server's order (Mozilla's "intermediate" list
  /// without finite-field Diffie-Hellman): forward secrecy and AEAD only.
  public static let tls12Ciphers =
    "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384:"
    + "ECDHE-RSA-AES256-GCM-SHA384:ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305"
  /// Cipher suites for TLS 1.3 (all of them AEAD by design).
  public static let tls13Ciphers = "TLS_AES_128_GCM_SHA256:TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256"
  /// Key-exchange groups, preferred first.
  public static let groups = "X25519:P-256:P-384"

  /// The SSL_CTX.
  let handle: OpaquePointer
  /// Whether sessions made from it are servers.
  public let isServer: Bool
  /// A server's certificate (the first of its chain).
  public let certificate: TLSCertificateInfo?

  private init(handle: OpaquePointer, isServer: Bool, certificate: TLSCertificateInfo?) {
    self.handle = handle
    self.isServer = isServer
    self.certificate = certificate
  }

  deinit { SSL_CTX_free(handle) }

  /// A server context presenting the PEM certificate chain in `certificateFile` (the
  /// server's certificate first, then its intermediates) with the PEM private key in
  /// `keyFile` (which may be the same file). A key with a passphrase is refused, never
  /// asked for. Throws an error that names the file and what is wrong with it.
  public static func server(certificateFile: String, keyFile: String) throws(TLSConfigurationError) -> TLSContext {
    try readable("certificate file", certificateFile)
    try readable("key file", keyFile)
    let ctx = try make(TLS_server_method())
    ERR_clear_error()
    guard SSL_CTX_use_certificate_chain_file(ctx, certificateFile) == 1 else {
      let all = TLSFailure.drainErrorQueue()
      SSL_CTX_free(ctx)
      if all.contains("no start line") {
        throw TLSConfigurationError(
          .invalid,
          "the TLS certificate file \(certificateFile) holds no PEM certificate (it should begin with -----BEGIN CERTIFICATE-----)")
      }
      throw TLSConfigurationError(
        .invalid, "the TLS certificate file \(certificateFile) is not a usable PEM certificate chain: \(all.last ?? "unknown error")")
    }
    guard SSL_CTX_use_PrivateKey_file(ctx, keyFile, SSL_FILETYPE_PEM) == 1, SSL_CTX_check_private_key(ctx) == 1 else {
      let all = TLSFailure.drainErrorQueue()
      SSL_CTX_free(ctx)
      throw keyProblem(all, keyFile: keyFile, certificateFile: certificateFile)
    }
    let info = SSL_CTX_get0_certificate(ctx).map(TLSCertificateInfo.init)
    return TLSContext(handle: ctx, isServer: true, certificate: info)
  }

  /// A client context: the same protocol versions and ciphers, no verification of the
  /// server's certificate.
  public static func client() throws(TLSConfigurationError) -> TLSContext {
    TLSContext(handle: try make(TLS_client_method()), isServer: false, certificate: nil)
  }

  /// A client context that presents the certificate and key in the given PEM files (a
  /// client certificate, which identifies its holder by its fingerprint).
  public static func client(certificateFile: String, keyFile: String) throws(TLSConfigurationError) -> TLSContext {
    try readable("certificate file", certificateFile)
    try readable("key file", keyFile)
    let ctx = try make(TLS_client_method())
    ERR_clear_error()
    guard SSL_CTX_use_certificate_chain_file(ctx, certificateFile) == 1,
      SSL_CTX_use_PrivateKey_file(ctx, keyFile, SSL_FILETYPE_PEM) == 1, SSL_CTX_check_private_key(ctx) == 1
    else {
      let all = TLSFailure.drainErrorQueue()
      SSL_CTX_free(ctx)
      throw keyProblem(all, keyFile: keyFile, certificateFile: certificateFile)
    }
    let info = SSL_CTX_get0_certificate(ctx).map(TLSCertificateInfo.init)
    return TLSContext(handle: ctx, isServer: false, certificate: info)
  }

  /// A session for one connection, to give its socket (`Socket.secure(with:)`). A server
  /// session asks the client for a certificate if `requestClientCertificate` (optional,
  /// and accepted whoever signed it: its fingerprint is what identifies the client).
  /// Its handshake's outcome is counted in `counters`. Nil if OpenSSL is out of memory.
  public func makeSession(requestClientCertificate: Bool = false, counters: TLSCounters? = nil) -> TLSSession? {
    guard let ssl = otter_tls_new(handle) else { return nil }
    if isServer {
      SSL_set_accept_state(ssl)
      if requestClientCertificate { otter_tls_request_client_certificate(ssl) }
    } else {
      SSL_set_connect_state(ssl)
    }
    return TLSSession(ssl: ssl, isServer: isServer, counters: counters)
  }

  // MARK: - Making

  private static func make(_ method: OpaquePointer?) throws(TLSConfigurationError) -> OpaquePointer {
    guard let method, let ctx = SSL_CTX_new(method) else {
      throw TLSConfigurationError(.library, "OpenSSL could not make a TLS context (out of memory?)")
    }
    otter_tls_ctx_options(ctx)
    otter_tls_ctx_release_buffers(ctx)
    otter_tls_ctx_no_session_cache(ctx)
    otter_tls_ctx_refuse_passphrases(ctx)
    SSL_CTX_set_num_tickets(ctx, 0)
    guard otter_tls_ctx_min_version(ctx, TLS1_2_VERSION) == 1, SSL_CTX_set_cipher_list(ctx, tls12Ciphers) == 1,
      SSL_CTX_set_ciphersuites(ctx, tls13Ciphers) == 1, otter_tls_ctx_groups(ctx, groups) == 1
    else {
      let (_, words) = TLSFailure.fromErrorQueue()
      ERR_clear_error()
      SSL_CTX_free(ctx)
      throw TLSConfigurationError(.library, "OpenSSL refused Otter's TLS settings: \(words ?? "unknown error")")
    }
    return ctx
  }

  /// Throws if `path` cannot be opened for reading: OpenSSL's own words for that
  /// ("system lib") would not say which file or why.
  private static func readable(_ what: String, _ path: String) throws(TLSConfigurationError) {
    let fd = open(path, O_RDONLY | O_CLOEXEC)
    guard fd >= 0 else { throw .unreadable(what, path, errno: errno) }
    var st = stat()
    let isDirectory = fstat(fd, &st) == 0 && (st.st_mode & S_IFMT) == S_IFDIR
    close(fd)
    if isDirectory { throw .unreadable(what, path, errno: EISDIR) }
  }

  private static func keyProblem(_ errors: [String], keyFile: String, certificateFile: String) -> TLSConfigurationError {
    let passphrase: Set = ["bad decrypt", "problems getting password", "bad password read", "interrupted or cancelled"]
    if errors.contains(where: passphrase.contains) {
      return TLSConfigurationError(
        .invalid,
        "the TLS key file \(keyFile) is protected by a passphrase, which chatd cannot type: "
          + "write it out without one (openssl pkey -in \(keyFile) -out NEW.key) and keep that file readable by this user only")
    }
    if errors.contains("key values mismatch") {
      return TLSConfigurationError(
        .invalid,
        "the TLS key in \(keyFile) does not belong to the certificate in \(certificateFile) (give the key the certificate was made for)")
    }
    // OpenSSL 3's decoders say "unsupported" when nothing in the file is a key they know.
    switch errors.last {
    case "no start line", "unsupported", "PEM lib":
      return TLSConfigurationError(
        .invalid,
        "the TLS key file \(keyFile) holds no PEM private key OpenSSL can read (it should hold a block such as -----BEGIN PRIVATE KEY-----)"
      )
    default:
      return TLSConfigurationError(
        .invalid, "the TLS key file \(keyFile) is not a usable PEM private key: \(errors.joined(separator: ", "))")
    }
  }
}
