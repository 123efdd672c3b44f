// Close codes (RFC 6455 §7.4): what a close frame says about why the connection ends,
// and which codes a peer may legitimately send.

extension WebSocket {
  /// A close status code.
  struct CloseCode: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    let rawValue: UInt16
    init(rawValue: UInt16) { self.rawValue = rawValue }
    init(_ rawValue: UInt16) { self.rawValue = rawValue }

    /// The purpose of the connection is fulfilled.
    static let normal = CloseCode(1000)
    /// The server is going down (or the client navigates away).
    static let goingAway = CloseCode(1001)
    /// A frame or message broke the protocol.
    static let protocolError = CloseCode(1002)
    /// A data type the endpoint does not accept.
    static let unsupportedData = CloseCode(1003)
    /// Received without a status code (never sent in a frame).
    static let noStatus = CloseCode(1005)
    /// The connection dropped without a close frame (never sent in a frame).
    static let abnormal = CloseCode(1006)
    /// A text message (or close reason) that is not valid UTF-8.
    static let invalidPayload = CloseCode(1007)
    /// A message that breaks the endpoint's policy.
    static let policyViolation = CloseCode(1008)
    /// A message larger than the endpoint accepts.
    static let messageTooBig = CloseCode(1009)
    /// The server hit an unexpected condition.
    static let internalError = CloseCode(1011)
    /// The server is restarting: reconnect (after a short, random delay).
    static let serviceRestart = CloseCode(1012)
    /// The server is overloaded: try again later.
    static let tryAgainLater = CloseCode(1013)

    /// Whether a peer may put this code in a close frame (§7.4.1, §7.4.2 and the IANA
    /// registry): 1000–1003, 1007–1014, and 3000–4999 for libraries and applications.
    /// 1004–1006 and 1015 are reserved for reporting and must never be on the wire.
    var isValidOnTheWire: Bool {
      switch rawValue {
      case 1000...1003, 1007...1014, 3000...4999: true
      default: false
      }
    }

    var description: String { String(rawValue) }
  }
}
