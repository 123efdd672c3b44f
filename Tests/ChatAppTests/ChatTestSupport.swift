// Starting and stopping a chatd for one test: port 0 on 127.0.0.1, a fresh data directory.
import Foundation
import XCTest
@testable import Actors
@testable import ChatApp

/// A fresh directory under the system's temporary directory.
func temporaryDirectory(_ label: String) -> String {
  let path = NSTemporaryDirectory() + "chatd-test-\(label)-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
  try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
  return path
}

/// A test configuration: ephemeral port, no web listener, no flood limit unless asked.
func testConfig(dataDirectory: String? = nil) -> ChatConfig {
  var config = ChatConfig()
  config.port = 0
  config.webPort = 0
  config.dataDirectory = dataDirectory ?? temporaryDirectory("data")
  config.serverName = "test.server"
  config.floodProtection = false
  return config
}

/// Runs `body` against a started server, then stops it (even if `body` throws).
func withChatServer(_ config: ChatConfig = testConfig(), schedulers: Int = 2,
                    _ body: (ChatServer) async throws -> Void) async throws {
  let node = try Node(schedulers: schedulers)
  let server = try await ChatServer.start(config, on: node)
  do {
    try await body(server)
  } catch {
    server.stop()
    _ = await server.run()
    throw error
  }
  server.stop()
  _ = await server.run()
}

/// Waits until `condition` holds (bounded).
func eventually(_ what: String, within seconds: Double = 5, _ condition: () -> Bool) throws {
  let deadline = Date().addingTimeInterval(seconds)
  while !condition() {
    if Date() > deadline { throw TestTimeout(what: what) }
    usleep(10_000)
  }
}
