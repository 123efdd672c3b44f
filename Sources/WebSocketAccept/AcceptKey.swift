// The handshake's proof of reading (RFC 6455 §4.2.2): the server answers the client's
// Sec-WebSocket-Key with base64(SHA-1(key + GUID)); the client checks it.
import Foundation

/// Sec-WebSocket-Accept, computed the same way by both ends.
public enum AcceptKey {
  /// The GUID of RFC 6455 §1.3, appended to the key before hashing.
  public static let guid = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"

  /// Sec-WebSocket-Accept for `key`.
  public static func forKey(_ key: String) -> String {
    Data(SHA1.digest(Array((key + guid).utf8))).base64EncodedString()
  }
}
