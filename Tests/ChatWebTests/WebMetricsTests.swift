// The metrics endpoint tells WebSocket clients from IRC ones: a browser's connection is
// counted under transport "websocket", and its messages like anyone's.
import OtterTestSupport
import XCTest

@testable import ChatApp

final class WebMetricsTests: XCTestCase {
  /// `GET /metrics`, read strictly by the format's rules.
  private func scrape(_ port: Int) throws -> PrometheusExposition {
    let connection = try TestConnection(port: port)
    try connection.send("GET /metrics HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
    let head = try connection.readHead()
    guard head.hasPrefix("HTTP/1.1 200 ") else { throw TestError("GET /metrics: \(head)") }
    return try PrometheusExposition(parsing: String(decoding: try connection.readToEnd(), as: UTF8.self))
  }

  func testWebSocketClientsAreCountedByTransport() async throws {
    let server = try await startChat { $0.metricsPort = 0 }
    let port = try XCTUnwrap(server.metricsPort)
    let web = try webClient(port: server.webPort, nick: "webby")
    try web.send(line: "JOIN #mixed")
    try web.expect(containing: "366 webby #mixed")
    let irc = try ircClient(port: server.ircPort, nick: "classic")
    try irc.send("JOIN #mixed\r\n")
    try irc.expectLine(containing: " 366 ")
    try web.send(line: "PRIVMSG #mixed :from the browser")
    try irc.expectLine(containing: "from the browser")

    try await eventually("the browser's message to be counted") {
      let m = try scrape(port)
      return m.value("chatd_connections", ["transport": "websocket"]) == 1
        && m.value("chatd_connections", ["transport": "irc"]) == 1
        && m.value("chatd_messages_total", ["target": "channel"]) == 1
        && m.value("chatd_deliveries_total", ["target": "channel"]) == 1
    }
    let m = try scrape(port)
    XCTAssertEqual(m.value("chatd_connections_opened_total", ["transport": "websocket"]), 1)
    let supervisors = Set(m.samples("otter_supervisor_children").compactMap { $0.labels["supervisor"] })
    XCTAssertTrue(supervisors.isSuperset(of: ["chatd/websockets", "chatd/web-sessions"]), "\(supervisors)")
    XCTAssertEqual(m.value("otter_supervisor_children", ["supervisor": "chatd/websockets"]), 1)

    try web.send(line: "QUIT :bye")
    try await eventually("the browser to be counted out") {
      try scrape(port).value("chatd_connections", ["transport": "websocket"]) == 0
    }
    await stopChat(server)
  }
}
