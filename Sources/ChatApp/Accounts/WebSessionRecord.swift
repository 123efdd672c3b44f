// A web login session as the account store keeps it: one document per session in the
// accounts' engine (SQLite for a chatd alone, the network's Redis for a network — so a
// cookie from one node's login works on every node), under the SHA-256 of its token,
// never the token itself: a copy of the database or of Redis logs nobody in. It names
// its account by folded name and by the account's id, so that a session outlives neither
// the account (dropped) nor its name (dropped and registered again by someone else).
// Expiry slides: a session used within its lifetime lives another lifetime from then.
// Written only through the account store (Accounts/AccountBook+WebSessions.swift).
import Foundation

struct WebSessionRecord: Sendable, JSONStored, Equatable {
  /// The account's folded name.
  var account: String
  /// The account's id when the session was made.
  var accountID: String
  /// Unix seconds.
  var created: Int
  /// Unix seconds after which the session no longer logs anyone in.
  var expires: Int

  /// How long a session lasts unused: 30 days.
  static let lifetime = 30 * 24 * 3600
  /// A session's expiry is written again when used at least this long after it was
  /// last set (a day), not on every use.
  static let slideEvery = 24 * 3600

  private enum CodingKeys: String, CodingKey {
    case account
    case accountID = "account_id"
    case created, expires
  }

  /// The key a token's session is kept under: hex of its SHA-256.
  static func key(forToken token: String) -> String { Crypto.hex(Crypto.sha256(Array(token.utf8))) }

}
