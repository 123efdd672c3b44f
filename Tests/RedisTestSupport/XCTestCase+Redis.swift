// Servers tied to one test: started by the test, stopped by its teardown whether it
// passes, fails or throws, so no redis-server outlives the test that started it. The
// test case's teardown blocks own the stopping; the fixtures own the processes.
import XCTest

extension XCTestCase {
  /// A started redis-server (see `RedisServer`) that the test's teardown stops. Skips
  /// the test if redis-server is not installed.
  public func startRedisServer(_ configuration: RedisServer.Configuration = .init()) throws -> RedisServer {
    let server = try RedisServer(configuration)
    addTeardownBlock { server.stop(grace: .seconds(2)) }
    try server.start()
    return server
  }

  /// A formed three-master cluster (see `RedisCluster`) that the test's teardown stops.
  /// Skips the test if redis-server or redis-cli is not installed.
  public func startRedisCluster(nodeTimeout: Duration = .seconds(5), extraArguments: [String] = []) throws -> RedisCluster {
    let cluster = try RedisCluster(nodeTimeout: nodeTimeout, extraArguments: extraArguments, start: false)
    addTeardownBlock { cluster.stop() }
    try cluster.start()
    return cluster
  }
}
