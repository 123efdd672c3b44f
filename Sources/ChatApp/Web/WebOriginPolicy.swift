// Which sites' pages may use chatd's web side: a browser sends its page's origin with a
// WebSocket handshake and with a form's POST, and any site's page can ask for either —
// a page on evil.example opening ws://chat.example/ws would be logged in by the user's
// cookie (cross-site WebSocket hijacking), and its forms could log the user in or out.
// So the WebSocket upgrade and every POST are refused (403) unless their `Origin` is
// allowed: one of the configured origins (`--web-origin`, repeatable), or, by default,
// the page's own (the scheme of the port the request came in on — or, behind a proxy
// that terminates TLS, its `X-Forwarded-Proto`, a header no page can add to a WebSocket
// handshake or a form — and the `Host` the client sent, which a proxy must pass on with
// its port). A request with no `Origin` comes from no page — irctest, chatbench, a
// script — and may open the WebSocket; a POST without one is judged by its `Referer`,
// and refused with neither (browsers send `Origin` on every POST). A value built from
// the configuration: no state.

struct WebOriginPolicy: Sendable {
  /// The configured origins, normalised; empty: same-origin only.
  let allowed: [String]

  init(_ config: ChatConfig) { allowed = config.webOrigins }

  /// `scheme://host[:port]` lowercased, without a default port (`:80` for http, `:443`
  /// for https) or a trailing `/`, as browsers send `Origin`; nil if `text` is not an
  /// http or https origin (a path, a query, user info or a bad port make it nil).
  static func normalize(_ text: String) -> String? {
    var s = text.lowercased()
    if s.hasSuffix("/") { s.removeLast() }
    let scheme: String
    if s.hasPrefix("http://") {
      scheme = "http"
    } else if s.hasPrefix("https://") {
      scheme = "https"
    } else {
      return nil
    }
    var authority = String(s.dropFirst(scheme.count + 3))
    guard !authority.isEmpty, !authority.contains(where: { "/?#@ \\".contains($0) }) else { return nil }
    // A port after the host (an IPv6 host is bracketed, its colons inside).
    if let colon = authority.lastIndex(of: ":"), !authority[colon...].contains("]") {
      guard let port = Int(authority[authority.index(after: colon)...]), (1...65535).contains(port) else { return nil }
      let host = authority[..<colon]
      guard !host.isEmpty else { return nil }
      if (scheme == "http" && port == 80) || (scheme == "https" && port == 443) { authority = String(host) }
    }
    return "\(scheme)://\(authority)"
  }

  /// The request's own origin: the page's scheme (https on the TLS port) and its `Host`.
  static func own(_ request: HTTPRequest, secure: Bool) -> String? {
    guard let host = request.header("host")?.trimmingSpaces, !host.isEmpty else { return nil }
    return normalize((secure ? "https://" : "http://") + host)
  }

  /// Whether `origin` (as the browser sent it) may use the web side of `request`.
  func allows(origin: String, _ request: HTTPRequest, secure: Bool) -> Bool {
    guard let origin = Self.normalize(origin) else { return false }  // "null" among them
    if allowed.isEmpty { return origin == Self.own(request, secure: secure) }
    return allowed.contains(origin)
  }

  /// Why a WebSocket upgrade may not go ahead; nil if it may (no `Origin`: not a page).
  func refusesUpgrade(_ request: HTTPRequest, secure: Bool) -> String? {
    guard let origin = request.header("origin") else { return nil }
    if allows(origin: origin, request, secure: secure) { return nil }
    return "a page from \(origin) may not open this server's WebSocket" + hint
  }

  /// Why a POST may not go ahead; nil if it may: its `Origin`, or else its `Referer`'s
  /// origin, must be allowed.
  func refusesPost(_ request: HTTPRequest, secure: Bool) -> String? {
    if let origin = request.header("origin") {
      return allows(origin: origin, request, secure: secure) ? nil : "a form from \(origin) may not post here" + hint
    }
    guard let referer = request.header("referer") else {
      return "a form must come from this site's own page (the request has neither Origin nor Referer)"
    }
    // The origin part of the referring address: scheme, "//", and the authority.
    let parts = referer.split(separator: "/", maxSplits: 3, omittingEmptySubsequences: false)
    guard parts.count >= 3, allows(origin: parts[0] + "//" + parts[2], request, secure: secure) else {
      return "a form from \(referer) may not post here" + hint
    }
    return nil
  }

  private var hint: String {
    allowed.isEmpty
      ? " (only this server's own pages may; --web-origin allows others)"
      : " (allowed: \(allowed.joined(separator: ", ")))"
  }
}
