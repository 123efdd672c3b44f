// An account as the account store keeps it, one JSON document per account in either
// engine (Accounts/AccountEngine.swift): its name, when it was made, the Argon2id hash of
// its password, its SCRAM-SHA-256 verifier, the certificate fingerprints it may log in
// with (SASL EXTERNAL) and the channels it founded. Written only by the account store
// (Accounts/AccountStore.swift); what the rest of chatd sees is an `AccountInfo`, which
// holds no secret.
import Foundation

/// An account with its secrets: never leaves the account store's side of chatd, and
/// prints without them.
struct AccountRecord: Sendable, JSONStored, Equatable, CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
  /// As registered (case kept); the account's key is its folded form.
  var name: String
  /// Random, made at registration: tells this account from a later one of the same name.
  var id: String
  /// Unix seconds.
  var created: Int
  /// `$argon2id$...` (Accounts/PasswordHash.swift).
  var passwordHash: String
  var scram: ScramCredentials
  /// SHA-256 fingerprints of client certificates, lowercase hex without colons.
  var certificates: [String] = []
  /// Folded names of the channels this account registered (dropped with it).
  var channels: [String] = []
  /// Always-on (NickServ SET ALWAYS-ON): nil until the account's owner chooses; what
  /// applies then is the server's policy (`AlwaysOnPolicy`).
  var alwaysOn: Bool?

  private enum CodingKeys: String, CodingKey {
    case name, id, created
    case passwordHash = "password_hash"
    case scram, certificates, channels
    case alwaysOn = "always_on"
  }

  var info: AccountInfo {
    AccountInfo(name: name, id: id, created: created, certificates: certificates, channels: channels, alwaysOn: alwaysOn)
  }

  // Never the hash or the keys, wherever it is printed.
  var description: String { "account \(name)" }
  var debugDescription: String { description }
  var customMirror: Mirror { Mirror(self, children: ["name": name]) }

}

/// What chatd, and later its web side, may know of an account: no secrets.
public struct AccountInfo: Sendable, Equatable {
  /// The account's name as registered.
  public var name: String
  /// Tells this account from a later one of the same name (an account dropped and
  /// registered again by someone else).
  public var id: String
  /// Unix seconds of the registration.
  public var created: Int
  /// The client certificate fingerprints (SHA-256, hex) it may log in with.
  public var certificates: [String]
  /// Folded names of the channels it registered.
  public var channels: [String]
  /// The account's own always-on choice (nil: none; the server's policy decides).
  public var alwaysOn: Bool? = nil
}
