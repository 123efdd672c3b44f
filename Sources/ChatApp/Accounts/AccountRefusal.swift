// Why the account store said no, with the words a client is shown (a FAIL's text, a
// 904's, a NickServ NOTICE). One place for them, so REGISTER, SASL and NickServ say the
// same thing for the same cause.

/// Why an account operation was refused.
public enum AccountRefusal: Error, Sendable, Equatable, CustomStringConvertible {
  /// Not a valid account name (an account's name is a nick).
  case invalidName(String)
  case exists(String)
  /// No such account, or a wrong password: the client is not told which.
  case badCredentials
  case weakPassword(minimum: Int)
  case passwordTooLong(maximum: Int)
  /// Too many failed logins (Accounts/LoginThrottle.swift).
  case throttled(String)
  /// The hashing pool's queue is full: try again in a moment.
  case busy
  /// The engine failed (the disk, or the network's Redis).
  case unavailable
  case noSuchAccount(String)
  case certificateTaken
  case noSuchCertificate
  case channelRegistered(String)
  case channelNotRegistered(String)

  public var description: String {
    switch self {
    case .invalidName(let n): return "\"\(n)\" cannot be an account name (it must be a valid nick)"
    case .exists(let n): return "the account \(n) already exists"
    case .badCredentials: return "invalid account or password"
    case .weakPassword(let m): return "the password must be at least \(m) characters long"
    case .passwordTooLong(let m): return "the password must be at most \(m) bytes long"
    case .throttled(let why): return why
    case .busy: return "the server is busy checking passwords; try again in a few seconds"
    case .unavailable: return "accounts are temporarily unavailable; try again shortly"
    case .noSuchAccount(let n): return "there is no account \(n)"
    case .certificateTaken: return "that certificate is registered to another account"
    case .noSuchCertificate: return "no account has that certificate"
    case .channelRegistered(let c): return "\(c) is already registered"
    case .channelNotRegistered(let c): return "\(c) is not registered"
    }
  }
}
