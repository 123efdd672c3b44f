// The web login in a real browser (headless Chromium over the DevTools protocol,
// scripts/web/chromium_login.py): a wrong password, the login and its cookie's flags (Secure
// over HTTPS), the chat page logged in by it as another client sees, no CSP violation,
// logout; and a page from another origin whose WebSocket chatd refuses (403, in its log).
// Skips, saying what to install, when Python's websockets or Chromium is missing.
import Actors
import Foundation
import OtterTestSupport
import XCTest

@testable import ChatApp

final class WebLoginBrowserTests: XCTestCase {
  var script: String { repositoryRoot.appendingPathComponent("scripts/web/chromium_login.py").path }

  func tools() throws -> (python: String, chromium: String) {
    guard let python = pythonWithWebsockets() else {
      throw XCTSkip("needs Python with the websockets package: run scripts/setup.sh (makes .build/pyvenv) or set OTTER_PYTHON")
    }
    guard let chromium = findTool(["chromium", "chromium-browser", "google-chrome"]) else {
      throw XCTSkip("needs Chromium: apt-get install chromium (scripts/setup.sh does)")
    }
    return (python, chromium)
  }

  func testLoginInChromiumAndAForeignPageIsRefused() async throws {
    let (python, chromium) = try tools()
    let capture = LogCapture()
    var config = ChatConfig()
    config.port = 0
    config.webPort = freePort()
    config.metricsPort = nil
    config.history = false
    config.dataDirectory = temporaryDirectory("chatweb-login")
    let server = try await ChatServer.start(config, on: try Node(logger: capture.logger(level: .info)))
    try registerAccount("alice", password: "alice-password", ircPort: server.ircPort)
    let run = try runTool(
      python,
      [script, chromium, "http://127.0.0.1:\(server.webPort)/", String(server.ircPort), "alice", "alice-password", "cross-origin"],
      timeout: 150)
    XCTAssertEqual(run.status, 0, run.output)
    XCTAssertTrue(run.output.contains("all passed"), run.output)
    // chatd's side of the foreign page's attempt: a 403, logged with the page's origin.
    let foreign = try XCTUnwrap(
      run.output.split(separator: "\n").first { $0.hasPrefix("foreign origin ") }?.dropFirst("foreign origin ".count), run.output)
    let refusal = capture.all.first { $0.message.contains("refused a WebSocket") && $0.message.contains(String(foreign)) }
    XCTAssertNotNil(refusal, capture.all.map(\.description).joined(separator: "\n"))
    XCTAssertTrue(refusal?.message.contains("(403)") ?? false)
    await stopChat(server)
  }

  /// Over HTTPS (a self-signed certificate Chromium is told to accept): the cookie is Secure.
  func testLoginInChromiumOverHTTPS() async throws {
    let (python, chromium) = try tools()
    guard TestCertificate.tool != nil else { throw XCTSkip("needs the openssl tool: apt-get install openssl") }
    let directory = temporaryDirectory("chatweb-login-tls")
    defer { removeDirectory(directory) }
    let server = try await startChatOverHTTPS(in: directory)
    try registerAccount("alice", password: "alice-password", ircPort: server.ircPort)
    let run = try runTool(
      python, [script, chromium, "https://127.0.0.1:\(server.webTLSPort)/", String(server.ircPort), "alice", "alice-password"],
      timeout: 150)
    XCTAssertEqual(run.status, 0, run.output)
    XCTAssertTrue(run.output.contains("chatd_session is HttpOnly, SameSite=Strict, Secure"), run.output)
    XCTAssertTrue(run.output.contains("all passed"), run.output)
    await stopChat(server)
  }
}
