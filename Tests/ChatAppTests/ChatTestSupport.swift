// Starting and stopping a chatd for one test: port 0 on 127.0.0.1, a fresh data directory.
import IRCTestSupport
import OtterTestSupport

@testable import Actors
@testable import ChatApp

/// A test configuration: ephemeral port, no web listener, no flood limit unless asked.
func testConfig(dataDirectory: String? = nil) -> ChatConfig {
  var config = ChatConfig()
  config.port = 0
  config.webPort = 0
  config.metricsPort = nil
  config.dataDirectory = dataDirectory ?? temporaryDirectory("chatd-data")
  config.serverName = "test.server"
  config.floodProtection = false
  return config
}

/// Runs `body` against a started server, then stops it (even if `body` throws); its
/// node logs to `capture` when one is given.
func withChatServer(
  _ config: ChatConfig = testConfig(), schedulers: Int = 2, capture: LogCapture? = nil,
  _ body: (ChatServer) async throws -> Void
) async throws {
  let node = try capture.map { try Node(schedulers: schedulers, logger: $0.logger(level: config.logLevel)) } ?? Node(schedulers: schedulers)
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

/// Two registered clients (`alice` and `bob` unless told otherwise), both in `channel`:
/// what most conversation tests start from.
func twoMembers(of channel: String, _ server: ChatServer, nicks: (String, String) = ("alice", "bob")) throws -> (
  IRCTestClient, IRCTestClient
) {
  let a = try IRCTestClient(port: server.ircPort)
  let b = try IRCTestClient(port: server.ircPort)
  try a.register(nicks.0)
  try b.register(nicks.1)
  try a.join(channel)
  try b.join(channel)
  return (a, b)
}
