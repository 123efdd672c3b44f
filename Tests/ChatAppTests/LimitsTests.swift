// Clients that misbehave: one that does not read, one that floods. Neither may slow the
// others down or take the server with it.
import IRCTestSupport
import XCTest

@testable import Actors
@testable import ChatApp

final class LimitsTests: XCTestCase {
  func testSlowClientIsDisconnectedWithoutSlowingTheRoom() async throws {
    var config = testConfig()
    config.sendQueueLimit = 64 * 1024
    config.kernelSendBuffer = 16 * 1024
    try await withChatServer(config) { server in
      let talker = try IRCTestClient(port: server.ircPort)
      let listener = try IRCTestClient(port: server.ircPort)
      let sleeper = try IRCTestClient(port: server.ircPort, receiveBuffer: 4096)
      try talker.register("talker")
      try listener.register("listener")
      try sleeper.register("sleeper")
      for x in [talker, listener, sleeper] { try x.join("#firehose") }
      talker.drain()
      listener.drain()
      // The sleeper stops reading. 3,000 lines of ~400 bytes: 1.2 MB, far past its
      // kernel buffers and its 64 KB SendQ.
      let text = String(repeating: "z", count: 380)
      var seen = 0
      for i in 0..<3000 {
        talker.send("PRIVMSG #firehose :\(i) \(text)")
        if i % 100 == 99 {
          // The listener keeps up all along.
          while seen <= i - 50 {
            _ = try listener.expect("PRIVMSG") { $0.command == "PRIVMSG" }
            seen += 1
          }
        }
      }
      let quit = try listener.expect("QUIT", within: 10) { $0.command == "QUIT" && $0.source!.hasPrefix("sleeper!") }
      XCTAssertTrue(quit.params[0].contains("SendQ"), quit.params[0])
      while seen < 3000 {
        let m = try listener.expect("PRIVMSG") { $0.command == "PRIVMSG" }
        XCTAssertTrue(m.params[1].hasPrefix("\(seen) "), "in order, none lost")
        seen += 1
      }
    }
  }

  func testFloodingClientIsThrottledThenDisconnected() async throws {
    var config = testConfig()
    config.floodProtection = true
    config.floodBurst = 5
    config.floodRate = 2
    config.floodDisconnect = 50
    try await withChatServer(config) { server in
      let polite = try IRCTestClient(port: server.ircPort)
      try polite.register("polite")
      let flood = try IRCTestClient(port: server.ircPort)
      try flood.register("flood")
      let started = Date()
      // A burst of 5 goes through at once; the next lines wait for tokens.
      for i in 0..<8 { flood.send("PRIVMSG polite :\(i)") }
      for i in 0..<8 { XCTAssertEqual(try polite.expect("PRIVMSG", within: 10).params.last, "\(i)") }
      XCTAssertGreaterThan(Date().timeIntervalSince(started), 0.8, "throttled to 2 lines/s after the burst")
      // Far past the limit: disconnected.
      for i in 0..<500 { flood.send("PRIVMSG polite :spam \(i)") }
      try flood.expect("ERROR", containing: "Excess Flood", within: 10)
      try flood.expectClosed()
      polite.send("PING :ok")
      try polite.expect("PONG")
    }
  }

  func testUnregisteredClientTimesOut() async throws {
    var config = testConfig()
    config.registrationTimeout = .milliseconds(300)
    try await withChatServer(config) { server in
      let idle = try IRCTestClient(port: server.ircPort)
      try idle.expect("ERROR", containing: "Registration timed out")
      try idle.expectClosed()
    }
  }

  func testSilentClientIsPingedThenDropped() async throws {
    var config = testConfig()
    config.pingInterval = .milliseconds(300)
    config.pingTimeout = .milliseconds(300)
    try await withChatServer(config) { server in
      let a = try IRCTestClient(port: server.ircPort)
      try a.register("alice")
      let ping = try a.expect("PING")
      a.send("PONG :\(ping.params.last!)")
      try a.expect("PING")  // pinged again after the next quiet interval
      try a.expect("ERROR", containing: "Ping timeout")
      try a.expectClosed()
    }
  }

  /// The idle sweeper times silence, not age: a client that keeps talking is never
  /// pinged, however long it stays.
  func testTalkingClientIsNotPinged() async throws {
    var config = testConfig()
    config.pingInterval = .milliseconds(400)
    config.pingTimeout = .milliseconds(400)
    try await withChatServer(config) { server in
      let a = try IRCTestClient(port: server.ircPort)
      try a.register("alice")
      for i in 0..<12 {
        a.send("PING :t\(i)")
        try a.expect("PONG", containing: "t\(i)")
        try await Task.sleep(for: .milliseconds(100))
      }
      XCTAssertNil(a.backlog.first { $0.command == "PING" }, "no PING while the client talked")
      XCTAssertFalse(a.closed)
      try a.expect("PING")  // and once it is quiet, it is pinged
    }
  }
}
