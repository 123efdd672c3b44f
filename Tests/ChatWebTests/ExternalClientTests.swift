// chatd's web port against real-world peers: the Python `websockets` client doing the
// protocol's edge cases, two headless Chromium pages chatting (with a screenshot), a
// page reconnecting, and Debian's nginx as a reverse proxy in front of it all. Each test
// skips, saying what to install, when its tool is missing (scripts/setup.sh installs
// them all).
import Foundation
import OtterTestSupport
import XCTest

@testable import ChatApp

final class ExternalClientTests: XCTestCase {
  var scripts: URL { repositoryRoot.appendingPathComponent("scripts/web") }

  func python() throws -> String {
    guard let python = pythonWithWebsockets() else {
      throw XCTSkip("needs Python with the websockets package: run scripts/setup.sh (makes .build/pyvenv) or set OTTER_PYTHON")
    }
    return python
  }

  func testPythonWebsocketsEdgeCases() async throws {
    let python = try python()
    let server = try await startChat()
    let run = try runTool(
      python, [scripts.appendingPathComponent("ws_edge_cases.py").path, "ws://127.0.0.1:\(server.webPort)/ws"], timeout: 120)
    XCTAssertEqual(run.status, 0, run.output)
    XCTAssertTrue(run.output.contains("all passed"), run.output)
    await stopChat(server)
  }

  func testTwoChromiumPagesChat() async throws {
    let python = try python()
    guard let chromium = findTool(["chromium", "chromium-browser", "google-chrome"]) else {
      throw XCTSkip("needs Chromium: apt-get install chromium (scripts/setup.sh does)")
    }
    let server = try await startChat()
    // Kept where a person can look at it after the run.
    let shots = repositoryRoot.appendingPathComponent(".build/web-test")
    try FileManager.default.createDirectory(at: shots, withIntermediateDirectories: true)
    let shot = shots.appendingPathComponent("chromium-chat.png").path
    try? FileManager.default.removeItem(atPath: shot)
    let run = try runTool(
      python,
      [
        scripts.appendingPathComponent("chromium_chat.py").path, chromium,
        "http://127.0.0.1:\(server.webPort)/", String(server.ircPort), shot,
      ], timeout: 120)
    XCTAssertEqual(run.status, 0, run.output)
    XCTAssertTrue(run.output.contains("all passed"), run.output)
    let png = FileManager.default.contents(atPath: shot) ?? Data()
    XCTAssertEqual(Array(png.prefix(8)), [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A], "a PNG at \(shot)")
    XCTAssertGreaterThan(png.count, 5000)
    await stopChat(server)
  }

  /// The same two pages over HTTPS, their WebSockets over WSS (the plain web port off),
  /// with a self-signed certificate Chromium is told to accept.
  func testTwoChromiumPagesChatOverHTTPSAndWSS() async throws {
    let python = try python()
    guard let chromium = findTool(["chromium", "chromium-browser", "google-chrome"]) else {
      throw XCTSkip("needs Chromium: apt-get install chromium (scripts/setup.sh does)")
    }
    guard TestCertificate.tool != nil else { throw XCTSkip("needs the openssl tool: apt-get install openssl") }
    let directory = temporaryDirectory("chatweb-tls")
    defer { removeDirectory(directory) }
    let server = try await startChatOverHTTPS(in: directory)
    XCTAssertEqual(server.webPort, 0)
    let shots = repositoryRoot.appendingPathComponent(".build/web-test")
    try FileManager.default.createDirectory(at: shots, withIntermediateDirectories: true)
    let shot = shots.appendingPathComponent("chromium-chat-https.png").path
    let run = try runTool(
      python,
      [
        scripts.appendingPathComponent("chromium_chat.py").path, chromium,
        "https://127.0.0.1:\(server.webTLSPort)/", String(server.ircPort), shot,
      ], timeout: 120)
    XCTAssertEqual(run.status, 0, run.output)
    XCTAssertTrue(run.output.contains("alice's WebSocket is over WSS"), run.output)
    XCTAssertTrue(run.output.contains("all passed"), run.output)
    XCTAssertGreaterThan(server.services.tls?.counters(.web).handshakes ?? 0, 0)
    await stopChat(server)
  }

  /// After a reconnect the room's replay repeats what the page shows already: each line
  /// must still be shown once, and what was said while the page was away added.
  func testChromiumPageShowsEachLineOnceAfterAReconnect() async throws {
    let python = try python()
    guard let chromium = findTool(["chromium", "chromium-browser", "google-chrome"]) else {
      throw XCTSkip("needs Chromium: apt-get install chromium (scripts/setup.sh does)")
    }
    // With stored history: the page asks for what it missed (CHATHISTORY AFTER).
    let server = try await startChat { $0.history = true }
    let run = try runTool(
      python,
      [
        scripts.appendingPathComponent("chromium_reconnect.py").path, chromium,
        "http://127.0.0.1:\(server.webPort)/", String(server.ircPort),
      ], timeout: 120)
    XCTAssertEqual(run.status, 0, run.output)
    XCTAssertTrue(run.output.contains("all passed"), run.output)
    await stopChat(server)
  }

  func testThroughNginx() async throws {
    guard let nginx = findTool(["nginx", "/usr/sbin/nginx"]) else {
      throw XCTSkip("needs nginx: apt-get install nginx-light (scripts/setup.sh does)")
    }
    let server = try await startChat()
    let prefix = temporaryDirectory("nginx", mode: 0o755)
    try FileManager.default.createDirectory(atPath: prefix + "/logs", withIntermediateDirectories: true)
    let proxyPort = freePort()
    let template = try String(contentsOf: scripts.appendingPathComponent("nginx.conf.template"), encoding: .utf8)
    let config = template.replacingOccurrences(of: "@PREFIX@", with: prefix)
      .replacingOccurrences(of: "@LISTEN@", with: "127.0.0.1:\(proxyPort)")
      .replacingOccurrences(of: "@CHATD@", with: "127.0.0.1:\(server.webPort)")
    try config.write(toFile: prefix + "/nginx.conf", atomically: true, encoding: .utf8)
    let process = Process()
    process.executableURL = URL(fileURLWithPath: nginx)
    process.arguments = ["-p", prefix, "-c", prefix + "/nginx.conf", "-e", prefix + "/error.log"]
    process.standardOutput = FileHandle.nullDevice
    process.standardError = FileHandle.nullDevice
    try process.run()
    defer {
      process.terminate()  // SIGTERM: nginx's fast shutdown, its workers with it
      process.waitUntilExit()
      removeDirectory(prefix)
    }
    // Wait (bounded) for nginx to listen.
    var up = false
    for _ in 0..<100 where !up {
      if (try? TestConnection(port: proxyPort)) != nil { up = true } else { usleep(50_000) }
    }
    let log = (try? String(contentsOfFile: prefix + "/error.log", encoding: .utf8)) ?? ""
    XCTAssertTrue(up, "nginx did not start: \(log)")
    guard up else { return await stopChat(server) }

    // The page through the proxy.
    let page = try TestConnection(port: proxyPort)
    try page.send("GET / HTTP/1.1\r\nHost: chat.example\r\nConnection: close\r\n\r\n")
    let response = String(decoding: try page.readToEnd(), as: UTF8.self)
    XCTAssertTrue(response.hasPrefix("HTTP/1.1 200 OK\r\n"), response)
    XCTAssertTrue(response.contains("<title>chatd</title>"))
    // A WebSocket client through the proxy talks with an IRC client connected directly.
    let web = try webClient(port: proxyPort, nick: "proxied")
    XCTAssertTrue(web.responseHead.contains("Sec-WebSocket-Protocol: text.ircv3.net"), web.responseHead)
    try web.send(line: "JOIN #proxy")
    try web.expect(containing: "366 proxied #proxy")
    let irc = try ircClient(port: server.ircPort, nick: "direct")
    try irc.send("JOIN #proxy\r\nPRIVMSG #proxy :through nginx\r\n")
    XCTAssertTrue(try web.expect(containing: "PRIVMSG #proxy").hasSuffix("through nginx"))
    try web.send(line: "PRIVMSG #proxy :and back")
    XCTAssertTrue(try irc.expectLine(containing: ":proxied!").hasSuffix("and back"))
    // Ping/pong and a protocol error's close code pass through the proxy unchanged.
    try web.send(.ping, Array("via nginx".utf8))
    var frame = try web.receive()
    while frame.opcode != 0xA { frame = try web.receive() }
    XCTAssertEqual(frame.payload, Array("via nginx".utf8))
    try web.send(.text, [0xC0, 0x80])
    XCTAssertEqual(try web.expectClose().code, 1007)
    // And the Python edge cases, all through nginx, if Python is here.
    if let python = pythonWithWebsockets() {
      let run = try runTool(
        python, [scripts.appendingPathComponent("ws_edge_cases.py").path, "ws://127.0.0.1:\(proxyPort)/ws"], timeout: 120)
      XCTAssertEqual(run.status, 0, run.output)
    }
    await stopChat(server)
  }
}
