// chatd's TLS: the certificate and key its TLS listeners present (IRC on `--tls`, HTTPS
// and WSS on `--web-tls`), read before anything starts and again on SIGHUP, and each
// listener's handshake counters for /metrics. A reload makes a new context and swaps
// it in: new handshakes use it, while every session made from the old one keeps it (an
// existing connection is never touched); a reload that fails keeps the old one.
//
// Owner: the reload (SIGHUP's watcher thread, or `ChatServer.reloadCertificates`) alone
// writes the current context, under its lock; listeners read it once per connection.
// The counters are written by the sessions (TLS/TLSCounters.swift) and read by /metrics.
// The key's bytes are only ever in OpenSSL's memory: nothing here keeps or prints them.
import Actors
import Glibc
import Synchronization
import TLS

final class ChatTLS: Sendable {
  /// The listeners that speak TLS.
  enum Listener: String, CaseIterable, Sendable {
    /// IRC over TLS (`--tls`): asks clients for a certificate (optional, unverified),
    /// whose fingerprint identifies them.
    case irc
    /// HTTPS and WSS (`--web-tls`): asks for none (a browser would show a picker).
    case web
  }

  let certificateFile: String
  let keyFile: String
  private let current: Mutex<TLSContext>
  private let ircCounters = TLSCounters()
  private let webCounters = TLSCounters()
  /// Reloads that took, and that failed and kept the old certificate.
  let reloads = Atomic<Int>(0)
  let failedReloads = Atomic<Int>(0)

  /// Reads the certificate and key `config` names. Throws what is wrong with them.
  init(_ config: ChatConfig) throws(TLSConfigurationError) {
    certificateFile = config.tlsCertificateFile ?? ""
    keyFile = config.tlsKeyFile ?? certificateFile
    current = Mutex(try TLSContext.server(certificateFile: certificateFile, keyFile: keyFile))
  }

  /// The certificate presented now.
  var certificate: TLSCertificateInfo? { current.withLock { $0.certificate } }

  /// A session for a connection accepted on `listener`; nil if OpenSSL is out of memory.
  func session(for listener: Listener) -> TLSSession? {
    let context = current.withLock { $0 }
    return context.makeSession(requestClientCertificate: listener == .irc, counters: counters(listener))
  }

  /// The handshake counters of `listener`.
  func counters(_ listener: Listener) -> TLSCounters {
    switch listener {
    case .irc: ircCounters
    case .web: webCounters
    }
  }

  /// Reads the files again; on success new handshakes present what they hold now.
  /// Blocking file reads: called from SIGHUP's watcher thread, never a scheduler's.
  @discardableResult
  func reload() throws(TLSConfigurationError) -> TLSCertificateInfo? {
    let fresh: TLSContext
    do {
      fresh = try TLSContext.server(certificateFile: certificateFile, keyFile: keyFile)
    } catch {
      failedReloads.add(1, ordering: .relaxed)
      throw error
    }
    current.withLock { $0 = fresh }
    reloads.add(1, ordering: .relaxed)
    return fresh.certificate
  }

  /// What an operator should hear about the files besides that they loaded: a key
  /// others may read, a certificate that has expired.
  var warnings: [String] {
    var out: [String] = []
    var st = stat()
    if stat(keyFile, &st) == 0, st.st_mode & 0o077 != 0 {
      out.append(
        "the TLS key file \(keyFile) may be read by other users (mode \(String(st.st_mode & 0o777, radix: 8))): chmod 600 \(keyFile)")
    }
    if let certificate, certificate.expired {
      out.append("the TLS certificate in \(certificateFile) expired on \(certificate.notAfterText): clients that check it will refuse it")
    }
    return out
  }
}

extension ChatServer {
  /// Reads the TLS certificate and key again (what SIGHUP does): new handshakes present
  /// them, existing connections keep theirs. A failure is logged and keeps the old ones.
  /// Returns whether the new files were taken; false too when chatd has no TLS listener.
  @discardableResult
  public func reloadCertificates() -> Bool {
    guard let tls = services.tls else { return false }
    return Self.reloadCertificates(tls, node.logger)
  }

  static func reloadCertificates(_ tls: ChatTLS, _ logger: Logger) -> Bool {
    do {
      let certificate = try tls.reload()
      logger.notice(
        "TLS certificate reloaded: \(certificate?.subject ?? "?"), valid until \(certificate?.notAfterText ?? "?")",
        metadata: tls.metadata)
      for warning in tls.warnings { logger.warning("\(warning)") }
      return true
    } catch {
      logger.error("TLS certificate not reloaded: \(error); still presenting the one loaded before", metadata: tls.metadata)
      return false
    }
  }
}

extension ChatTLS {
  /// The files and the certificate's public facts, for log lines (never the key).
  var metadata: Logger.Metadata {
    var m: Logger.Metadata = ["certificate_file": .string(certificateFile), "key_file": .string(keyFile)]
    if let certificate {
      m["subject"] = .string(certificate.subject)
      m["not_after"] = .string(certificate.notAfterText)
      m["fingerprint_sha256"] = .string(certificate.fingerprint)
    }
    return m
  }
}

/// The ports the TLS listeners bound (0 while off), readable from outside the node.
final class TLSBoundPorts: Sendable {
  let irc = BoundPort()
  let web = BoundPort()
}
