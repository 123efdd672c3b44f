// What an account keeps for SASL SCRAM-SHA-256 (RFC 5802, RFC 7677): a salt, an
// iteration count, StoredKey = H(HMAC(SaltedPassword, "Client Key")) and ServerKey =
// HMAC(SaltedPassword, "Server Key"), with SaltedPassword = PBKDF2-HMAC-SHA-256 of the
// password. They are derived once, when the password is set (registration), on the
// hashing pool, and stored beside the Argon2id hash; a SCRAM login then costs two HMACs
// and a hash, no Argon2id.
//
// What that means for the stored secrets: the two keys are a second verifier of the
// password, and a much cheaper one to attack offline than Argon2id — PBKDF2 with 4,096
// rounds (RFC 7677's minimum, what SCRAM clients expect) and no memory cost. Whoever
// reads the account database can guess passwords against the SCRAM keys at PBKDF2's
// speed, so the database is as strong as PBKDF2-4096, not as Argon2id: keep it 0600
// (it is created so) and out of backups that others read. StoredKey alone does not let
// anyone log in, but with it and one recorded SCRAM exchange an eavesdropper could
// (RFC 5802 §9): use TLS. ServerKey lets the holder pose as the server to SCRAM
// clients. The plain password itself is never stored.
//
// A value; written into the account record by the store (Accounts/AccountRecord.swift).
import Foundation

/// An account's SCRAM-SHA-256 verifier.
struct ScramCredentials: Sendable, Equatable, Codable, CustomStringConvertible, CustomDebugStringConvertible {
  var salt: [UInt8]
  var iterations: Int
  var storedKey: [UInt8]
  var serverKey: [UInt8]

  /// RFC 7677's minimum and what SCRAM clients expect; see the header for what it costs.
  static let iterations = 4096

  /// The verifier for `password`, with a fresh 16-byte salt (runs PBKDF2: a few ms).
  init(password: Secret, iterations: Int = ScramCredentials.iterations) {
    let salt = Crypto.randomBytes(16)
    let salted = Crypto.pbkdf2SHA256(password: password, salt: salt, iterations: iterations)
    let clientKey = Crypto.hmacSHA256(key: salted, Array("Client Key".utf8))
    self.salt = salt
    self.iterations = iterations
    storedKey = Crypto.sha256(clientKey)
    serverKey = Crypto.hmacSHA256(key: salted, Array("Server Key".utf8))
  }

  // Never the keys, wherever the value is printed (a crash report's last message).
  var description: String { "SCRAM-SHA-256 verifier (\(iterations) iterations)" }
  var debugDescription: String { description }

  // Stored as base64 text (the record is JSON).
  private enum CodingKeys: String, CodingKey {
    case salt, iterations
    case storedKey = "stored_key"
    case serverKey = "server_key"
  }

  init(from decoder: any Decoder) throws {
    let c = try decoder.container(keyedBy: CodingKeys.self)
    func bytes(_ key: CodingKeys) throws -> [UInt8] {
      guard let d = Data(base64Encoded: try c.decode(String.self, forKey: key)) else {
        throw DecodingError.dataCorruptedError(forKey: key, in: c, debugDescription: "not base64")
      }
      return Array(d)
    }
    salt = try bytes(.salt)
    iterations = try c.decode(Int.self, forKey: .iterations)
    storedKey = try bytes(.storedKey)
    serverKey = try bytes(.serverKey)
  }

  func encode(to encoder: any Encoder) throws {
    var c = encoder.container(keyedBy: CodingKeys.self)
    try c.encode(Data(salt).base64EncodedString(), forKey: .salt)
    try c.encode(iterations, forKey: .iterations)
    try c.encode(Data(storedKey).base64EncodedString(), forKey: .storedKey)
    try c.encode(Data(serverKey).base64EncodedString(), forKey: .serverKey)
  }
}
