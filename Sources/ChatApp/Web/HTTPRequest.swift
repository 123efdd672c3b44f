// An HTTP/1.1 request head (RFC 9112): the request line and the header fields, parsed
// strictly enough that nothing odd gets through, with a limit on its size. Bodies are
// read only for the login forms' POSTs (Web/WebSession.swift), by Content-Length.

/// A client error in a request, answered with `status` and the connection closed.
struct HTTPError: Error, Equatable, Sendable, CustomStringConvertible {
  let status: Int
  let message: String
  /// Extra header fields for the answer (`Allow`, `Sec-WebSocket-Version`).
  var headers: [(String, String)] = []

  init(_ status: Int, _ message: String, headers: [(String, String)] = []) {
    self.status = status
    self.message = message
    self.headers = headers
  }

  static func == (a: HTTPError, b: HTTPError) -> Bool { a.status == b.status && a.message == b.message }
  var description: String { "\(status) \(HTTPResponse.reason(status)): \(message)" }
}

/// A parsed request head.
struct HTTPRequest: Sendable, Equatable {
  var method: String
  /// The request target as sent (`/`, `/ws?x=1`).
  var target: String
  /// 0 for HTTP/1.0, 1 for HTTP/1.1.
  var minorVersion: Int
  /// Header fields in order, names as sent.
  var headers: [(name: String, value: String)]

  /// The largest request head accepted; larger gets 431.
  static let maxHeadLength = 16 * 1024

  static func == (a: HTTPRequest, b: HTTPRequest) -> Bool {
    a.method == b.method && a.target == b.target && a.minorVersion == b.minorVersion
      && a.headers.map(\.name) == b.headers.map(\.name) && a.headers.map(\.value) == b.headers.map(\.value)
  }

  /// The path of the target, without its query.
  var path: String { String(target.prefix { $0 != "?" }) }

  /// The value of the field `name` (case-insensitive), fields of that name joined by
  /// ", " as RFC 9110 §5.3 allows; nil when absent.
  func header(_ name: String) -> String? {
    let values = headers.filter { $0.name.lowercased() == name.lowercased() }.map(\.value)
    return values.isEmpty ? nil : values.joined(separator: ", ")
  }

  /// The comma-separated tokens of field `name`, lower-cased (`Connection: keep-alive, Upgrade`).
  func tokens(_ name: String) -> [String] {
    (header(name) ?? "").split(separator: ",").map { $0.trimmingSpaces.lowercased() }.filter { !$0.isEmpty }
  }

  /// Where the head ends in `bytes`: the index just past the empty line (CR LF CR LF,
  /// or LF LF from lenient clients), or nil if it has not arrived yet.
  static func headEnd(in bytes: [UInt8]) -> Int? {
    var i = 0
    while i < bytes.count {
      if bytes[i] == 0x0A {
        if i + 1 < bytes.count && bytes[i + 1] == 0x0A { return i + 2 }
        if i + 2 < bytes.count && bytes[i + 1] == 0x0D && bytes[i + 2] == 0x0A { return i + 3 }
      }
      i += 1
    }
    return nil
  }

  /// Parses a request head (everything up to and including the empty line).
  static func parse(_ head: ArraySlice<UInt8>) throws(HTTPError) -> HTTPRequest {
    guard head.count <= maxHeadLength else { throw HTTPError(431, "request head over \(maxHeadLength) bytes") }
    // Field values may carry obs-text (bytes over 0x7F); everything else must be ASCII.
    guard !head.contains(0) else { throw HTTPError(400, "NUL byte in the request head") }
    var lines = head.split(separator: 0x0A, omittingEmptySubsequences: false).map { line -> ArraySlice<UInt8> in
      line.last == 0x0D ? line.dropLast() : line
    }
    while lines.last?.isEmpty == true { lines.removeLast() }
    guard let requestLine = lines.first, !requestLine.isEmpty else { throw HTTPError(400, "empty request") }
    let parts = requestLine.split(separator: 0x20, omittingEmptySubsequences: false)
    guard parts.count == 3, parts.allSatisfy({ !$0.isEmpty }) else {
      throw HTTPError(400, "malformed request line")
    }
    let method = String(decoding: parts[0], as: UTF8.self)
    guard method.utf8.allSatisfy(isTokenByte) else { throw HTTPError(400, "malformed method") }
    let target = String(decoding: parts[1], as: UTF8.self)
    guard parts[1].allSatisfy({ $0 > 0x20 && $0 < 0x7F }) else { throw HTTPError(400, "malformed request target") }
    let version = String(decoding: parts[2], as: UTF8.self)
    let minor: Int
    switch version {
    case "HTTP/1.1": minor = 1
    case "HTTP/1.0": minor = 0
    default:
      if version.hasPrefix("HTTP/") { throw HTTPError(505, "\(version) is not supported (HTTP/1.1 is)") }
      throw HTTPError(400, "malformed HTTP version")
    }
    var headers: [(name: String, value: String)] = []
    for line in lines.dropFirst() {
      if line.first == 0x20 || line.first == 0x09 { throw HTTPError(400, "obsolete line folding in a header field") }
      guard let colon = line.firstIndex(of: UInt8(ascii: ":")) else { throw HTTPError(400, "header field without a colon") }
      let name = line[line.startIndex..<colon]
      guard !name.isEmpty, name.allSatisfy(isTokenByte) else { throw HTTPError(400, "malformed header field name") }
      let value = String(decoding: line[(colon + 1)...], as: UTF8.self).trimmingSpaces
      headers.append((String(decoding: name, as: UTF8.self), value))
    }
    let request = HTTPRequest(method: method, target: target, minorVersion: minor, headers: headers)
    if minor == 1 && request.header("host") == nil { throw HTTPError(400, "HTTP/1.1 request without Host") }
    return request
  }

  /// tchar (RFC 9110 §5.6.2).
  private static func isTokenByte(_ b: UInt8) -> Bool {
    switch b {
    case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"):
      return true
    default:
      return "!#$%&'*+-.^_`|~".utf8.contains(b)
    }
  }
}

extension StringProtocol {
  /// Without leading and trailing spaces and tabs (HTTP's optional whitespace).
  var trimmingSpaces: String {
    let isSpace: (Character) -> Bool = { $0 == " " || $0 == "\t" }
    guard let first = firstIndex(where: { !isSpace($0) }), let last = lastIndex(where: { !isSpace($0) }) else { return "" }
    return String(self[first...last])
  }
}
