// Why a certificate or key could not be loaded, said so that an operator can act: which
// file, what is wrong with it, what to do. Made by TLSContext; chatd prints it at start
// (with an exit status by kind) and logs it when a reload fails.
import Glibc

/// A certificate or key file that cannot be used.
public struct TLSConfigurationError: Error, Sendable, Equatable, CustomStringConvertible {
  /// What kind of problem, for an exit status.
  public enum Kind: Sendable, Equatable {
    /// The file is missing or cannot be opened (the system's errno).
    case unreadable(errno: Int32)
    /// The file does not hold what it should (no PEM certificate, no key, a key that
    /// belongs to another certificate, a key with a passphrase).
    case invalid
    /// OpenSSL could not make a context (out of memory, a broken installation).
    case library
  }

  public let kind: Kind
  /// One line: the file, what is wrong, what to do.
  public let description: String

  init(_ kind: Kind, _ description: String) {
    self.kind = kind
    self.description = description
  }

  /// `path` cannot be opened for reading.
  static func unreadable(_ what: String, _ path: String, errno e: Int32) -> TLSConfigurationError {
    let why: String
    switch e {
    case ENOENT: why = "no such file"
    case EACCES, EPERM: why = "permission denied for this user, uid \(geteuid())"
    case EISDIR: why = "it is a directory"
    default: why = String(cString: strerror(e)).lowercased()
    }
    return TLSConfigurationError(.unreadable(errno: e), "cannot read the TLS \(what) \(path): \(why)")
  }
}
