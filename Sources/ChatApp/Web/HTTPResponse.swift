// HTTP/1.1 responses chatd sends: the pages, errors with a short plain-text body, the
// login's redirects, and the WebSocket upgrade's 101. Every response but the 101 closes
// the connection and carries the security headers (Web/SecurityHeaders.swift).

enum HTTPResponse {
  /// The reason phrase for the statuses chatd uses.
  static func reason(_ status: Int) -> String {
    switch status {
    case 101: "Switching Protocols"
    case 200: "OK"
    case 303: "See Other"
    case 400: "Bad Request"
    case 401: "Unauthorized"
    case 403: "Forbidden"
    case 404: "Not Found"
    case 405: "Method Not Allowed"
    case 408: "Request Timeout"
    case 411: "Length Required"
    case 413: "Content Too Large"
    case 415: "Unsupported Media Type"
    case 426: "Upgrade Required"
    case 429: "Too Many Requests"
    case 431: "Request Header Fields Too Large"
    case 500: "Internal Server Error"
    case 503: "Service Unavailable"
    case 505: "HTTP Version Not Supported"
    default: "Status \(status)"
    }
  }

  /// A complete response with `body`, `Content-Length` and `Connection: close`.
  /// `includeBody` false answers HEAD: the same head, no body.
  static func make(
    _ status: Int, contentType: String, body: [UInt8], headers: [(String, String)] = [],
    includeBody: Bool = true
  ) -> [UInt8] {
    var head = "HTTP/1.1 \(status) \(reason(status))\r\n"
    head += "Server: chatd\r\n"
    head += "Content-Type: \(contentType)\r\n"
    head += "Content-Length: \(body.count)\r\n"
    for (name, value) in SecurityHeaders.all + headers { head += "\(name): \(value)\r\n" }
    head += "Connection: close\r\n\r\n"
    return Array(head.utf8) + (includeBody ? body : [])
  }

  /// An error answer: the status line and a one-line explanation.
  static func error(_ error: HTTPError, includeBody: Bool = true) -> [UInt8] {
    make(
      error.status, contentType: "text/plain; charset=utf-8",
      body: Array("\(error.status) \(reason(error.status)): \(error.message)\n".utf8),
      headers: error.headers, includeBody: includeBody)
  }

  /// A `303 See Other` to `location` (after a form's POST), with `headers` (its cookies).
  static func seeOther(_ location: String, headers: [(String, String)] = []) -> [UInt8] {
    make(
      303, contentType: "text/plain; charset=utf-8", body: Array("See \(location)\n".utf8),
      headers: [("Location", location), ("Cache-Control", "no-store")] + headers)
  }

  /// The 101 that completes a WebSocket handshake.
  static func switchingProtocols(accept: String, subprotocol: String?) -> [UInt8] {
    var head = "HTTP/1.1 101 Switching Protocols\r\n"
    head += "Upgrade: websocket\r\nConnection: Upgrade\r\n"
    head += "Sec-WebSocket-Accept: \(accept)\r\n"
    if let subprotocol { head += "Sec-WebSocket-Protocol: \(subprotocol)\r\n" }
    head += "\r\n"
    return Array(head.utf8)
  }
}
