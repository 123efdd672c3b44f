// The client side of SCRAM-SHA-256 (RFC 5802 §3, RFC 7677) for chatd's tests, written
// from the RFC's algorithm with libsodium's SHA-256 and HMAC only — none of chatd's own
// SCRAM code — so a test that logs in with it checks the server against the RFC, not
// against itself. Checked against RFC 7677's example exchange (ScramClientTests).
import CSodium
import Foundation

/// One SCRAM-SHA-256 exchange, as a client runs it.
public struct ScramClient {
  public let username: String
  private let password: [UInt8]
  public let clientNonce: String
  /// What the server's final message must carry (`v=`), once the proof is made.
  private var expectedServerSignature: [UInt8]?

  public init(username: String, password: String, clientNonce: String? = nil) {
    _ = sodium_init()
    self.username = username
    self.password = Array(password.utf8)
    var random = [UInt8](repeating: 0, count: 18)
    randombytes_buf(&random, random.count)
    self.clientNonce = clientNonce ?? Data(random).base64EncodedString()
  }

  /// `n=<user>,r=<nonce>` (the username with `,` and `=` escaped).
  public var clientFirstBare: String {
    "n=" + username.replacingOccurrences(of: "=", with: "=3D").replacingOccurrences(of: ",", with: "=2C") + ",r=" + clientNonce
  }

  /// The first message: no channel binding, no authorization identity.
  public var clientFirst: String { "n,," + clientFirstBare }

  /// The final message (`c=biws,r=...,p=<proof>`) answering `serverFirst`.
  public mutating func clientFinal(serverFirst: String) throws -> String {
    var attributes: [Character: String] = [:]
    for part in serverFirst.split(separator: ",") where part.count >= 2 {
      attributes[part.first!] = String(part.dropFirst(2))
    }
    guard let nonce = attributes["r"], nonce.hasPrefix(clientNonce), let saltText = attributes["s"],
      let salt = Data(base64Encoded: saltText), let iterations = attributes["i"].flatMap({ Int($0) })
    else { throw ScramClientError("malformed server-first-message: \(serverFirst)") }
    // SaltedPassword := Hi(Normalize(password), salt, i)
    let saltedPassword = Self.hi(password, Array(salt), iterations)
    // ClientKey := HMAC(SaltedPassword, "Client Key"); StoredKey := H(ClientKey)
    let clientKey = Self.hmac(key: saltedPassword, Array("Client Key".utf8))
    let storedKey = Self.sha256(clientKey)
    let withoutProof = "c=" + Data("n,,".utf8).base64EncodedString() + ",r=" + nonce
    // AuthMessage := client-first-message-bare + "," + server-first-message + "," +
    //                client-final-message-without-proof
    let authMessage = Array("\(clientFirstBare),\(serverFirst),\(withoutProof)".utf8)
    // ClientSignature := HMAC(StoredKey, AuthMessage); ClientProof := ClientKey XOR ClientSignature
    let clientSignature = Self.hmac(key: storedKey, authMessage)
    let proof = zip(clientKey, clientSignature).map { $0 ^ $1 }
    // ServerKey := HMAC(SaltedPassword, "Server Key"); ServerSignature := HMAC(ServerKey, AuthMessage)
    let serverKey = Self.hmac(key: saltedPassword, Array("Server Key".utf8))
    expectedServerSignature = Self.hmac(key: serverKey, authMessage)
    return withoutProof + ",p=" + Data(proof).base64EncodedString()
  }

  /// Whether the server's final message proves it knew the password's keys.
  public func verifies(serverFinal: String) -> Bool {
    guard let expected = expectedServerSignature, serverFinal.hasPrefix("v="),
      let signature = Data(base64Encoded: String(serverFinal.dropFirst(2)))
    else { return false }
    return Array(signature) == expected
  }

  // MARK: - RFC 5802's functions, on libsodium's primitives

  static func sha256(_ data: [UInt8]) -> [UInt8] {
    var out = [UInt8](repeating: 0, count: 32)
    _ = crypto_hash_sha256(&out, data, UInt64(data.count))
    return out
  }

  static func hmac(key: [UInt8], _ data: [UInt8]) -> [UInt8] {
    var state = crypto_auth_hmacsha256_state()
    var out = [UInt8](repeating: 0, count: 32)
    _ = crypto_auth_hmacsha256_init(&state, key, key.count)
    _ = crypto_auth_hmacsha256_update(&state, data, UInt64(data.count))
    _ = crypto_auth_hmacsha256_final(&state, &out)
    return out
  }

  /// Hi(str, salt, i): U1 := HMAC(str, salt + INT(1)), Ui := HMAC(str, Ui-1), Hi := U1 XOR ... XOR Ui.
  static func hi(_ str: [UInt8], _ salt: [UInt8], _ i: Int) -> [UInt8] {
    var u = hmac(key: str, salt + [0, 0, 0, 1])
    var result = u
    for _ in 1..<i {
      u = hmac(key: str, u)
      result = zip(result, u).map { $0 ^ $1 }
    }
    return result
  }
}

public struct ScramClientError: Error, CustomStringConvertible {
  public let description: String
  init(_ description: String) { self.description = description }
}
