// The locked-down web side over real HTTP on TCP, against a chatd started in process:
// the security headers on every page, the login (its cookie, then a WebSocket logged in
// by it, seen by another client), the refusals — a wrong password (401, no cookie), the
// throttle (429), forms without or with a wrong token or from another origin (403), a
// WebSocket from another origin (403), a cookieless WebSocket when guests are off (403) —
// and logout revoking the session.
import Foundation
import OtterTestSupport
import XCTest

@testable import ChatApp

final class WebLoginTests: XCTestCase {
  /// The headers of a WebSocket handshake, with `extra` (Origin, Cookie).
  func upgradeHeaders(_ extra: [String: String] = [:]) -> [String: String] {
    [
      "Upgrade": "websocket", "Connection": "Upgrade", "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ==",
      "Sec-WebSocket-Version": "13", "Sec-WebSocket-Protocol": "text.ircv3.net",
    ].merging(extra) { $1 }
  }

  /// A WebSocket client with `headers` (`Name: value` lines) that registers as `nick`;
  /// every line up to its 001.
  func registeredWebSocket(_ port: Int, nick: String, headers: String = "") throws -> (TestWebSocket, String) {
    let ws = try TestWebSocket(port: port, extraHeaders: headers)
    try ws.send(line: "NICK \(nick)")
    try ws.send(line: "USER \(nick) 0 * :\(nick)")
    var lines: [String] = []
    while !(lines.last ?? "").contains(" 001 ") {
      do {
        let frame = try ws.receive()
        if frame.opcode == 8 { throw TestError("closed") }
        lines.append(String(decoding: frame.payload, as: UTF8.self))
      } catch {
        throw TestError("\(error) after: \(lines)")
      }
    }
    return (ws, lines.joined(separator: "\n"))
  }

  func testEveryPageCarriesTheSecurityHeaders() async throws {
    let server = try await startChat()
    let port = server.webPort
    for (path, type) in [
      ("/", "text/html"), ("/app.js", "application/javascript"), ("/app.css", "text/css"), ("/login", "text/html"),
      ("/login.css", "text/css"), ("/session", "application/json"), ("/nope", "text/plain"),
    ] {
      let r = try http(port, path)
      XCTAssertEqual(r.header("Content-Security-Policy"), SecurityHeaders.contentSecurityPolicy, path)
      XCTAssertTrue(r.header("Content-Security-Policy")?.contains("script-src 'self'") ?? false, path)
      XCTAssertEqual(r.header("X-Content-Type-Options"), "nosniff", path)
      XCTAssertEqual(r.header("Referrer-Policy"), "same-origin", path)
      XCTAssertTrue(r.header("Content-Type")?.hasPrefix(type) ?? false, "\(path): \(r.header("Content-Type") ?? "none")")
    }
    // Nothing inline for the CSP to block: the page's script and style are files.
    let page = try http(port, "/").body
    XCTAssertTrue(page.contains("<script src=\"/app.js\"></script>"), page)
    XCTAssertTrue(page.contains("<link rel=\"stylesheet\" href=\"/app.css\">"), page)
    XCTAssertFalse(page.contains("<style"), page)
    XCTAssertFalse(page.contains("style="), page)
    XCTAssertNil(page.range(of: "<script>"), page)
    XCTAssertEqual(try http(port, "/app.js").body, WebClientScript.source)
    // The login page is a plain form, its token hidden in it.
    let login = try http(port, "/login")
    XCTAssertTrue(login.body.contains("<form id=\"login\" method=\"post\" action=\"/login\">"), login.body)
    XCTAssertTrue(login.body.contains("name=\"password\" type=\"password\""), login.body)
    XCTAssertEqual(login.csrf?.count, 64)
    XCTAssertNotNil(login.setCookie("chatd_presession"))
    await stopChat(server)
  }

  func testLoginLogsTheWebSocketInAndLogoutRevokes() async throws {
    // Everything logged, down to each client line: the token and password must not be.
    let capture = LogCapture()
    let server = try await startChat(capture: capture) { $0.logLevel = .trace }
    try registerAccount("alice", password: "alice-password", ircPort: server.ircPort)
    var browser = WebBrowser(port: server.webPort)
    let login = try browser.logIn("alice", "alice-password")
    XCTAssertEqual(login.status, 303, login.body)
    XCTAssertEqual(login.header("Location"), "/")
    let cookie = try XCTUnwrap(login.setCookie("chatd_session"), "\(login.setCookies)")
    XCTAssertTrue(cookie.contains("; HttpOnly"), cookie)
    XCTAssertTrue(cookie.contains("; SameSite=Strict"), cookie)
    XCTAssertTrue(cookie.contains("; Path=/"), cookie)
    XCTAssertFalse(cookie.contains("Secure"), "not on plain HTTP: \(cookie)")
    let token = try XCTUnwrap(browser.cookies["chatd_session"])
    XCTAssertEqual(token.count, 64, "256 random bits")

    // What the page learns from /session.
    let session = try browser.request("/session")
    XCTAssertEqual(session.header("Content-Type"), "application/json")
    XCTAssertTrue(session.body.contains("\"account\": \"alice\""), session.body)
    XCTAssertTrue(session.body.contains("\"guests\": true"), session.body)

    // An IRC client in #web with extended-join and account-tag sees the web client's account.
    let irc = try TestConnection(port: server.ircPort)
    try irc.send("CAP LS 302\r\nCAP REQ :extended-join account-tag\r\nCAP END\r\nNICK watcher\r\nUSER w 0 * :w\r\nJOIN #web\r\n")
    try irc.expectLine(containing: " 366 ")
    let (ws, welcome) = try registeredWebSocket(
      server.webPort, nick: "webalice", headers: "Origin: \(browser.origin)\r\nCookie: chatd_session=\(token)\r\n")
    XCTAssertTrue(welcome.contains(" 900 webalice webalice!webalice@127.0.0.1 alice :You are now logged in as alice"), welcome)
    try ws.send(line: "JOIN #web")
    let join = try irc.expectLine(containing: "JOIN #web")
    XCTAssertTrue(join.contains("JOIN #web alice "), "extended-join shows the account: \(join)")
    try ws.send(line: "PRIVMSG #web :from the web")
    XCTAssertTrue(try irc.expectLine(containing: "from the web").contains("account=alice"))

    // The session's token is kept hashed, never as it is.
    for file in [server.config.accountsPath, server.config.accountsPath + "-wal"] {
      let stored = (try? String(contentsOfFile: file, encoding: .isoLatin1)) ?? ""
      XCTAssertFalse(stored.contains(token), "the token itself is not stored in \(file)")
      XCTAssertTrue(file.hasSuffix("-wal") || !stored.isEmpty)
    }

    // Logout with the token /session gave: the session is gone everywhere.
    let csrf = try XCTUnwrap(session.body.components(separatedBy: "\"csrf\": \"").dropFirst().first?.prefix(64))
    let logout = try browser.post("/logout", [("csrf", String(csrf))])
    XCTAssertEqual(logout.status, 303, logout.body)
    XCTAssertEqual(logout.header("Location"), "/login")
    XCTAssertTrue(logout.setCookie("chatd_session")?.contains("Max-Age=0") ?? false, "\(logout.setCookies)")
    // The old cookie, sent again, logs nobody in: a guest (no 900), and /session says so.
    let after = try http(server.webPort, "/session", headers: ["Cookie": "chatd_session=\(token)"])
    XCTAssertTrue(after.body.contains("\"account\": null"), after.body)
    let (_, again) = try registeredWebSocket(server.webPort, nick: "alice2", headers: "Cookie: chatd_session=\(token)\r\n")
    XCTAssertFalse(again.contains(" 900 "), again)
    await stopChat(server)
    let log = capture.all.map(\.description)
    XCTAssertTrue(log.contains { $0.contains("alice logged in") }, log.joined(separator: "\n"))
    XCTAssertTrue(log.contains { $0.contains("from the web") }, "client lines are logged: \(log.count) lines")
    XCTAssertFalse(log.contains { $0.contains(token) || $0.contains("alice-password") }, log.joined(separator: "\n"))
  }

  func testLoginRefusals() async throws {
    let server = try await startChat()
    try registerAccount("bob", password: "bob-password", ircPort: server.ircPort)
    var browser = WebBrowser(port: server.webPort)
    // A wrong password: the form again, 401, the error in #login-error, no session.
    let wrong = try browser.logIn("bob", "not-bob's")
    XCTAssertEqual(wrong.status, 401)
    XCTAssertTrue(wrong.body.contains("<p id=\"login-error\" role=\"alert\">invalid account or password</p>"), wrong.body)
    XCTAssertNil(wrong.setCookie("chatd_session"), "\(wrong.setCookies)")
    XCTAssertNotNil(wrong.csrf, "a fresh form to try again")

    // Forms that did not come from the login page, or not from this site: 403.
    let page = try browser.request("/login")
    let csrf = try XCTUnwrap(page.csrf)
    let good = [("account", "bob"), ("password", "bob-password")]
    XCTAssertEqual(try browser.post("/login", good).status, 403, "no token")
    XCTAssertEqual(try browser.post("/login", good + [("csrf", String(repeating: "0", count: 64))]).status, 403, "a wrong token")
    XCTAssertEqual(try browser.post("/login", good + [("csrf", csrf)], origin: "http://evil.example").status, 403, "another origin")
    var elsewhere = WebBrowser(port: server.webPort)
    XCTAssertEqual(try elsewhere.post("/login", good + [("csrf", csrf)]).status, 403, "a token bound to another browser's cookie")
    let noOrigin = try browser.request(
      "/login", method: "POST", headers: ["Content-Type": "application/x-www-form-urlencoded"], body: form(good + [("csrf", csrf)]))
    XCTAssertEqual(noOrigin.status, 403, "neither Origin nor Referer")
    let badReferer = try browser.request(
      "/login", method: "POST", headers: ["Content-Type": "application/x-www-form-urlencoded", "Referer": "http://evil.example/login"],
      body: form(good + [("csrf", csrf)]))
    XCTAssertEqual(badReferer.status, 403, "a Referer from another site")
    XCTAssertEqual(try browser.post("/logout", [("csrf", "nope")]).status, 403, "logout without its token")
    // A Referer from the page itself will do where Origin is missing.
    let referred = try browser.request(
      "/login", method: "POST", headers: ["Content-Type": "application/x-www-form-urlencoded", "Referer": browser.origin + "/login"],
      body: form(good + [("csrf", csrf)]))
    XCTAssertEqual(referred.status, 303, referred.body)

    // The throttle: bob's account has had one failure; four more use up its burst, then 429.
    var statuses: [Int] = []
    for _ in 0..<5 { statuses.append(try browser.logIn("bob", "guessing").status) }
    XCTAssertEqual(statuses, [401, 401, 401, 401, 429])
    let throttled = try browser.logIn("bob", "bob-password")
    XCTAssertEqual(throttled.status, 429, "even the right password, while throttled")
    XCTAssertTrue(throttled.body.contains("too many failed logins for this account"), throttled.body)
    XCTAssertNil(throttled.setCookie("chatd_session"))
    await stopChat(server)
  }

  func testWebSocketOriginCheck() async throws {
    let server = try await startChat()
    let port = server.webPort
    // No Origin (not a browser: irctest, chatbench), or the page's own: accepted.
    _ = try TestWebSocket(port: port)
    _ = try TestWebSocket(port: port, extraHeaders: "Origin: http://127.0.0.1:\(port)\r\n")
    // Another site's page: refused, with a reason.
    for origin in ["http://evil.example", "http://127.0.0.1:\(port + 1)", "https://127.0.0.1:\(port)", "null"] {
      let r = try http(port, "/ws", headers: upgradeHeaders(["Origin": origin]))
      XCTAssertEqual(r.status, 403, origin)
      XCTAssertTrue(r.body.contains("may not open this server's WebSocket"), r.body)
    }
    // Behind a proxy that terminates TLS (X-Forwarded-Proto: https) the page's origin is https.
    _ = try TestWebSocket(port: port, extraHeaders: "Origin: https://127.0.0.1:\(port)\r\nX-Forwarded-Proto: https\r\n")
    await stopChat(server)

    // Configured origins replace the default.
    let configured = try await startChat { $0.webOrigins = ["https://chat.example"] }
    _ = try TestWebSocket(port: configured.webPort, extraHeaders: "Origin: https://chat.example\r\n")
    let own = try http(configured.webPort, "/ws", headers: upgradeHeaders(["Origin": "http://127.0.0.1:\(configured.webPort)"]))
    XCTAssertEqual(own.status, 403)
    await stopChat(configured)
  }

  func testNoGuestsRefusesACookielessWebSocket() async throws {
    let server = try await startChat { $0.webGuests = false }
    try registerAccount("carol", password: "carol-password", ircPort: server.ircPort)
    let guest = try http(server.webPort, "/ws", headers: upgradeHeaders())
    XCTAssertEqual(guest.status, 403)
    XCTAssertTrue(guest.body.contains("log in at /login"), guest.body)
    let forged = try http(server.webPort, "/ws", headers: upgradeHeaders(["Cookie": "chatd_session=" + String(repeating: "a", count: 64)]))
    XCTAssertEqual(forged.status, 403, "a cookie of no session")
    XCTAssertTrue(try http(server.webPort, "/session").body.contains("\"guests\": false"))
    var browser = WebBrowser(port: server.webPort)
    XCTAssertEqual(try browser.logIn("carol", "carol-password").status, 303)
    let token = try XCTUnwrap(browser.cookies["chatd_session"])
    let (_, welcome) = try registeredWebSocket(server.webPort, nick: "carolweb", headers: "Cookie: chatd_session=\(token)\r\n")
    XCTAssertTrue(welcome.contains(" 900 "), welcome)
    await stopChat(server)
  }

  /// Bodies chatd does not read: refused with the status that says why.
  func testFormBodiesItRefuses() async throws {
    let server = try await startChat()
    let port = server.webPort
    let origin = ["Origin": "http://127.0.0.1:\(port)"]
    let formType = origin.merging(["Content-Type": "application/x-www-form-urlencoded"]) { $1 }
    XCTAssertEqual(try http(port, "/login", method: "POST", headers: formType).status, 411, "no Content-Length")
    let chunked = formType.merging(["Transfer-Encoding": "chunked"]) { $1 }
    XCTAssertEqual(try http(port, "/login", method: "POST", headers: chunked, body: "").status, 411, "chunked")
    let big = try http(port, "/login", method: "POST", headers: formType, body: String(repeating: "a", count: WebLogin.maxBody + 1))
    XCTAssertEqual(big.status, 413)
    XCTAssertEqual(
      try http(port, "/login", method: "POST", headers: origin.merging(["Content-Type": "application/json"]) { $1 }, body: "{}").status, 415
    )
    XCTAssertEqual(try http(port, "/login", method: "POST", headers: formType, body: "csrf=%FF").status, 400, "not UTF-8")
    XCTAssertEqual(try http(port, "/logout").status, 405, "logout is a POST")
    XCTAssertEqual(try http(port, "/", method: "POST", headers: formType, body: "").status, 405)
    // A body that never comes whole: 408, not a session kept forever.
    let slow = try TestConnection(port: port, timeout: 15)
    try slow.send("POST /login HTTP/1.1\r\nHost: 127.0.0.1:\(port)\r\nContent-Length: 100\r\n\r\naccount=")
    XCTAssertTrue(String(decoding: try slow.readToEnd(), as: UTF8.self).hasPrefix("HTTP/1.1 408 "))
    await stopChat(server)
  }

  /// Dropping the account ends its sessions: the cookie logs nobody in any more.
  func testDroppingTheAccountEndsItsSessions() async throws {
    let server = try await startChat { $0.webGuests = false }
    try registerAccount("dave", password: "dave-password", ircPort: server.ircPort)
    var browser = WebBrowser(port: server.webPort)
    XCTAssertEqual(try browser.logIn("dave", "dave-password").status, 303)
    let token = try XCTUnwrap(browser.cookies["chatd_session"])
    XCTAssertTrue(try browser.request("/session").body.contains("\"account\": \"dave\""))
    let irc = try ircClient(port: server.ircPort, nick: "dropper")
    try irc.send("PRIVMSG NickServ :IDENTIFY dave dave-password\r\n")
    try irc.expectLine(containing: " 900 ")
    try irc.send("PRIVMSG NickServ :DROP dave-password\r\n")
    try irc.expectLine(containing: "dropped")
    XCTAssertTrue(try browser.request("/session").body.contains("\"account\": null"))
    XCTAssertEqual(try http(server.webPort, "/ws", headers: upgradeHeaders(["Cookie": "chatd_session=\(token)"])).status, 403)
    // Nor does an account of the same name registered again by someone else inherit it.
    try registerAccount("dave", password: "another-password", ircPort: server.ircPort)
    XCTAssertEqual(try http(server.webPort, "/ws", headers: upgradeHeaders(["Cookie": "chatd_session=\(token)"])).status, 403)
    await stopChat(server)
  }

  func testWebSettingsOnTheCommandLineAndInAFile() throws {
    guard case .run(let config) = try ChatCommandLine.parse(["--web-origin", "https://Chat.Example:443/", "--web-guests", "off"]) else {
      return XCTFail("not a run")
    }
    XCTAssertEqual(config.webOrigins, ["https://chat.example"])
    XCTAssertFalse(config.webGuests)
    XCTAssertThrowsError(try ChatCommandLine.parse(["--web-origin", "chat.example"])) { error in
      XCTAssertTrue("\(error)".contains("expected an origin like https://chat.example.org"), "\(error)")
    }
    XCTAssertThrowsError(try ChatCommandLine.parse(["--web-origin", "https://chat.example/path"]))
    XCTAssertThrowsError(try ChatCommandLine.parse(["--web-guests", "maybe"]))
    let file = try ChatConfigFile.parse("web-origins = https://a.example, http://b.example:8080\nweb-guests = off\n", file: "t.conf")
    XCTAssertEqual(file.webOrigins, ["https://a.example", "http://b.example:8080"])
    XCTAssertFalse(file.webGuests)
  }
}
