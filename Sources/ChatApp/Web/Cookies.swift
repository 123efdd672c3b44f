// Cookies as chatd's web side reads and sets them (RFC 6265): the `Cookie` header of a
// request parsed into names and values, and the `Set-Cookie` values for the two cookies
// chatd uses — `chatd_session` (a login session, Web/WebLogin.swift) and
// `chatd_presession` (the anonymous value the login form's token is bound to,
// Web/FormToken.swift). Both are HttpOnly (no script reads them, so an injected script
// cannot steal them), SameSite=Strict (another site's page never makes the browser send
// them) and Secure on HTTPS. Values only: the browser holds the cookies.

enum Cookies {
  static let session = "chatd_session"
  static let presession = "chatd_presession"

  /// The session cookie lives as long as a session may (its expiry slides on the server).
  static let sessionMaxAge = 30 * 24 * 3600

  /// The cookies of `request`, name to value (the first of a repeated name wins, as
  /// browsers send the most specific first).
  static func parse(_ request: HTTPRequest) -> [String: String] {
    var cookies: [String: String] = [:]
    for pair in (request.header("cookie") ?? "").split(separator: ";") {
      guard let equals = pair.firstIndex(of: "=") else { continue }
      let name = pair[..<equals].trimmingSpaces
      var value = pair[pair.index(after: equals)...].trimmingSpaces
      if value.count >= 2, value.hasPrefix("\""), value.hasSuffix("\"") { value = String(value.dropFirst().dropLast()) }
      if !name.isEmpty, cookies[name] == nil { cookies[name] = value }
    }
    return cookies
  }

  /// A `Set-Cookie` header: `name=value` for the whole site, out of scripts' and other
  /// sites' reach; `maxAge` nil keeps it for the browser's session, 0 deletes it.
  static func set(_ name: String, _ value: String, secure: Bool, maxAge: Int? = nil) -> (String, String) {
    var text = "\(name)=\(value); Path=/; HttpOnly; SameSite=Strict"
    if secure { text += "; Secure" }
    if let maxAge { text += "; Max-Age=\(maxAge)" }
    return ("Set-Cookie", text)
  }

  /// Whether `value` could be one of chatd's tokens (hex of 16 or 32 bytes): anything
  /// else is ignored before it reaches a hash or a store.
  static func isToken(_ value: String) -> Bool {
    (value.utf8.count == 32 || value.utf8.count == 64) && value.utf8.allSatisfy { ($0 >= 0x30 && $0 <= 0x39) || ($0 >= 0x61 && $0 <= 0x66) }
  }
}
