// Failure as a first-class case: Redis killed and restarted under the client, commands
// in flight when the connection goes, a server still loading its dataset.
import Actors
import OtterTestSupport
import RedisTestSupport
import XCTest

@testable import Redis

final class RedisReconnectTests: XCTestCase {
  func testCommandsFailClearlyWhileRedisIsDownAndWorkAfter() async throws {
    let server = try startRedisServer()
    try await withNode { node in
      let client = try await RedisClient.start(RedisConfiguration(url: server.url), on: node)
      let redis = client.on(node)
      try await redis.set("k", "before")
      server.kill()
      do {
        _ = try await redis.get("k")
        XCTFail("Redis is down")
      } catch let e as RedisError {
        switch e {
        case .notConnected(let why): XCTAssertTrue(why.contains(server.host) || why.contains("\(server.port)"), why)
        case .connectionLost: break
        default: XCTFail("\(e)")
        }
      }
      // It keeps trying with backoff, and says so.
      try await eventually("a failed attempt to be reported") {
        do {
          _ = try await redis.ping()
          return false
        } catch RedisError.notConnected(let why) {
          return why.contains("connection refused") && why.contains("next attempt in")
        }
      }
      try server.restart()
      try await eventually("the client to reconnect", timeout: .seconds(10)) { (try? await redis.ping()) == "PONG" }
      let v1 = try await redis.get("k")
      XCTAssertNil(v1, "a fresh server (no persistence) has no keys")
      try await eventually("every connection to be back (each on its own backoff)", timeout: .seconds(10)) {
        try await client.status(node).allSatisfy { $0.connected && $0.connections == 2 && $0.lastError == nil }
      }
      await client.stop(node)
    }
  }

  /// Commands waiting on a server that stopped answering fail as soon as the connection
  /// goes, each with `.connectionLost`, never with another caller's reply.
  func testInFlightCommandsFailWhenTheConnectionGoes() async throws {
    let server = try startRedisServer()
    try await withNode { node in
      let client = try await RedisClient.start(RedisConfiguration(url: server.url), poolSize: 1, on: node)
      server.pause()
      let outcomes = Locked<[String]>([])
      for i in 0..<10 {
        node.spawn(Never.self) { ctx in
          do {
            _ = try await client.on(ctx).send(RedisCommand("SET", "k\(i)", "v"), timeout: .seconds(30))
            outcomes.withLock { $0.append("replied") }
          } catch {
            outcomes.withLock { $0.append("\(error)") }
          }
        }
      }
      try await eventually("ten commands in flight") { try await client.status(node)[0].inFlight == 10 }
      server.kill()  // SIGKILL works on a stopped process
      let started = ContinuousClock.now
      try await eventually("every caller to hear") { outcomes.withLock { $0.count } == 10 }
      XCTAssertLessThan(ContinuousClock.now - started, .seconds(5), "failed on the loss, not on their 30 s timeout")
      for o in outcomes.withLock({ $0 }) { XCTAssertTrue(o.contains("connection to Redis lost"), o) }
      await client.stop(node)
    }
  }

  /// A restarted Redis with a large dataset answers -LOADING for a while: callers get
  /// the typed error, and the client works once loading ends.
  func testLoadingIsATypedError() async throws {
    let server = try startRedisServer()
    _ = try server.redisCLI(["DEBUG", "POPULATE", "3000000", "k", "64"])
    _ = try server.redisCLI(["SAVE"])
    try await withNode { node in
      let client = try await RedisClient.start(RedisConfiguration(url: server.url), poolSize: 1, on: node)
      let redis = client.on(node)
      server.kill()
      let sawLoading = Locked(false)
      try server.restart(waitUntilLoaded: false)
      try await eventually("the dataset to load", timeout: .seconds(60)) {
        do {
          return try await redis.get("k:1")?.bytes?.count == 64
        } catch let e as RedisError {
          if e.serverKind == .loading || "\(e)".contains("loading") { sawLoading.withLock { $0 = true } }
          return false
        }
      }
      XCTAssertTrue(sawLoading.withLock { $0 }, "3M keys take a while to load: the client should have seen LOADING")
      await client.stop(node)
    }
  }
}
