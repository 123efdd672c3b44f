// HTTP for the web login's tests: one request per connection to chatd's web port (as
// browsers' forms and chatd's sessions do), its response split into status, header
// fields and body, and the little the tests read out of them (cookies, the form's token).
// The login's test support too: an account registered over IRC, a login that returns
// its session cookie.
import Foundation
import OtterTestSupport
import XCTest

@testable import ChatApp

/// A response as the tests look at it.
struct WebResponse {
  let status: Int
  let headers: [(name: String, value: String)]
  let body: String

  /// The first value of header `name` (case-insensitive).
  func header(_ name: String) -> String? { headers.first { $0.name.lowercased() == name.lowercased() }?.value }
  /// Every `Set-Cookie` value.
  var setCookies: [String] { headers.filter { $0.name.lowercased() == "set-cookie" }.map(\.value) }
  /// The `Set-Cookie` value for cookie `name`, if the response sets it.
  func setCookie(_ name: String) -> String? { setCookies.first { $0.hasPrefix(name + "=") } }
  /// The value cookie `name` is set to.
  func cookieValue(_ name: String) -> String? {
    setCookie(name).map { String($0.dropFirst(name.count + 1).prefix { $0 != ";" }) }
  }
  /// The login form's hidden token.
  var csrf: String? {
    guard let r = body.range(of: "name=\"csrf\" value=\"") else { return nil }
    return String(body[r.upperBound...].prefix { $0 != "\"" })
  }
}

/// Sends one request to 127.0.0.1:`port` and reads the whole response.
func http(
  _ port: Int, _ path: String, method: String = "GET", headers: [String: String] = [:], body: String? = nil
) throws -> WebResponse {
  let c = try TestConnection(port: port, timeout: 30)
  var request = "\(method) \(path) HTTP/1.1\r\nHost: 127.0.0.1:\(port)\r\n"
  for (name, value) in headers.sorted(by: { $0.key < $1.key }) { request += "\(name): \(value)\r\n" }
  if let body { request += "Content-Length: \(body.utf8.count)\r\n" }
  request += "\r\n" + (body ?? "")
  try c.send(request)
  let text = String(decoding: try c.readToEnd(), as: UTF8.self)
  guard let split = text.range(of: "\r\n\r\n") else { throw TestError("no response head: \(text)") }
  var lines = text[..<split.lowerBound].components(separatedBy: "\r\n")
  let statusLine = lines.removeFirst().split(separator: " ")
  guard statusLine.count >= 2, let status = Int(statusLine[1]) else { throw TestError("bad status line: \(text)") }
  let fields = lines.compactMap { line -> (String, String)? in
    guard let colon = line.firstIndex(of: ":") else { return nil }
    return (String(line[..<colon]), line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces))
  }
  return WebResponse(status: status, headers: fields, body: String(text[split.upperBound...]))
}

/// `name=value&...`, form-encoded.
func form(_ fields: [(String, String)]) -> String {
  var allowed = CharacterSet.alphanumerics
  allowed.insert(charactersIn: "-._~")
  return fields.map { "\($0.0)=\($0.1.addingPercentEncoding(withAllowedCharacters: allowed) ?? "")" }.joined(separator: "&")
}

/// A browser's view of chatd's login: its cookies, and the origin its pages have.
struct WebBrowser {
  let port: Int
  var cookies: [String: String] = [:]
  var origin: String { "http://127.0.0.1:\(port)" }

  var cookieHeader: [String: String] {
    cookies.isEmpty ? [:] : ["Cookie": cookies.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: "; ")]
  }

  /// A request with the browser's cookies (and `headers`), keeping what it sets.
  mutating func request(_ path: String, method: String = "GET", headers: [String: String] = [:], body: String? = nil) throws
    -> WebResponse
  {
    let response = try http(port, path, method: method, headers: cookieHeader.merging(headers) { $1 }, body: body)
    for set in response.setCookies {
      let pair = set.prefix { $0 != ";" }
      guard let equals = pair.firstIndex(of: "=") else { continue }
      let name = String(pair[..<equals])
      let value = String(pair[pair.index(after: equals)...])
      if value.isEmpty || set.contains("Max-Age=0") { cookies[name] = nil } else { cookies[name] = value }
    }
    return response
  }

  /// Posts `fields` as the page's form would (same origin, form-encoded).
  mutating func post(_ path: String, _ fields: [(String, String)], origin: String? = nil) throws -> WebResponse {
    try request(
      path, method: "POST", headers: ["Origin": origin ?? self.origin, "Content-Type": "application/x-www-form-urlencoded"],
      body: form(fields))
  }

  /// Opens the login page and posts `account` and `password` with its token.
  mutating func logIn(_ account: String, _ password: String) throws -> WebResponse {
    let page = try request("/login")
    guard let csrf = page.csrf else { throw TestError("no csrf in the login page: \(page.body)") }
    return try post("/login", [("account", account), ("password", password), ("csrf", csrf)])
  }
}

/// Registers the account `name` over IRC (NickServ REGISTER) on `ircPort`.
func registerAccount(_ name: String, password: String, ircPort: Int) throws {
  let irc = try ircClient(port: ircPort, nick: name)
  try irc.send("PRIVMSG NickServ :REGISTER \(password)\r\n")
  try irc.expectLine(containing: " 900 ")
  try irc.send("QUIT\r\n")
  _ = try? irc.readToEnd()  // the nick is free again once the server has closed
}
