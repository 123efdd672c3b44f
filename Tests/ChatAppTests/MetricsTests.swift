// chatd's /metrics, scraped from a real server as Prometheus would: the text obeys the
// exposition format's rules, and the counters move with what clients do. Bad requests
// get clear HTTP answers.
import Foundation
import IRCTestSupport
import OtterTestSupport
import XCTest

@testable import Actors
@testable import ChatApp

/// One HTTP exchange: the status, the header fields (names lower-cased) and the body.
struct HTTPAnswer {
  var status: Int
  var headers: [String: String]
  var body: String
}

func http(_ port: Int, _ request: String) throws -> HTTPAnswer {
  let connection = try TestConnection(port: port)
  try connection.send(request)
  let bytes = try connection.readToEnd()
  let text = String(decoding: bytes, as: UTF8.self)
  guard let end = text.range(of: "\r\n\r\n") else { throw TestError("no response head in \(text.debugDescription)") }
  let lines = text[..<end.lowerBound].components(separatedBy: "\r\n")
  let statusParts = lines[0].split(separator: " ")
  guard statusParts.count >= 2, statusParts[0] == "HTTP/1.1", let status = Int(statusParts[1]) else {
    throw TestError("bad status line \(lines[0])")
  }
  var headers: [String: String] = [:]
  for line in lines.dropFirst() {
    guard let colon = line.firstIndex(of: ":") else { continue }
    headers[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
  }
  return HTTPAnswer(status: status, headers: headers, body: String(text[end.upperBound...]))
}

/// `GET /metrics`, read strictly by the format's rules.
func scrape(_ port: Int) throws -> PrometheusExposition {
  let answer = try http(port, "GET /metrics HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
  guard answer.status == 200 else { throw TestError("GET /metrics: \(answer.status) \(answer.body)") }
  XCTAssertEqual(answer.headers["content-type"], "text/plain; version=0.0.4; charset=utf-8")
  XCTAssertEqual(answer.headers["content-length"], String(answer.body.utf8.count))
  return try PrometheusExposition(parsing: answer.body)
}

private func metricsConfig() -> ChatConfig {
  var config = testConfig()
  config.metricsPort = 0
  return config
}

final class MetricsTests: XCTestCase {
  func testAScrapeShowsConnectionsMessagesAndDeliveries() async throws {
    try await withChatServer(metricsConfig()) { server in
      let port = try XCTUnwrap(server.metricsPort)
      XCTAssertNotEqual(port, 0)
      let (a, b) = try twoMembers(of: "#metrics", server)
      let c = try IRCTestClient(port: server.ircPort)
      try c.register("carol", caps: ["echo-message"])
      try c.join("#metrics")
      _ = try a.expect("carol's JOIN") { $0.command == "JOIN" && $0.source?.hasPrefix("carol!") == true }
      _ = try b.expect("carol's JOIN") { $0.command == "JOIN" && $0.source?.hasPrefix("carol!") == true }

      let before = try scrape(port)
      XCTAssertEqual(before.value("chatd_connections", ["transport": "irc"]), 3)
      XCTAssertEqual(before.value("chatd_connections", ["transport": "websocket"]), 0)
      XCTAssertEqual(before.value("chatd_connections_opened_total", ["transport": "irc"]), 3)
      XCTAssertEqual(before.value("chatd_clients_registered"), 3)
      XCTAssertEqual(before.value("chatd_channels"), 1)

      // Five channel messages from alice (no echo: two copies each), one from carol (with
      // echo-message: three copies), one private message to bob.
      for i in 0..<5 { a.send("PRIVMSG #metrics :hello \(i)") }
      c.send("PRIVMSG #metrics :echoed")
      a.send("PRIVMSG bob :psst")
      _ = try b.expect("PRIVMSG", containing: "psst")
      _ = try c.expect("PRIVMSG", containing: "echoed")
      func moved(_ name: String, _ labels: [String: String], in after: PrometheusExposition) -> Double? {
        guard let now = after.value(name, labels), let then = before.value(name, labels) else { return nil }
        return now - then
      }
      // A client may read its copy a moment before the sender counts it.
      let after = try await eventuallyValue("the messages to be counted") { () -> PrometheusExposition? in
        let m = try scrape(port)
        return moved("chatd_messages_total", ["target": "channel"], in: m) == 6
          && moved("chatd_messages_total", ["target": "user"], in: m) == 1
          && (moved("chatd_deliveries_total", ["target": "user"], in: m) ?? 0) >= 1
          && (moved("chatd_deliveries_total", ["target": "channel"], in: m) ?? 0) >= 13 ? m : nil
      }
      func moved(_ name: String, _ labels: [String: String]) -> Double? { moved(name, labels, in: after) }
      XCTAssertEqual(moved("chatd_messages_total", ["target": "channel"]), 6)
      XCTAssertEqual(moved("chatd_deliveries_total", ["target": "channel"]), 5 * 2 + 3)
      XCTAssertEqual(moved("chatd_messages_total", ["target": "user"]), 1)
      XCTAssertEqual(moved("chatd_deliveries_total", ["target": "user"]), 1)
      XCTAssertGreaterThan(moved("otter_socket_received_bytes_total", [:]) ?? 0, 0)
      XCTAssertGreaterThan(moved("otter_socket_sent_bytes_total", [:]) ?? 0, 0)
      XCTAssertGreaterThan(moved("otter_reductions_total", [:]) ?? 0, 0)
      // Three clients, the scrape's own connection, and the IRC and metrics listeners.
      XCTAssertGreaterThanOrEqual(after.value("otter_sockets", ["kind": "tcp"]) ?? 0, 4)
      XCTAssertEqual(after.value("otter_sockets", ["kind": "tcp_listener"]), 2)
      XCTAssertEqual(after.samples("otter_scheduler_busy_seconds_total").count, 2)

      // The history reaches the disk: nothing left queued.
      try await eventually("the history to be written") {
        let m = try scrape(port)
        return m.value("chatd_history_written_total") == 6 && m.value("chatd_history_queue_length") == 0
      }

      // Clients leaving are counted out.
      for client in [a, b, c] { client.send("QUIT :bye") }
      try await eventually("the clients to be counted out") {
        let m = try scrape(port)
        return m.value("chatd_connections", ["transport": "irc"]) == 0 && m.value("chatd_clients_registered") == 0
      }
    }
  }

  func testRestartsAreCountedPerSupervisorOfTheTree() async throws {
    try await withChatServer(metricsConfig()) { server in
      let port = try XCTUnwrap(server.metricsPort)
      let first = try scrape(port)
      let supervisors = Set(first.samples("otter_supervisor_restarts_total").compactMap { $0.labels["supervisor"] })
      XCTAssertTrue(
        supervisors.isSuperset(of: ["chatd", "chatd/rooms", "chatd/rooms/room-supervisor", "chatd/connections", "chatd/metrics-sessions"]),
        "\(supervisors)")
      XCTAssertEqual(first.value("otter_supervisor_restarts_total", ["supervisor": "chatd"]), 0)

      let presence = try XCTUnwrap(server.node.whereis(ChatServices.presenceName))
      server.node.exit(presence, reason: .kill)
      try await eventually("the restart to be counted") {
        try scrape(port).value("otter_supervisor_restarts_total", ["supervisor": "chatd"]) == 1
      }
    }
  }

  func testBadRequestsGetClearAnswers() async throws {
    try await withChatServer(metricsConfig()) { server in
      let port = try XCTUnwrap(server.metricsPort)
      let notFound = try http(port, "GET / HTTP/1.1\r\nHost: x\r\n\r\n")
      XCTAssertEqual(notFound.status, 404)
      XCTAssertTrue(notFound.body.contains("/metrics"), notFound.body)

      let post = try http(port, "POST /metrics HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n")
      XCTAssertEqual(post.status, 405)
      XCTAssertEqual(post.headers["allow"], "GET, HEAD")

      let head = try http(port, "HEAD /metrics HTTP/1.1\r\nHost: x\r\n\r\n")
      XCTAssertEqual(head.status, 200)
      XCTAssertEqual(head.body, "")
      XCTAssertEqual(head.headers["content-type"], "text/plain; version=0.0.4; charset=utf-8")

      XCTAssertEqual(try http(port, "hello there\r\n\r\n").status, 400)
      XCTAssertEqual(try http(port, "GET /metrics HTTP/1.1\r\n\r\n").status, 400)  // no Host
      XCTAssertEqual(try http(port, "GET /metrics HTTP/2.0\r\nHost: x\r\n\r\n").status, 505)
      let huge = try http(port, "GET /metrics HTTP/1.1\r\nHost: x\r\nX-Long: \(String(repeating: "a", count: 20_000))\r\n\r\n")
      XCTAssertEqual(huge.status, 431)

      // The endpoint still answers.
      XCTAssertNotNil(try scrape(port).value("otter_processes"))
    }
  }

  /// Prometheus's own checker (`promtool check metrics`, Debian's `prometheus` package)
  /// finds nothing to say about a busy chatd's scrape; skipped where it is not installed.
  func testPromtoolAcceptsTheScrape() async throws {
    let promtool = "/usr/bin/promtool"
    try XCTSkipUnless(FileManager.default.isExecutableFile(atPath: promtool), "promtool is not installed (apt-get install prometheus)")
    try await withChatServer(metricsConfig()) { server in
      let port = try XCTUnwrap(server.metricsPort)
      let (a, b) = try twoMembers(of: "#lint", server)
      a.send("PRIVMSG #lint :hello")
      _ = try b.expect("PRIVMSG")
      let answer = try http(port, "GET /metrics HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
      XCTAssertEqual(answer.status, 200)
      let process = Process()
      process.executableURL = URL(fileURLWithPath: promtool)
      process.arguments = ["check", "metrics"]
      let input = Pipe()
      let output = Pipe()
      process.standardInput = input
      process.standardOutput = output
      process.standardError = output
      try process.run()
      input.fileHandleForWriting.write(Data(answer.body.utf8))
      try input.fileHandleForWriting.close()
      let said = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
      process.waitUntilExit()
      XCTAssertEqual(process.terminationStatus, 0, said)
      XCTAssertEqual(said, "")
    }
  }

  func testTheMetricsListenerIsChosenOnTheCommandLine() throws {
    guard case .run(let defaults) = try ChatCommandLine.parse([]) else { return XCTFail("no run") }
    XCTAssertEqual(defaults.metricsHost, "127.0.0.1")
    XCTAssertEqual(defaults.metricsPort, 9667)
    guard case .run(let off) = try ChatCommandLine.parse(["--metrics-listen", "off"]) else { return XCTFail("no run") }
    XCTAssertNil(off.metricsPort)
    guard case .run(let any) = try ChatCommandLine.parse(["--metrics-listen", "[::1]:0"]) else { return XCTFail("no run") }
    XCTAssertEqual(any.metricsHost, "::1")
    XCTAssertEqual(any.metricsPort, 0)
    XCTAssertThrowsError(try ChatCommandLine.parse(["--metrics-listen", "9100"])) { error in
      XCTAssertEqual("\(error)", "--metrics-listen: expected HOST:PORT or off, got \"9100\"")
    }
    XCTAssertThrowsError(try ChatCommandLine.parse(["--metrics-listen"])) { error in
      XCTAssertEqual("\(error)", "--metrics-listen needs a value")
    }
    XCTAssertTrue(ChatCommandLine.help.contains("--metrics-listen HOST:PORT"))
  }

  func testNoMetricsListenerWhenOff() async throws {
    try await withChatServer(testConfig()) { server in
      XCTAssertNil(server.metricsPort)
      XCTAssertNil(server.node.whereis(ChatServices.metricsSessionsName))
    }
  }
}
