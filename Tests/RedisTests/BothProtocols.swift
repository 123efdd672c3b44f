// Runs a test body against a server once per protocol (RESP3, then RESP2), each time on
// a fresh node with a started client, stopped afterwards.
import Actors
import OtterTestSupport
import Redis
import RedisTestSupport

func withEachProtocol(
  _ server: RedisServer, _ body: (Node, RedisClient, RedisConfiguration.ProtocolVersion) async throws -> Void
) async throws {
  for version in [RedisConfiguration.ProtocolVersion.resp3, .resp2] {
    try await withNode { node in
      var config = try RedisConfiguration(url: server.url)
      config.protocolVersion = version
      let client = try await RedisClient.start(config, on: node)
      try await body(node, client, version)
      await client.stop(node)
    }
  }
}
