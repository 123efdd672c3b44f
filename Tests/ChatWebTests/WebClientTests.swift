// The web client (Sources/ChatApp/Web/Client) in headless Chromium against a started
// chatd: one scenario of scripts/web/chromium_webui.py a test (its docstring says what
// each checks), with screenshots under .build/web-test/. Plus what needs no browser:
// the page's weight, that it has no inline code (the CSP would block it), and that
// chatd serves its script and style with the right types and the page with the policy.
import Foundation
import OtterTestSupport
import XCTest

@testable import ChatApp

final class WebClientTests: XCTestCase {
  var scripts: URL { repositoryRoot.appendingPathComponent("scripts/web") }
  var shots: URL { repositoryRoot.appendingPathComponent(".build/web-test") }

  /// Runs one scenario against a chatd with stored history (the page asks for it with
  /// CHATHISTORY); its output, after checking it passed. A scenario that prints "skip:"
  /// (the server lacks what it needs) makes the test skip, saying so.
  @discardableResult
  /// `config`: settings to run chatd with (its ports and data directory are the test's).
  func scenario(_ name: String, timeout: Double = 150, config: ChatConfig? = nil) async throws -> String {
    guard let python = pythonWithWebsockets() else {
      throw XCTSkip("needs Python with the websockets package: run scripts/setup.sh (makes .build/pyvenv) or set OTTER_PYTHON")
    }
    guard let chromium = findTool(["chromium", "chromium-browser", "google-chrome"]) else {
      throw XCTSkip("needs Chromium: apt-get install chromium (scripts/setup.sh does)")
    }
    try FileManager.default.createDirectory(at: shots, withIntermediateDirectories: true)
    let server = try await startChat {
      // `config`'s settings, on startChat's ports and data directory.
      if var base = config {
        (base.port, base.webPort, base.metricsPort) = ($0.port, $0.webPort, $0.metricsPort)
        (base.floodProtection, base.dataDirectory) = ($0.floodProtection, $0.dataDirectory)
        $0 = base
      }
      $0.history = true
    }
    let run = try runTool(
      python,
      [
        scripts.appendingPathComponent("chromium_webui.py").path, name, chromium,
        "http://127.0.0.1:\(server.webPort)/", String(server.ircPort), shots.path,
      ], timeout: timeout)
    await stopChat(server)
    XCTAssertEqual(run.status, 0, run.output)
    XCTAssertTrue(run.output.contains("all passed"), run.output)
    if let skip = run.output.split(separator: "\n").first(where: { $0.hasPrefix("skip: ") }) {
      throw XCTSkip(String(skip.dropFirst(6)))
    }
    return run.output
  }

  func testLayoutFromPhoneToDesktopAccessibleAndSafe() async throws {
    try await scenario("layout")
    for name in ["webui-desktop.png", "webui-phone.png", "webui-phone-rooms.png"] {
      let png = FileManager.default.contents(atPath: shots.appendingPathComponent(name).path) ?? Data()
      XCTAssertEqual(Array(png.prefix(4)), [0x89, 0x50, 0x4E, 0x47], "a PNG at .build/web-test/\(name)")
    }
  }

  func testUnreadMentionsNotificationsJoinAndCommands() async throws {
    try await scenario("unread")
  }

  func testScrollbackLoadsOlderPagesWithDaySeparators() async throws {
    try await scenario("scrollback")
  }

  /// A server that serves fewer lines a CHATHISTORY than the page asks for (its
  /// CHATHISTORY= token): a short page is not taken for the beginning of history.
  func testScrollbackWithASmallServerLimit() async throws {
    var config = ChatConfig()
    config.chathistoryLimit = 20
    try await scenario("scrollback", config: config)
  }

  func testReconnectKeepsTheViewAndFetchesOnlyWhatWasMissed() async throws {
    try await scenario("reconnect")
  }

  /// Measured, not asserted (the machine is shared): the numbers go to the test's output.
  func testTimeToFirstMessageAtAThousandLines() async throws {
    let output = try await scenario("perf")
    let metrics = output.split(separator: "\n").filter { $0.hasPrefix("metric ") }
    XCTAssertEqual(metrics.count, 5, output)
    print(metrics.joined(separator: "\n"))
  }

  /// Searching needs the server's soju.im/search; without it the page must say search
  /// is not available (checked), and the test skips saying so.
  func testSearch() async throws {
    try await scenario("search")
  }

  /// The login state from `GET /session` (skips, saying so, while the server has none).
  func testLoginStateFromSession() async throws {
    try await scenario("session")
  }

  /// An always-on account's page closed and opened again. Needs web logins and
  /// always-on sessions (`--always-on`); skips, saying which is missing.
  func testAlwaysOnPageShowsWhatWasMissed() async throws {
    guard case .run(let config)? = try? ChatCommandLine.parse(["--always-on", "opt-out"]) else {
      throw XCTSkip("this chatd has no always-on sessions (--always-on)")
    }
    try await scenario("alwayson", config: config)
  }

  /// Needs web logins (/login, /session) and draft/read-marker on the server; skips,
  /// saying which is missing, until both are there.
  func testReadMarkerSharedBetweenTwoPagesOfOneAccount() async throws {
    try await scenario("readmarker")
  }

  // MARK: - Without a browser

  /// A real irssi and two pages (desktop, phone) in one room, each seeing the others.
  func testARealIrssiAndTwoPagesChat() async throws {
    try await scenario("irssi")
  }

  func testPageWeightIsUnderAHundredKilobytes() {
    let weight = WebClientPage.bytes.count + WebClientScript.bytes.count + WebClientStyle.bytes.count
    XCTAssertLessThanOrEqual(weight, 100_000, "html + js + css")
    print(
      "web client page weight: \(weight) bytes (html \(WebClientPage.bytes.count), js \(WebClientScript.bytes.count), css \(WebClientStyle.bytes.count))"
    )
  }

  /// The CSP allows no inline script, style or event handler; the script never sets
  /// markup from strings.
  func testThePageHasNoInlineCode() {
    let html = WebClientPage.html
    XCTAssertNil(html.range(of: #"<script(?![^>]*\bsrc=)"#, options: .regularExpression), "an inline script")
    XCTAssertNil(html.range(of: "<style", options: .caseInsensitive), "an inline style sheet")
    XCTAssertNil(html.range(of: #"\sstyle="#, options: .regularExpression), "a style attribute")
    XCTAssertNil(html.range(of: #"\son[a-z]+="#, options: .regularExpression), "an inline event handler")
    XCTAssertTrue(html.contains(#"<script src="/app.js"></script>"#))
    XCTAssertTrue(html.contains(#"<link rel="stylesheet" href="/app.css">"#))
    for sink in ["innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval(", "new Function"] {
      XCTAssertFalse(WebClientScript.source.contains(sink), "the script uses \(sink)")
    }
  }

  func testServesScriptAndStyleAndThePageWithItsPolicy() async throws {
    let server = try await startChat()
    func get(_ path: String) throws -> String {
      let c = try TestConnection(port: server.webPort)
      try c.send("GET \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
      return String(decoding: try c.readToEnd(), as: UTF8.self)
    }
    let page = try get("/")
    XCTAssertTrue(page.contains("Content-Security-Policy: default-src 'self'; script-src 'self'; style-src 'self';"), page)
    XCTAssertTrue(page.contains("X-Content-Type-Options: nosniff\r\n"))
    XCTAssertTrue(page.contains("Referrer-Policy: same-origin\r\n"))
    let script = try get("/app.js")
    XCTAssertTrue(script.hasPrefix("HTTP/1.1 200 OK\r\n"), script)
    XCTAssertTrue(script.contains("Content-Type: application/javascript; charset=utf-8\r\n"))
    XCTAssertTrue(script.hasSuffix(WebClientScript.source))
    let style = try get("/app.css")
    XCTAssertTrue(style.contains("Content-Type: text/css; charset=utf-8\r\n"))
    XCTAssertTrue(style.hasSuffix(WebClientStyle.source))
    await stopChat(server)
  }
}
