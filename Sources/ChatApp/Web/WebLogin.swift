// The web login's endpoints, answered by the HTTP session process (Web/WebSession.swift)
// of the request: `GET /login` (the form, Web/LoginPage.swift), `POST /login` (the
// password checked by the account store — the hashing pool and the login throttle SASL
// uses, per account and per address — then a session made and its cookie set),
// `POST /logout` (the session revoked, its cookie cleared) and `GET /session` (what the
// chat page needs to know: its account, its forms' token, whether guests may chat). Every
// POST passes the Origin/Referer check and its form's token check first (403 otherwise;
// Web/WebOriginPolicy.swift, Web/FormToken.swift). Sessions and the form key are the
// account store's (Accounts/AccountBook+WebSessions.swift); the browser holds the
// cookies; nothing here keeps state between requests. Tokens are never logged.
import Actors
import Control
import Foundation
import GenServer

/// A request to the web side, with what its answer depends on.
struct WebRequest {
  let request: HTTPRequest
  /// It came in on the HTTPS port, or through a proxy that says it came over HTTPS
  /// (`X-Forwarded-Proto: https`): its cookies are Secure, its own origin https.
  let secure: Bool
  /// The peer's address, as the login throttle counts it.
  let address: String
  let cookies: [String: String]
  let services: ChatServices

  init(_ request: HTTPRequest, secure: Bool, peer: String, services: ChatServices) {
    self.request = request
    self.secure = secure || request.header("x-forwarded-proto")?.trimmingSpaces.lowercased() == "https"
    address = Connection.hostPart(of: peer)
    cookies = Cookies.parse(request)
    self.services = services
  }

  var policy: WebOriginPolicy { WebOriginPolicy(services.config) }
  /// The session cookie's token, if it looks like one.
  var sessionToken: String? { cookies[Cookies.session].flatMap { Cookies.isToken($0) ? $0 : nil } }
  var presessionToken: String? { cookies[Cookies.presession].flatMap { Cookies.isToken($0) ? $0 : nil } }
}

enum WebLogin {
  /// The largest form body accepted (the login form is a few hundred bytes).
  static let maxBody = 8 * 1024

  // MARK: - The account store

  /// Calls the account store; `.refused(.unavailable)` if it is not running or does not
  /// answer in time (a password check may queue behind others).
  static func call(_ request: AccountStore.Request, _ ctx: Context<Never>) async -> AccountStore.Reply {
    guard let store = ctx.node.whereis(ChatServices.accountsName, as: ServerMessage<AccountStore>.self) else {
      return .refused(.unavailable)
    }
    do {
      return try await ctx.call(GenServerRef(store), request, timeout: .seconds(15))
    } catch {
      return .refused(.unavailable)
    }
  }

  /// The account the request's session cookie logs in, if any.
  static func account(of web: WebRequest, _ ctx: Context<Never>) async -> AccountInfo? {
    if case .success(let account) = await lookUp(web, ctx) { return account }
    return nil
  }

  /// The account the request's session cookie logs in (nil: no cookie, or no such
  /// session), or `.unavailable` when the store could not say.
  static func lookUp(_ web: WebRequest, _ ctx: Context<Never>) async -> Result<AccountInfo?, AccountRefusal> {
    guard let token = web.sessionToken else { return .success(nil) }
    switch await call(.session(key: WebSessionRecord.key(forToken: token)), ctx) {
    case .webSession(let account): return .success(account)
    case .refused(let refusal): return .failure(refusal)
    default: return .failure(.unavailable)
    }
  }

  private static func formKey(_ ctx: Context<Never>) async -> Secret? {
    if case .formKey(let key) = await call(.formKey, ctx) { return key }
    return nil
  }

  // MARK: - Endpoints

  /// `GET /login`: the form, bound to the pre-session cookie (set now if missing).
  static func loginPage(_ web: WebRequest, includeBody: Bool, _ ctx: Context<Never>) async -> [UInt8] {
    guard let key = await formKey(ctx) else { return unavailable() }
    let (presession, setCookie) = presession(web)
    let page = LoginPage.html(
      csrf: FormToken.make(.login, cookie: presession, key: key), guests: web.services.config.webGuests)
    return html(200, page, headers: setCookie.map { [$0] } ?? [], includeBody: includeBody)
  }

  /// `POST /login`.
  static func login(_ web: WebRequest, body: [UInt8], _ ctx: Context<Never>) async -> [UInt8] {
    if let refused = refusedPost(web, body) { return refused }
    guard let form = FormBody(body), let key = await formKey(ctx) else { return formError(web) }
    guard let presession = web.presessionToken, FormToken.check(form["csrf"], .login, cookie: presession, key: key) else {
      return forbidden(web, "the login form has expired or did not come from this site: reload /login and try again")
    }
    let account = (form["account"] ?? "").trimmingSpaces
    let password = form["password"] ?? ""
    func again(_ status: Int, _ error: String) -> [UInt8] {
      let page = LoginPage.html(
        csrf: FormToken.make(.login, cookie: presession, key: key), error: error, account: account,
        guests: web.services.config.webGuests)
      return html(status, page)
    }
    guard !account.isEmpty, !password.isEmpty else { return again(401, "enter your account and your password") }
    guard password.utf8.count <= AccountStore.maximumPasswordLength else {
      return again(401, AccountRefusal.badCredentials.description)
    }
    let logger = web.services.logger
    switch await call(.login(name: account, password: Secret(password), address: web.address), ctx) {
    case .account(let info):
      let token = FormToken.random(bytes: 32)
      guard case .webSession(.some) = await call(.openSession(key: WebSessionRecord.key(forToken: token), account: info), ctx) else {
        return again(503, AccountRefusal.unavailable.description)
      }
      logger.info("web: \(info.name) logged in from \(web.address)")
      return HTTPResponse.seeOther(
        "/", headers: [Cookies.set(Cookies.session, token, secure: web.secure, maxAge: Cookies.sessionMaxAge)])
    case .refused(.throttled(let why)):
      logger.notice("web: a login to \(account) from \(web.address) refused: \(why)")
      return again(429, why)
    case .refused(.badCredentials):
      logger.info("web: a failed login to \(account) from \(web.address)")
      return again(401, AccountRefusal.badCredentials.description)
    case .refused(let refusal):
      return again(503, refusal.description)
    default:
      return again(503, AccountRefusal.unavailable.description)
    }
  }

  /// `POST /logout`: the session revoked (any node's next lookup finds nothing), the
  /// cookie cleared, and the browser sent to the login page.
  static func logout(_ web: WebRequest, body: [UInt8], _ ctx: Context<Never>) async -> [UInt8] {
    if let refused = refusedPost(web, body) { return refused }
    guard let form = FormBody(body), let key = await formKey(ctx) else { return formError(web) }
    // The token /session gave: bound to the session, or (no session) to the pre-session.
    let token = form["csrf"]
    guard
      FormToken.check(token, .session, cookie: web.sessionToken, key: key)
        || FormToken.check(token, .login, cookie: web.presessionToken, key: key)
    else {
      return forbidden(web, "the logout form did not come from this site's page: reload it and try again")
    }
    if let session = web.sessionToken {
      guard case .webSession = await call(.closeSession(key: WebSessionRecord.key(forToken: session)), ctx) else {
        return unavailable()
      }
    }
    return HTTPResponse.seeOther("/login", headers: [Cookies.set(Cookies.session, "", secure: web.secure, maxAge: 0)])
  }

  /// `GET /session`: `{"account": name or null, "csrf": token, "guests": bool, "login": "/login"}`.
  static func session(_ web: WebRequest, includeBody: Bool, _ ctx: Context<Never>) async -> [UInt8] {
    guard let key = await formKey(ctx) else { return unavailable() }
    let account = await account(of: web, ctx)
    var headers: [(String, String)] = [("Cache-Control", "no-store")]
    let csrf: String
    if account != nil, let token = web.sessionToken {
      csrf = FormToken.make(.session, cookie: token, key: key)
      // The session slid on the server: so does the cookie.
      headers.append(Cookies.set(Cookies.session, token, secure: web.secure, maxAge: Cookies.sessionMaxAge))
    } else {
      if web.sessionToken != nil { headers.append(Cookies.set(Cookies.session, "", secure: web.secure, maxAge: 0)) }
      let (presession, setCookie) = presession(web)
      if let setCookie { headers.append(setCookie) }
      csrf = FormToken.make(.login, cookie: presession, key: key)
    }
    let json =
      "{\"account\": \(account.map { JSON.string($0.name).description } ?? "null"), \"csrf\": \(JSON.string(csrf)), "
      + "\"guests\": \(web.services.config.webGuests), \"login\": \"/login\"}\n"
    return HTTPResponse.make(
      200, contentType: "application/json", body: Array(json.utf8), headers: headers, includeBody: includeBody)
  }

  // MARK: - Helpers

  /// The pre-session cookie's value, and the header that sets it if the browser had none.
  private static func presession(_ web: WebRequest) -> (String, (String, String)?) {
    if let existing = web.presessionToken { return (existing, nil) }
    let made = FormToken.random(bytes: 16)
    return (made, Cookies.set(Cookies.presession, made, secure: web.secure))
  }

  /// The checks every POST passes before its form is read: its origin, then its body's type.
  private static func refusedPost(_ web: WebRequest, _ body: [UInt8]) -> [UInt8]? {
    if let why = web.policy.refusesPost(web.request, secure: web.secure) { return forbidden(web, why) }
    let type = (web.request.header("content-type") ?? "").lowercased()
    guard type.hasPrefix("application/x-www-form-urlencoded") else {
      return HTTPResponse.error(HTTPError(415, "send the form as application/x-www-form-urlencoded"))
    }
    return nil
  }

  private static func forbidden(_ web: WebRequest, _ why: String) -> [UInt8] {
    web.services.logger.notice("web: refused \(web.request.method) \(web.request.path) from \(web.address) (403): \(why)")
    return HTTPResponse.error(HTTPError(403, why))
  }

  private static func formError(_ web: WebRequest) -> [UInt8] {
    HTTPResponse.error(HTTPError(400, "the form's fields are not valid UTF-8 form data"))
  }

  private static func unavailable() -> [UInt8] {
    HTTPResponse.error(HTTPError(503, AccountRefusal.unavailable.description))
  }

  static func html(_ status: Int, _ page: String, headers: [(String, String)] = [], includeBody: Bool = true) -> [UInt8] {
    HTTPResponse.make(
      status, contentType: "text/html; charset=utf-8", body: Array(page.utf8), headers: [("Cache-Control", "no-store")] + headers,
      includeBody: includeBody)
  }

}
