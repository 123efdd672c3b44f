// The errors of the control protocol: what a node answers when a request cannot be
// served. Each has a stable code for scripts and a message for people.

/// An error answered by a control endpoint (`"ok": false`).
public struct ControlError: Error, Sendable, Equatable, CustomStringConvertible {
  public enum Code: String, Sendable, CaseIterable {
    /// The request line is not JSON.
    case badJSON = "bad_json"
    /// A field is missing or has the wrong type or value.
    case badRequest = "bad_request"
    /// No such operation.
    case unknownOp = "unknown_op"
    /// The request's `v` is not a protocol version this node speaks.
    case unsupportedVersion = "unsupported_version"
    /// The process does not exist (or no longer).
    case noSuchProcess = "no_such_process"
    /// The peer is not allowed to use this endpoint (another user).
    case permissionDenied = "permission_denied"
    /// The request line is longer than `ControlProtocol.maximumRequestBytes`.
    case requestTooLong = "request_too_long"
    /// Something the node asked of a process did not answer in time.
    case timeout
    /// The node failed to serve the request.
    case `internal`
  }

  public let code: Code
  public let message: String

  public init(_ code: Code, _ message: String) {
    self.code = code
    self.message = message
  }

  public var description: String { "\(code.rawValue): \(message)" }

  static func badRequest(_ message: String) -> ControlError { ControlError(.badRequest, message) }

  var json: JSON { .fields(["code": .string(code.rawValue), "message": .string(message)]) }

  init(json: JSON) throws(ControlError) {
    let r = try Fields(json, "error")
    let code = try r.string("code")
    // An error code this client does not know yet still reads as an error.
    self.init(Code(rawValue: code) ?? .internal, try r.string("message"))
  }
}
