// The server's side of one SASL SCRAM-SHA-256 exchange (RFC 5802 §3 and §5, RFC 7677):
// parse the client's first message, answer with the combined nonce, the account's salt
// and iteration count, then check the client's proof against the stored keys and send
// the server's signature. No channel binding (chatd offers no -PLUS mechanism): a
// client that asks for one ("p=") is refused. A value held by the connection running
// the exchange (Client/SASL.swift); nothing here touches the store.
import Foundation

/// Why a SCRAM exchange failed: said to the client in 904's text.
struct ScramError: Error, Equatable, CustomStringConvertible {
  let description: String
  init(_ description: String) { self.description = description }
}

/// The client's first message.
struct ScramClientFirst: Sendable, Equatable {
  /// `n,,` or `y,a=...,`: echoed (base64) in the client's final message.
  let gs2Header: String
  let authzid: String?
  let username: String
  let clientNonce: String
  /// The message without its GS2 header: part of what both sides sign.
  let bare: String

  /// Parses `client-first-message`.
  init(_ bytes: [UInt8]) throws(ScramError) {
    guard let text = String(validating: bytes, as: UTF8.self) else { throw ScramError("not UTF-8") }
    let parts = text.split(separator: ",", maxSplits: 2, omittingEmptySubsequences: false)
    guard parts.count == 3 else { throw ScramError("malformed first message") }
    switch parts[0] {
    case "n", "y": break
    default:
      if parts[0].hasPrefix("p=") { throw ScramError("channel binding is not offered (use SCRAM-SHA-256, not -PLUS)") }
      throw ScramError("malformed first message")
    }
    if parts[1].isEmpty {
      authzid = nil
    } else {
      guard parts[1].hasPrefix("a=") else { throw ScramError("malformed authorization identity") }
      authzid = try Self.saslName(parts[1].dropFirst(2))
    }
    gs2Header = "\(parts[0]),\(parts[1]),"
    bare = String(parts[2])
    let attributes = parts[2].split(separator: ",", omittingEmptySubsequences: false)
    guard attributes.count >= 2, attributes[0].hasPrefix("n="), attributes[1].hasPrefix("r=") else {
      // "m=" (mandatory extensions) lands here too: none is supported.
      throw ScramError("malformed first message")
    }
    username = try Self.saslName(attributes[0].dropFirst(2))
    clientNonce = String(attributes[1].dropFirst(2))
    guard !username.isEmpty, !clientNonce.isEmpty, clientNonce.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7F && $0 != UInt8(ascii: ",") }) else {
      throw ScramError("malformed first message")
    }
  }

  /// A `saslname`: `=2C` stands for a comma and `=3D` for `=`; any other `=` is an error.
  static func saslName(_ s: Substring) throws(ScramError) -> String {
    var out = ""
    var i = s.startIndex
    while i < s.endIndex {
      if s[i] == "=" {
        let code = s[s.index(after: i)...].prefix(2)
        switch code {
        case "2C": out.append(",")
        case "3D": out.append("=")
        default: throw ScramError("malformed name")
        }
        i = s.index(i, offsetBy: 3)
      } else {
        out.append(s[i])
        i = s.index(after: i)
      }
    }
    return out
  }
}

/// One exchange after the client's first message: what the server sent, and the check
/// of the client's final message.
struct ScramExchange: Sendable {
  let first: ScramClientFirst
  let credentials: ScramCredentials
  /// `r=<client nonce><server nonce>,s=<salt>,i=<iterations>`.
  let serverFirst: String
  private let nonce: String

  init(first: ScramClientFirst, credentials: ScramCredentials) {
    self.first = first
    self.credentials = credentials
    nonce = first.clientNonce + Data(Crypto.randomBytes(18)).base64EncodedString()
    serverFirst = "r=\(nonce),s=\(Data(credentials.salt).base64EncodedString()),i=\(credentials.iterations)"
  }

  /// Checks `client-final-message`; returns `server-final-message` (`v=<signature>`)
  /// if the proof is right.
  func finish(_ bytes: [UInt8]) throws(ScramError) -> String {
    guard let text = String(validating: bytes, as: UTF8.self), let proofStart = text.range(of: ",p=", options: .backwards) else {
      throw ScramError("malformed final message")
    }
    let withoutProof = String(text[..<proofStart.lowerBound])
    let attributes = withoutProof.split(separator: ",", omittingEmptySubsequences: false)
    guard attributes.count >= 2, attributes[0].hasPrefix("c="), attributes[1].hasPrefix("r=") else {
      throw ScramError("malformed final message")
    }
    guard attributes[0].dropFirst(2) == Data(first.gs2Header.utf8).base64EncodedString() else {
      throw ScramError("channel binding data does not match")
    }
    guard attributes[1].dropFirst(2) == nonce else { throw ScramError("nonce does not match") }
    guard let proof = Data(base64Encoded: String(text[proofStart.upperBound...])).map(Array.init), proof.count == 32 else {
      throw ScramError("malformed proof")
    }
    let authMessage = Array("\(first.bare),\(serverFirst),\(withoutProof)".utf8)
    let clientSignature = Crypto.hmacSHA256(key: credentials.storedKey, authMessage)
    var clientKey = proof
    for i in clientKey.indices { clientKey[i] ^= clientSignature[i] }
    guard Crypto.constantTimeEqual(Crypto.sha256(clientKey), credentials.storedKey) else { throw ScramError("wrong password") }
    let serverSignature = Crypto.hmacSHA256(key: credentials.serverKey, authMessage)
    return "v=" + Data(serverSignature).base64EncodedString()
  }
}
