// Nodes in real OS processes that find each other through a real redis-server: every
// member connects to every other, a killed node is seen down by all within the bound, a
// frozen node past its lease rejoins as a new incarnation whose old pids get nothing,
// and a Redis restart, or Redis stopped for ten seconds, makes no false node-down: links
// and pids survive it, and each node says when Redis is unreachable and back.
import Foundation
import OtterTestSupport
import RedisTestSupport
import XCTest

final class ClusterTests: XCTestCase {
  func node(_ name: String, _ redis: RedisServer) throws -> NodeProcess {
    try NodeProcess(self, name: name, extra: ["--redis", redis.url, "--cluster", "t\(redis.port)"])
  }

  func testMembersConnectAndAKilledNodeIsSeenDown() async throws {
    let redis = try startRedisServer()
    let a = try node("a", redis)
    let b = try node("b", redis)
    let c = try node("c", redis)
    for (n, others) in [(a, ["b", "c"]), (b, ["a", "c"]), (c, ["a", "b"])] {
      for o in others { try n.expect("up \(o)", timeout: .seconds(5)) }
    }
    try b.command("echo echo")
    let pongs = try a.command("pings b echo 1000", expect: "pongs")
    XCTAssertTrue(pongs.hasPrefix("pongs 1000 ordered"), pongs)
    let killed = ContinuousClock.now
    c.kill()
    try a.expect("down c", timeout: .seconds(3))
    try b.expect("down c", timeout: .seconds(3))
    XCTAssertLessThan(ContinuousClock.now - killed, .seconds(3))
  }

  func testAFrozenNodeRejoinsAsANewIncarnation() async throws {
    let redis = try startRedisServer()
    let a = try node("a", redis)
    let c = try node("c", redis)
    try a.expect("up c", timeout: .seconds(5))
    try c.command("echo echo")
    try a.command("keep c echo")
    XCTAssertEqual(try a.command("kept", expect: "kept"), "kept-reply")
    // Frozen past its lease (2 s): the others see it down within the bound.
    c.signal(SIGSTOP)
    let frozen = ContinuousClock.now
    try a.expect("down c", timeout: .seconds(4))
    XCTAssertLessThan(ContinuousClock.now - frozen, .seconds(3.5))
    c.signal(SIGCONT)
    // It finds its lease gone, rejoins under a new incarnation, and is seen up again.
    let rejoined = try c.expect("rejoined", timeout: .seconds(10)).split(separator: " ")
    XCTAssertGreaterThan(UInt64(rejoined[2]) ?? 0, UInt64(rejoined[1]) ?? .max)
    try a.expect("up c", timeout: .seconds(10))
    // The pid a kept is of the old incarnation: nothing is delivered to it.
    XCTAssertEqual(try a.command("kept", expect: "kept"), "kept-timeout")
    // The same process, looked up again, is reachable under the new incarnation.
    try a.command("keep c echo")
    XCTAssertEqual(try a.command("kept", expect: "kept"), "kept-reply")
  }

  func testARedisRestartMakesNoFalseNodeDown() async throws {
    let redis = try startRedisServer()
    let a = try node("a", redis)
    let b = try node("b", redis)
    try a.expect("up b", timeout: .seconds(5))
    try b.command("echo echo")
    try redis.restart()
    // Longer than a lease and a sweep: nobody may have seen anybody down.
    try await Task.sleep(for: .seconds(4))
    XCTAssertFalse(a.has("down"), "a saw a node down during a short Redis restart")
    XCTAssertFalse(b.has("down"), "b saw a node down during a short Redis restart")
    XCTAssertFalse(a.has("rejoined") || b.has("rejoined"))
    let pongs = try a.command("pings b echo 100", expect: "pongs")
    XCTAssertTrue(pongs.hasPrefix("pongs 100 ordered"), pongs)
    // A node that starts now finds them all.
    let c = try node("c", redis)
    try c.expect("up a", timeout: .seconds(5))
    try c.expect("up b", timeout: .seconds(5))
  }

  func testRedisPausedTenSecondsKeepsLinksPidsAndIncarnations() async throws {
    let redis = try startRedisServer()
    let a = try node("a", redis)
    let b = try node("b", redis)
    try a.expect("up b", timeout: .seconds(5))
    try b.command("echo echo")
    try a.command("keep b echo")
    XCTAssertEqual(try a.command("kept", expect: "kept"), "kept-reply")
    redis.pause()
    let paused = ContinuousClock.now
    for n in [a, b] {
      let line = try n.expect("redis unreachable", timeout: .seconds(5))
      print("cluster: \(n.name) says \(line)")
    }
    // Links do not go through Redis: traffic goes on meanwhile.
    let during = try a.command("pings b echo 100", expect: "pongs")
    XCTAssertTrue(during.hasPrefix("pongs 100 ordered"), during)
    try await Task.sleep(until: paused + .seconds(10), clock: .continuous)
    redis.resume()
    let resumed = ContinuousClock.now
    for n in [a, b] { try n.expect("redis reachable", timeout: .seconds(5)) }
    // Past a lease and a sweep: nobody saw anybody down, nobody changed incarnation.
    try await Task.sleep(until: resumed + .seconds(3), clock: .continuous)
    for n in [a, b] {
      XCTAssertFalse(n.has("down"), "\(n.name) saw a node down while Redis was paused")
      XCTAssertFalse(n.has("rejoined"), "\(n.name) changed incarnation while Redis was paused")
    }
    // The pid a kept before is still b's live echo: same incarnation, same link.
    XCTAssertEqual(try a.command("kept", expect: "kept"), "kept-reply")
    let after = try a.command("pings b echo 100", expect: "pongs")
    XCTAssertTrue(after.hasPrefix("pongs 100 ordered"), after)
  }

  /// A node cut off from Redis while the others reach it is buried by them. It cannot
  /// tell this from an outage of Redis, so it still counts itself a member and dials
  /// them again; they refuse its buried incarnation (its pids are dead everywhere) until
  /// Redis tells it the lease is lost and it rejoins under a new one.
  func testANodeCutOffFromRedisIsRefusedUntilItRejoins() async throws {
    let redis = try startRedisServer()
    let proxy = try TCPProxy(to: redis.port)
    addTeardownBlock { proxy.stop() }
    let a = try NodeProcess(self, name: "a", extra: ["--redis", "redis://127.0.0.1:\(proxy.port)", "--cluster", "t\(redis.port)"])
    let b = try node("b", redis)
    try a.expect("up b", timeout: .seconds(5))
    try b.expect("up a", timeout: .seconds(5))
    proxy.cut()
    try b.expect("down a", timeout: .seconds(4))
    try a.expect("redis unreachable", timeout: .seconds(3))
    // a dials b again every 500 ms meanwhile.
    try await Task.sleep(for: .seconds(2))
    XCTAssertFalse(b.has("up a"), "b linked up again with a's buried incarnation")
    XCTAssertFalse(a.has("rejoined"))
    proxy.restore()
    let rejoined = try a.expect("rejoined", timeout: .seconds(10)).split(separator: " ")
    XCTAssertGreaterThan(UInt64(rejoined[2]) ?? 0, UInt64(rejoined[1]) ?? .max)
    try b.expect("up a", timeout: .seconds(5))
    try a.command("echo echo")
    try b.command("keep a echo")
    XCTAssertEqual(try b.command("kept", expect: "kept"), "kept-reply")
  }

  func testANameTakenByALiveMemberIsRefused() async throws {
    let redis = try startRedisServer()
    _ = try node("a", redis)
    do {
      _ = try node("a", redis)
      XCTFail("a second node named a must not start")
    } catch {
      XCTAssertTrue("\(error)".contains("exited with status 1"), "\(error)")
    }
  }
}

/// The observer lists a cluster's members from its Redis and attaches to one of them.
final class ClusterObserverTests: XCTestCase {
  func testObserverListsMembersAndAttachesToOne() async throws {
    let redis = try startRedisServer()
    let cluster = "t\(redis.port)"
    let a = try NodeProcess(self, name: "a", extra: ["--redis", redis.url, "--cluster", cluster])
    let b = try NodeProcess(self, name: "b", extra: ["--redis", redis.url, "--cluster", cluster])
    try a.expect("up b", timeout: .seconds(5))
    _ = b
    let observer = try builtExecutable("observer")
    let list = try run(observer, ["--cluster", redis.url, "--cluster-name", cluster, "--list"])
    XCTAssertEqual(list.status, 0, list.output)
    let lines = list.output.split(separator: "\n")
    XCTAssertEqual(lines.map { $0.split(separator: " ").first.map(String.init) }, ["a", "b"], list.output)
    XCTAssertTrue(list.output.contains("control /"), list.output)
    let tree = try run(observer, ["--cluster", redis.url, "--cluster-name", cluster, "--node", "b", "--once"])
    XCTAssertEqual(tree.status, 0, tree.output)
    XCTAssertTrue(tree.output.contains("dist net_kernel b"), tree.output)
    let missing = try run(observer, ["--cluster", redis.url, "--cluster-name", cluster, "--node", "zed", "--once"])
    XCTAssertEqual(missing.status, 69, missing.output)
    XCTAssertTrue(missing.output.contains("no live member zed"), missing.output)
  }

  private func run(_ path: String, _ arguments: [String]) throws -> (status: Int32, output: String) {
    let p = Process()
    p.executableURL = URL(fileURLWithPath: path)
    p.arguments = arguments
    let pipe = Pipe()
    p.standardOutput = pipe
    p.standardError = pipe
    try withNoSignalsBlocked { try p.run() }
    let data = pipe.fileHandleForReading.readDataToEndOfFile()
    p.waitUntilExit()
    return (p.terminationStatus, String(decoding: data, as: UTF8.self))
  }
}
