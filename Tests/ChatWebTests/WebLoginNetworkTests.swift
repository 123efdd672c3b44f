// Web login sessions across a chatd network: two chatd nodes (the built binary, each its
// own OS process, `--cluster` on a real redis-server). The login form one node served is
// posted to the other (the form key is the network's), the cookie that login sets logs a
// WebSocket in on the first node, and a logout on that node revokes the session on the
// other: sessions live in the network's Redis, not in a node.
import Foundation
import OtterTestSupport
import RedisTestSupport
import XCTest

@testable import ChatApp

final class WebLoginNetworkTests: XCTestCase {
  func testASessionFromOneNodeWorksOnTheOther() async throws {
    _ = try ChatdProcess.built()
    let redis = try startRedisServer()
    func node(_ name: String) throws -> ChatdProcess {
      let directory = temporaryDirectory("chatweb-net-\(name)")
      addTeardownBlock { removeDirectory(directory) }
      return try ChatdProcess([
        "--cluster", redis.url, "--node", name, "--port", "0", "--web-port", "\(freePort())", "--data-dir", directory,
      ])
    }
    let a = try node("a")
    let b = try node("b")
    try await eventually("node a to see node b:\n\(a.output)", timeout: .seconds(20)) { a.output.contains("network: node b up") }
    try registerAccount("alice", password: "alice-password", ircPort: a.ircPort)

    // The form from node a, posted to node b (as a load balancer may send them).
    var onA = WebBrowser(port: a.webPort)
    let csrf = try XCTUnwrap(try onA.request("/login").csrf)
    var onB = WebBrowser(port: b.webPort, cookies: onA.cookies)
    let login = try onB.post("/login", [("account", "alice"), ("password", "alice-password"), ("csrf", csrf)])
    XCTAssertEqual(login.status, 303, "\(login.body)\n\(b.output)")
    let token = try XCTUnwrap(onB.cookies["chatd_session"])

    // Node b's cookie logs a WebSocket in on node a.
    let ws = try TestWebSocket(port: a.webPort, extraHeaders: "Cookie: chatd_session=\(token)\r\n")
    try ws.send(line: "NICK roamer")
    try ws.send(line: "USER roamer 0 * :roamer")
    XCTAssertTrue(try ws.expect(containing: " 900 ").contains("You are now logged in as alice"))
    onA.cookies = onB.cookies
    let session = try onA.request("/session")
    XCTAssertTrue(session.body.contains("\"account\": \"alice\""), session.body)

    // The session is in Redis, under its token's hash, never the token itself.
    func keys() throws -> String {
      try runTool(findTool(["redis-cli"]) ?? "/usr/bin/redis-cli", ["-u", redis.url, "--scan", "--pattern", "*"], timeout: 10).output
    }
    let stored = try keys()
    XCTAssertTrue(stored.contains("web-session:" + WebSessionRecord.key(forToken: token)), stored)
    XCTAssertFalse(stored.contains(token), stored)
    XCTAssertTrue(stored.contains("server-key:web-forms"), stored)
    // Redis drops the session's key when the session expires: its TTL is the session's.
    let sessionKey = try XCTUnwrap(stored.split(separator: "\n").first { $0.contains("web-session:") })
    let ttl = try runTool(findTool(["redis-cli"]) ?? "/usr/bin/redis-cli", ["-u", redis.url, "TTL", String(sessionKey)], timeout: 10)
    let seconds = Int(ttl.output.trimmingCharacters(in: .whitespacesAndNewlines)) ?? -1
    XCTAssertTrue((WebSessionRecord.lifetime - 60...WebSessionRecord.lifetime).contains(seconds), ttl.output)

    // Logout on node a: node b no longer knows the session.
    let logoutToken = try XCTUnwrap(session.body.components(separatedBy: "\"csrf\": \"").dropFirst().first?.prefix(64))
    XCTAssertEqual(try onA.post("/logout", [("csrf", String(logoutToken))]).status, 303)
    let after = try http(b.webPort, "/session", headers: ["Cookie": "chatd_session=\(token)"])
    XCTAssertTrue(after.body.contains("\"account\": null"), after.body)
    XCTAssertFalse(try keys().contains("web-session:"), "revoked: the session's key is gone")
  }
}
