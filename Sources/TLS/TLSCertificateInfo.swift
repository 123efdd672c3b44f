// What may be said about a certificate in a log line or a test: its subject, when it
// expires, its SHA-256 fingerprint. All of it is public (a client sees it in every
// handshake); the key never appears here.
internal import COpenSSL
import Glibc

/// A certificate's public facts.
public struct TLSCertificateInfo: Sendable, Equatable {
  /// The subject, as OpenSSL writes it on one line ("/CN=chat.example.org").
  public let subject: String
  /// The end of its validity, in seconds since 1970 (UTC); nil if unreadable.
  public let notAfter: Int?
  /// The SHA-256 fingerprint of the certificate (DER), lowercase hex without colons: how
  /// IRC servers name a client certificate (CertFP).
  public let fingerprint: String

  /// Whether it has expired.
  public var expired: Bool { notAfter.map { $0 < time(nil) } ?? false }

  /// The facts of the X509 certificate `x509`.
  init(_ x509: OpaquePointer) {
    var name = [CChar](repeating: 0, count: 512)
    if let subjectName = X509_get_subject_name(x509) {
      _ = X509_NAME_oneline(subjectName, &name, Int32(name.count))
    }
    subject = String(decoding: name.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    var end = tm()
    if let asn1 = X509_get0_notAfter(x509), ASN1_TIME_to_tm(asn1, &end) == 1 {
      notAfter = timegm(&end)
    } else {
      notAfter = nil
    }
    fingerprint = Self.fingerprint(x509)
  }

  /// The SHA-256 fingerprint of `x509`, lowercase hex.
  static func fingerprint(_ x509: OpaquePointer) -> String {
    var digest = [UInt8](repeating: 0, count: Int(EVP_MAX_MD_SIZE))
    var length: UInt32 = 0
    guard X509_digest(x509, EVP_sha256(), &digest, &length) == 1 else { return "" }
    let hex: [Character] = Array("0123456789abcdef")
    var text = ""
    text.reserveCapacity(Int(length) * 2)
    for byte in digest.prefix(Int(length)) {
      text.append(hex[Int(byte >> 4)])
      text.append(hex[Int(byte & 15)])
    }
    return text
  }

  /// `notAfter` as "2026-06-01 12:00:00 UTC".
  public var notAfterText: String {
    guard var seconds = notAfter.map({ time_t($0) }) else { return "unknown" }
    var parts = tm()
    gmtime_r(&seconds, &parts)
    func two(_ n: Int32) -> String { n < 10 ? "0\(n)" : "\(n)" }
    return
      "\(parts.tm_year + 1900)-\(two(parts.tm_mon + 1))-\(two(parts.tm_mday)) \(two(parts.tm_hour)):\(two(parts.tm_min)):\(two(parts.tm_sec)) UTC"
  }
}
