// The headers every HTTP response of chatd's carries (but the WebSocket's 101): a
// Content-Security-Policy that lets a page run only its own files — no inline script or
// style, no `style=` attributes, no inline event handlers, no framing by other sites, forms
// posted only to this origin, connections to this origin and WebSockets — plus nosniff
// (a JavaScript or CSS file is taken for what its Content-Type says, nothing else) and a
// Referrer-Policy that keeps the page's address (its query) from other sites. The same
// headers on an error or a script cost nothing and leave no response unprotected.
// Constants: no state.

enum SecurityHeaders {
  /// The page may load and run only what chatd serves itself.
  static let contentSecurityPolicy =
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self' ws: wss:; "
    + "frame-ancestors 'none'; base-uri 'none'; form-action 'self'"

  /// Every response's security headers, in the order they are written.
  static let all: [(String, String)] = [
    ("Content-Security-Policy", contentSecurityPolicy),
    ("X-Content-Type-Options", "nosniff"),
    ("Referrer-Policy", "same-origin"),
  ]
}
