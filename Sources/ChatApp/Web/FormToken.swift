// The tokens that make chatd's forms CSRF-safe. Design: a token is an HMAC, under a key
// only the server knows (the account store's form key, shared by a network's nodes),
// of a value held in an HttpOnly cookie — for the login form the anonymous
// `chatd_presession` cookie set with the form, for the logout form (and `/session`) the
// login session's own token. A forged POST from another site would need the token, which
// it cannot read (the form is same-origin, the cookie HttpOnly) nor compute (the key);
// a cookie planted by a sibling subdomain does not help either, since its token still
// needs the key. So no per-form state is kept on the server — any node checks a form
// any node served — and the token lives exactly as long as its cookie. It is one of
// three locks: the Origin/Referer check on every POST (Web/WebOriginPolicy.swift) and
// SameSite=Strict cookies (Web/Cookies.swift) refuse the same forgery on their own.
// Stateless functions.

enum FormToken {
  /// What a token is bound to.
  enum Purpose: String {
    /// The login form: bound to the pre-session cookie.
    case login
    /// A logged-in page's forms (logout): bound to the session's token.
    case session
  }

  /// The token for a form bound to `cookie` (hex, 64 digits).
  static func make(_ purpose: Purpose, cookie: String, key: Secret) -> String {
    let mac = key.withBytes { Crypto.hmacSHA256(key: Array($0), Array("\(purpose.rawValue)\0\(cookie)".utf8)) }
    return Crypto.hex(mac)
  }

  /// Whether `token` is the one for `cookie` (compared in constant time).
  static func check(_ token: String?, _ purpose: Purpose, cookie: String?, key: Secret) -> Bool {
    guard let token, let cookie, Cookies.isToken(cookie) else { return false }
    return Crypto.constantTimeEqual(Array(token.utf8), Array(make(purpose, cookie: cookie, key: key).utf8))
  }

  /// A new random token for a cookie: `bytes` random bytes in hex.
  static func random(bytes: Int) -> String { Crypto.hex(Crypto.randomBytes(bytes)) }
}
