// The client against a real redis-server: typed and raw commands, both protocols, Unix
// sockets, authentication, pipelining from many processes, transactions, scripts, typed
// errors, timeouts that never shift replies.
import Actors
import OtterTestSupport
import RedisTestSupport
import Supervision
import XCTest

@testable import Redis

final class RedisClientTests: XCTestCase {
  func testTypedAndRawCommandsOverRESP3() async throws {
    let server = try startRedisServer()
    try await withNode { node in
      let client = try await RedisClient.start(RedisConfiguration(url: server.url), on: node)
      let redis = client.on(node)
      let v1 = try await redis.ping()
      XCTAssertEqual(v1, "PONG")
      let v2 = try await redis.set("greeting", "hello")
      XCTAssertTrue(v2)
      let v3 = try await redis.get("greeting")?.string
      XCTAssertEqual(v3, "hello")
      let v4 = try await redis.get("missing")
      XCTAssertNil(v4)
      let v5 = try await redis.set("greeting", "again", condition: .ifNotExists)
      XCTAssertFalse(v5)
      let v6 = try await redis.set("lease", "me", expire: .seconds(30), condition: .ifNotExists)
      XCTAssertTrue(v6)
      let ttl = try await redis.ttl("lease")
      XCTAssertNotNil(ttl)
      XCTAssertGreaterThan(ttl ?? .zero, .seconds(25))
      let v7 = try await redis.incr("n")
      XCTAssertEqual(v7, 1)
      let v8 = try await redis.incr("n", by: 41)
      XCTAssertEqual(v8, 42)
      try await redis.mset([("a", "1"), ("b", "2")])
      let v9 = try await redis.mget(["a", "nope", "b"]).map { $0?.string }
      XCTAssertEqual(v9, ["1", nil, "2"])
      let v10 = try await redis.hset("h", [("f1", "v1"), ("f2", "v2")])
      XCTAssertEqual(v10, 2)
      let v11 = try await redis.hgetall("h").mapValues { $0.string }
      XCTAssertEqual(v11, ["f1": "v1", "f2": "v2"])
      let v12 = try await redis.sadd("s", ["x", "y", "x"])
      XCTAssertEqual(v12, 2)
      let v13 = try await redis.smembers("s")
      XCTAssertEqual(v13, ["x", "y"])
      let v14 = try await redis.zadd("z", [(2, "two"), (1, "one"), (3, "three")])
      XCTAssertEqual(v14, 3)
      let v15 = try await redis.zrangeByScore("z", min: 1, max: 2)
      XCTAssertEqual(v15, ["one", "two"])
      let v16 = try await redis.rpush("l", ["a", "b"])
      XCTAssertEqual(v16, 2)
      let v17 = try await redis.lrange("l", 0, -1).compactMap(\.string)
      XCTAssertEqual(v17, ["a", "b"])
      let v18 = try await redis.del("a", "b", "nope")
      XCTAssertEqual(v18, 2)
      // The raw form, and RESP3-only reply types (a map, a double).
      let config = try await redis.send(["CONFIG", "GET", "port"])
      XCTAssertEqual(
        config, .map([RESPPair(key: .bulkString(ArraySlice("port".utf8)), value: .bulkString(ArraySlice("\(server.port)".utf8)))]))
      let v19 = try await redis.send(["ZSCORE", "z", "two"])
      XCTAssertEqual(v19, .double(2))
      // Binary-safe values round trip.
      let binary: [UInt8] = [0, 13, 10, 36, 255, 42]
      try await redis.set("bin", binary)
      let v20 = try await redis.get("bin")?.bytes.map(Array.init)
      XCTAssertEqual(v20, binary)
      let status = try await client.status(node)
      XCTAssertEqual(status.map(\.protocolVersion), [3, 3, 3])
      await client.stop(node)
    }
  }

  func testRESP2() async throws {
    let server = try startRedisServer()
    try await withNode { node in
      var config = try RedisConfiguration(url: server.url)
      config.protocolVersion = .resp2
      let client = try await RedisClient.start(config, on: node)
      let redis = client.on(node)
      try await redis.hset("h", [("f", "v")])
      let v21 = try await redis.hgetall("h")["f"]?.string
      XCTAssertEqual(v21, "v")  // a flat array read as pairs
      let v22 = try await redis.send(["ZADD", "z", "1.5", "m"]).int
      XCTAssertEqual(v22, 1)
      let v23 = try await redis.send(["ZSCORE", "z", "m"]).double
      XCTAssertEqual(v23, 1.5)  // a bulk string in RESP2
      let v24 = try await client.status(node).map(\.protocolVersion)
      XCTAssertEqual(v24, [2, 2, 2])
      await client.stop(node)
    }
  }

  func testUnixSocketDatabaseAndClientName() async throws {
    let server = try startRedisServer(.init(unixSocket: true))
    let path = try XCTUnwrap(server.unixSocketPath)
    try await withNode { node in
      let config = try RedisConfiguration(url: "unix://\(path)?db=3&name=otter-test")
      XCTAssertEqual(config.endpoint, .unix(path: path))
      let client = try await RedisClient.start(config, on: node)
      try await client.on(node).set("where", "db3")
      XCTAssertEqual(try server.redisCLI(["-n", "3", "GET", "where"]).trimmingCharacters(in: .whitespacesAndNewlines), "db3")
      XCTAssertTrue(try server.redisCLI(["CLIENT", "LIST"]).contains("name=otter-test"))
      await client.stop(node)
    }
  }

  func testPasswordAndACLUser() async throws {
    let server = try startRedisServer(.init(password: "s3cret", user: .init(name: "app", password: "apppass")))
    try await withNode { node in
      let good = try await RedisClient.start(RedisConfiguration(url: "redis://:s3cret@127.0.0.1:\(server.port)"), on: node)
      let v25 = try await good.on(node).ping()
      XCTAssertEqual(v25, "PONG")
      await good.stop(node)
      let user = try await RedisClient.start(RedisConfiguration(url: "redis://app:apppass@127.0.0.1:\(server.port)"), on: node)
      let v26 = try await user.on(node).send(["ACL", "WHOAMI"]).string
      XCTAssertEqual(v26, "app")
      await user.stop(node)
      for v in [RedisConfiguration.ProtocolVersion.resp3, .resp2] {
        var config = try RedisConfiguration(url: "redis://:wrong@127.0.0.1:\(server.port)")
        config.protocolVersion = v
        do {
          _ = try await RedisClient.start(config, on: node)
          XCTFail("a wrong password must fail the start")
        } catch let e as RedisError {
          guard case .notConnected(let why) = e else { return XCTFail("\(e)") }
          XCTAssertTrue(why.contains("authentication") && why.contains("WRONGPASS"), why)
        }
      }
      do {
        _ = try await RedisClient.start(RedisConfiguration(host: "127.0.0.1", port: freePort()), on: node)
        XCTFail("nothing listens there")
      } catch let e as RedisError {
        XCTAssertTrue("\(e)".contains("connection refused"), "\(e)")
      }
    }
  }

  /// Fifty processes, each with its own counter: every reply must be the next value of
  /// the caller's own counter (pipelined replies never reach the wrong caller).
  func testPipeliningFromManyProcesses() async throws {
    let server = try startRedisServer()
    try await withNode(schedulers: 2) { node in
      let client = try await RedisClient.start(RedisConfiguration(url: server.url), poolSize: 2, on: node)
      let mismatches = Locked(0)
      let done = Locked(0)
      for p in 0..<50 {
        node.spawn(Never.self) { ctx in
          let redis = client.on(ctx)
          for i in 1...200 {
            let n = try await redis.incr("counter:\(p)")
            if n != i { mismatches.withLock { $0 += 1 } }
          }
          done.withLock { $0 += 1 }
        }
      }
      try await eventually("50 processes to finish", timeout: .seconds(60)) { done.withLock { $0 } == 50 }
      XCTAssertEqual(mismatches.withLock { $0 }, 0)
      let v27 = try await client.on(node).get("counter:49")?.int
      XCTAssertEqual(v27, 200)
      await client.stop(node)
    }
  }

  func testPipelineTransactionAndErrorsInPlace() async throws {
    let server = try startRedisServer()
    try await withNode { node in
      let client = try await RedisClient.start(RedisConfiguration(url: server.url), on: node)
      let redis = client.on(node)
      try await redis.set("text", "abc")
      let replies = try await redis.pipeline([RedisCommand("INCR", "x"), RedisCommand("INCR", "text"), RedisCommand("GET", "x")])
      XCTAssertEqual(replies.count, 3)
      XCTAssertEqual(replies[0].int, 1)
      guard case .error(let e) = replies[1] else { return XCTFail("INCR of text must fail in place, got \(replies[1])") }
      XCTAssertEqual(e.code, "ERR")
      XCTAssertEqual(replies[2].string, "1")
      let exec = try await redis.transaction([RedisCommand("INCR", "x"), RedisCommand("LPUSH", "text", "v"), RedisCommand("INCR", "x")])
      XCTAssertEqual(exec.count, 3)
      XCTAssertEqual(exec[0].int, 2)
      XCTAssertEqual(exec[1], .error(RedisServerError(message: "WRONGTYPE Operation against a key holding the wrong kind of value")))
      XCTAssertEqual(exec[2].int, 3)
      do {
        _ = try await redis.transaction([RedisCommand("INCR", "x"), RedisCommand("NOSUCHCOMMAND")])
        XCTFail("a command refused while queueing aborts the transaction")
      } catch let e as RedisError {
        XCTAssertTrue("\(e)".contains("EXECABORT") && "\(e)".contains("NOSUCHCOMMAND"), "\(e)")
      }
      let v28 = try await redis.get("x")?.int
      XCTAssertEqual(v28, 3, "nothing of the aborted transaction ran")
      // Typed server errors.
      do {
        _ = try await redis.send(["LPUSH", "text", "v"])
        XCTFail("WRONGTYPE")
      } catch let e as RedisError {
        XCTAssertEqual(e.serverKind, .wrongType)
      }
      // Requests refused before they are sent, with the connection unharmed.
      for bad in [RedisCommand([String]()), RedisCommand(["SUBSCRIBE", "c"]), RedisCommand(["BLPOP", "l", "0"]), RedisCommand(["MULTI"])] {
        do {
          _ = try await redis.send(bad)
          XCTFail("\(bad) must be refused")
        } catch let e as RedisError {
          guard case .invalidRequest = e else { return XCTFail("\(e)") }
        }
      }
      let v29 = try await redis.ping()
      XCTAssertEqual(v29, "PONG")
      await client.stop(node)
    }
  }

  func testEvalFallsBackToEvalOnNoScript() async throws {
    let server = try startRedisServer()
    try await withNode { node in
      let client = try await RedisClient.start(RedisConfiguration(url: server.url), on: node)
      let redis = client.on(node)
      let script = RedisScript("return redis.call('INCRBY', KEYS[1], ARGV[1])")
      XCTAssertEqual(script.sha1, try server.redisCLI(["SCRIPT", "LOAD", script.source]).trimmingCharacters(in: .whitespacesAndNewlines))
      _ = try server.redisCLI(["SCRIPT", "FLUSH"])
      let v30 = try await redis.eval(script, keys: ["k"], args: ["5"]).int
      XCTAssertEqual(v30, 5)  // NOSCRIPT, then EVAL
      let v31 = try await redis.eval(script, keys: ["k"], args: ["5"]).int
      XCTAssertEqual(v31, 10)  // cached now
      do {
        _ = try await redis.eval(RedisScript("return redis.call('NOPE')"))
        XCTFail("a script error is thrown")
      } catch let e as RedisError {
        guard case .server = e else { return XCTFail("\(e)") }
      }
      await client.stop(node)
    }
  }

  /// A command whose caller gave up (the server paused) must never hand its reply to the
  /// next caller.
  func testTimeoutNeverShiftsReplies() async throws {
    let server = try startRedisServer()
    try await withNode { node in
      let client = try await RedisClient.start(RedisConfiguration(url: server.url), poolSize: 1, on: node)
      let redis = client.on(node)
      try await redis.set("a", "A")
      try await redis.set("b", "B")
      server.pause()
      do {
        _ = try await redis.send(RedisCommand("GET", "a"), timeout: .milliseconds(200))
        XCTFail("a paused server cannot answer")
      } catch let e as RedisError {
        guard case .timeout(let what) = e else { return XCTFail("\(e)") }
        XCTAssertTrue(what.contains("GET"), what)
      }
      server.resume()
      let v32 = try await redis.get("b")?.string
      XCTAssertEqual(v32, "B")
      let v33 = try await redis.get("a")?.string
      XCTAssertEqual(v33, "A")
      await client.stop(node)
    }
  }

  func testReadOnlyReplicaErrorIsTyped() async throws {
    let primary = try startRedisServer()
    let replica = try startRedisServer(.init(extraArguments: ["--replicaof", "127.0.0.1", "\(primary.port)"]))
    try await withNode { node in
      let client = try await RedisClient.start(RedisConfiguration(url: replica.url), on: node)
      do {
        try await client.on(node).set("k", "v")
        XCTFail("a replica refuses writes")
      } catch let e as RedisError {
        XCTAssertEqual(e.serverKind, .readOnly)
        XCTAssertTrue("\(e)".contains("READONLY"), "\(e)")
      }
      await client.stop(node)
    }
  }

  /// The client as a child of the application's own supervisor: its connections are
  /// restarted by the client's supervisor, and the client by the application's.
  func testClientUnderTheApplicationsSupervisor() async throws {
    let server = try startRedisServer()
    try await withNode { node in
      let client = RedisClient(try RedisConfiguration(url: server.url), poolSize: 2)
      let app = try await node.start(Supervisor(children: [client.childSpec(id: "redis")]))
      try await client.awaitReady(node)
      let redis = client.on(node)
      try await redis.set("k", "v")
      // A connection process crashes: the next command still works (the pool skips it
      // until its replacement is up), and the replacement connects.
      let first = try XCTUnwrap(client.connectionPids.first)
      node.exit(first, reason: .kill)
      try await eventually("commands to work on") { (try? await redis.get("k"))??.string == "v" }
      try await eventually("a new first connection") { client.connectionPids.first != first }
      try await eventually("every connection up") { try await client.status(node).allSatisfy(\.connected) }
      if let app { try await node.stop(app) }
      do {
        _ = try await redis.get("k")
        XCTFail("the client stopped with its supervisor")
      } catch let e as RedisError {
        switch e {
        case .connectionLost, .notConnected, .stopped: break
        default: XCTFail("\(e)")
        }
      }
    }
  }
}
