// A node's /metrics, read as a scraper reads it (one HTTP/1.1 GET on the port chatd
// said it serves them on), and the network figures the tests compare: messages between
// nodes by kind, replicas of remote users, copies of channels, the channel index.
import Foundation
import OtterTestSupport
import XCTest

/// What a node's metrics say of its network, at one scrape.
struct NetworkFigures: Equatable, CustomStringConvertible {
  /// Messages sent to and received from other nodes, by kind (`lines`, `users`, `mirror`, `other`).
  var sent: [String: Int] = [:]
  var received: [String: Int] = [:]
  var remoteUsers = 0
  var channelCopies = 0
  var memberships = 0

  var description: String {
    "sent \(sent.sorted { $0.key < $1.key }), received \(received.sorted { $0.key < $1.key }), "
      + "remote users \(remoteUsers), channel copies \(channelCopies), memberships \(memberships)"
  }
}

extension ChatdNode {
  /// GET /metrics, parsed strictly.
  func scrape() throws -> PrometheusExposition {
    guard metricsPort != 0 else { throw TestError("chatd \(name) serves no metrics (start it with ChatdNode.Options(metrics: true))") }
    let connection = try TestConnection(port: metricsPort)
    try connection.send(Array("GET /metrics HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n".utf8))
    let text = String(decoding: try connection.readToEnd(), as: UTF8.self)
    guard text.hasPrefix("HTTP/1.1 200"), let end = text.range(of: "\r\n\r\n") else {
      throw TestError("GET /metrics on \(name): \(text.prefix(200))")
    }
    return try PrometheusExposition(parsing: String(text[end.upperBound...]))
  }

  /// The network figures of one scrape.
  func figures() throws -> NetworkFigures {
    let m = try scrape()
    var f = NetworkFigures()
    for s in m.samples("chatd_network_messages_sent_total") { f.sent[s.labels["kind"] ?? "?"] = Int(s.value) }
    for s in m.samples("chatd_network_messages_received_total") { f.received[s.labels["kind"] ?? "?"] = Int(s.value) }
    guard !f.sent.isEmpty, let users = m.value("chatd_network_remote_users"), let copies = m.value("chatd_network_channel_copies"),
      let memberships = m.value("chatd_channel_memberships")
    else { throw TestError("chatd \(name)'s metrics have no network families") }
    f.remoteUsers = Int(users)
    f.channelCopies = Int(copies)
    f.memberships = Int(memberships)
    return f
  }

  /// The figures once two scrapes `interval` seconds apart agree (what was in flight
  /// has arrived), within `timeout` seconds.
  func settledFigures(interval: Double = 0.3, timeout: Double = 10) throws -> NetworkFigures {
    var last = try figures()
    let deadline = Date().addingTimeInterval(timeout)
    while Date() < deadline {
      usleep(useconds_t(interval * 1_000_000))
      let now = try figures()
      if now == last { return now }
      last = now
    }
    throw TestError("chatd \(name)'s network figures kept changing for \(timeout) s (last: \(last))")
  }
}
