// The redis-server fixtures themselves (RedisTestSupport): a server starts and answers,
// on TCP or a Unix socket, with a password or an ACL user; restart keeps its port; pause
// stalls it; kill, stop and deinit leave no process; a cluster forms, reports ok, and
// its slots move (MOVED) or stop half way (ASK). Checked with redis-cli and the
// fixtures' own probe, never with the Redis client under test.
import Foundation
import Glibc
import OtterTestSupport
import RedisTestSupport
import XCTest

final class RedisFixtureTests: XCTestCase {
  override func tearDown() {
    // The teardown blocks (which stop the servers) have run: none may be left.
    XCTAssertEqual(liveRedisServerPids, [], "redis-server processes left by \(name)")
    XCTAssertEqual(childRedisServers(), [], "redis-server children of the test process left by \(name)")
    super.tearDown()
  }

  func testStartsOnAFreePortAndAnswers() throws {
    let server = try startRedisServer()
    XCTAssertGreaterThan(server.port, 0)
    XCTAssertEqual(server.url, "redis://127.0.0.1:\(server.port)")
    XCTAssertNil(server.unixSocketPath)
    XCTAssertEqual(try server.redisCLI(["PING"]), "PONG")
    XCTAssertEqual(try server.redisCLI(["SET", "greeting", "hello"]), "OK")
    XCTAssertEqual(try server.redisCLI(["GET", "greeting"]), "hello")
    XCTAssertEqual(try server.probe().call(["GET", "greeting"]), .bulk(Array("hello".utf8)))
    // Nothing is written outside the temporary directory, and nothing is saved.
    XCTAssertEqual(try server.redisCLI(["CONFIG", "GET", "dir"]), "dir\n\(server.directory)")
    XCTAssertEqual(try server.redisCLI(["CONFIG", "GET", "save"]), "save\n")
    XCTAssertEqual(try server.redisCLI(["CONFIG", "GET", "appendonly"]), "appendonly\nno")
    XCTAssertThrowsError(try server.redisCLI(["NOSUCHCOMMAND"]), "an error reply fails redisCLI")
    XCTAssertTrue(server.logTail().contains("Ready to accept connections"), server.logTail())
    XCTAssertTrue(childRedisServers().contains(server.pid!))
  }

  func testUnixSocket() throws {
    let server = try startRedisServer(.init(unixSocket: true))
    let path = try XCTUnwrap(server.unixSocketPath)
    XCTAssertEqual(server.port, 0)
    XCTAssertEqual(server.url, "unix://\(path)")
    XCTAssertTrue(path.hasPrefix(server.directory))
    XCTAssertEqual(try server.redisCLI(["PING"]), "PONG")
    XCTAssertEqual(try server.redisCLI(["CONFIG", "GET", "port"]), "port\n0")
    XCTAssertEqual(try RedisProbe(unixSocket: path).call(["PING"]), .simple("PONG"))
    // After a crash the socket file stays; the restarted server takes the path again.
    server.kill()
    XCTAssertTrue(FileManager.default.fileExists(atPath: path))
    try server.restart()
    XCTAssertEqual(try server.redisCLI(["PING"]), "PONG")
  }

  func testAFailedStartSaysWhy() throws {
    let broken = try RedisServer(.init(extraArguments: ["--no-such-option", "1"]))
    XCTAssertThrowsError(try broken.start()) { error in
      XCTAssertTrue("\(error)".contains("exited while starting"), "\(error)")
      XCTAssertTrue("\(error)".contains("no-such-option"), "the message quotes the server's complaint: \(error)")
    }
    XCTAssertNil(broken.pid)
    // A port taken by someone else (here another server) is not moved when it was asked for.
    let first = try startRedisServer()
    let second = try RedisServer(.init(port: first.port))
    XCTAssertThrowsError(try second.start()) { error in
      XCTAssertTrue("\(error)".contains("Address already in use"), "\(error)")
    }
    XCTAssertEqual(try first.redisCLI(["PING"]), "PONG")
  }

  func testPasswordAndACLUser() throws {
    let user = RedisServer.ACLUser(name: "alice", password: "wonderland")
    let server = try startRedisServer(.init(password: "s3cret", user: user))
    XCTAssertEqual(try server.redisCLI(["PING"]), "PONG", "redisCLI authenticates as the default user")
    let anonymous = try RedisProbe(port: server.port)
    XCTAssertEqual(try anonymous.call(["PING"]).errorMessage?.hasPrefix("NOAUTH"), true)
    XCTAssertEqual(try anonymous.call(["AUTH", "wrong"]).errorMessage?.hasPrefix("WRONGPASS"), true)
    XCTAssertEqual(try anonymous.call(["AUTH", "alice", "wonderland"]), .simple("OK"))
    XCTAssertEqual(try anonymous.call(["ACL", "WHOAMI"]), .bulk(Array("alice".utf8)))
    XCTAssertEqual(try anonymous.call(["SET", "k", "v"]), .simple("OK"), "the user may run every command")
  }

  func testRestartKeepsThePortAndStartsEmpty() async throws {
    let server = try startRedisServer()
    let port = server.port
    let firstPid = try XCTUnwrap(server.pid)
    XCTAssertEqual(try server.redisCLI(["SET", "k", "v"]), "OK")
    try server.restart()
    XCTAssertEqual(server.port, port)
    XCTAssertNotEqual(server.pid, firstPid)
    XCTAssertFalse(processExists(firstPid))
    XCTAssertEqual(try server.redisCLI(["PING"]), "PONG")
    XCTAssertEqual(try server.redisCLI(["EXISTS", "k"]), "0", "nothing is persisted")
    try server.restart(graceful: true)
    XCTAssertTrue(
      server.logTail().contains("Received SIGTERM"),
      "started from an async test (a thread that blocks signals), the server still takes SIGTERM\n\(server.logTail())")
    XCTAssertEqual(server.port, port)
    XCTAssertEqual(try server.redisCLI(["PING"]), "PONG")
    // A server that exits on its own starts again too.
    XCTAssertThrowsError(try server.probe().call(["SHUTDOWN", "NOSAVE"]), "the server closes the connection")
    try await eventually("the server to exit") { !server.isRunning }
    XCTAssertNil(server.pid)
    try server.start()
    XCTAssertEqual(server.port, port)
    XCTAssertEqual(try server.redisCLI(["PING"]), "PONG")
  }

  func testKillStopAndDeinitLeaveNoProcess() throws {
    let server = try startRedisServer()
    let pid = try XCTUnwrap(server.pid)
    server.kill()
    XCTAssertNil(server.pid)
    XCTAssertFalse(server.isRunning)
    XCTAssertFalse(processExists(pid), "pid \(pid) is gone (reaped, not a zombie)")
    XCTAssertThrowsError(try RedisProbe(port: server.port).call(["PING"]))

    try server.start()
    let second = try XCTUnwrap(server.pid)
    server.stop()
    XCTAssertFalse(processExists(second))
    XCTAssertTrue(server.logTail().contains("ready to exit"), "SIGTERM: a clean shutdown\n\(server.logTail())")

    var third: pid_t = 0
    var directory = ""
    do {
      let dropped = try RedisServer()
      try dropped.start()
      third = try XCTUnwrap(dropped.pid)
      directory = dropped.directory
    }
    XCTAssertFalse(processExists(third), "deinit kills a server still running")
    XCTAssertFalse(FileManager.default.fileExists(atPath: directory), "deinit removes its directory")
  }

  func testPauseStallsRequestsUntilResumed() throws {
    let server = try startRedisServer()
    server.pause()
    let stalled = try RedisProbe(port: server.port, timeout: .milliseconds(300))
    XCTAssertThrowsError(try stalled.call(["PING"])) { error in
      XCTAssertTrue("\(error)".contains("no reply"), "\(error)")
    }
    XCTAssertTrue(server.isRunning)
    server.resume()
    XCTAssertEqual(try server.probe().call(["PING"]), .simple("PONG"))
    // A paused server still stops (resumed, then SIGTERM).
    server.pause()
    let pid = try XCTUnwrap(server.pid)
    server.stop()
    XCTAssertFalse(processExists(pid))
  }

  func testClusterFormsMigratesSlotsAndSurvivesARestart() throws {
    let cluster = try startRedisCluster()
    let nodes = cluster.nodes
    XCTAssertEqual(nodes.count, 3)
    XCTAssertEqual(Set(nodes.map(\.id)).count, 3)
    for node in nodes {
      let info = try cluster.server(node).redisCLI(["CLUSTER", "INFO"])
      XCTAssertTrue(info.contains("cluster_state:ok"), info)
      XCTAssertTrue(info.contains("cluster_slots_assigned:16384"), info)
      XCTAssertTrue(canConnect(port: node.port + 10000), "cluster bus of \(node) on port + 10000")
    }
    XCTAssertEqual(Set(try [0, 8000, 16383].map { try cluster.owner(ofSlot: $0) }).count, 3, "a third of the slots each")

    // Two keys in one slot (a hash tag), on their owner.
    let moved = "{fixture}.moved"
    let stays = "{fixture}.stays"
    let slot = try XCTUnwrap(Int(cluster.servers[0].redisCLI(["CLUSTER", "KEYSLOT", moved])))
    let source = try cluster.owner(ofSlot: slot)
    let target = try XCTUnwrap(nodes.first { $0 != source })
    XCTAssertEqual(try cluster.server(source).redisCLI(["MSET", moved, "1", stays, "2"]), "OK")

    // Half way: the moved key is asked for on the target, the other one is still served.
    try cluster.beginSlotMigration(slot, to: target, moving: [moved])
    XCTAssertEqual(try cluster.owner(ofSlot: slot), source)
    let onSource = try cluster.server(source).probe()
    XCTAssertEqual(try onSource.call(["GET", moved]), .error("ASK \(slot) \(target.address)"))
    XCTAssertEqual(try onSource.call(["GET", stays]), .bulk(Array("2".utf8)))
    let onTarget = try cluster.server(target).probe()
    XCTAssertEqual(try onTarget.call(["GET", moved]), .error("MOVED \(slot) \(source.address)"))
    XCTAssertEqual(try onTarget.pipeline([["ASKING"], ["GET", moved]].map { $0.map { Array($0.utf8) } })[1], .bulk(Array("1".utf8)))

    // Finished: the target owns the slot and both keys; the source redirects for good.
    try cluster.finishSlotMigration(slot, to: target)
    XCTAssertEqual(try cluster.owner(ofSlot: slot), target)
    XCTAssertEqual(try onSource.call(["GET", stays]), .error("MOVED \(slot) \(target.address)"))
    XCTAssertEqual(try cluster.server(target).redisCLI(["MGET", moved, stays]), "1\n2")
    XCTAssertEqual(try cluster.server(source).redisCLI(["-c", "GET", stays]), "2", "redis-cli -c follows MOVED")

    // The whole dance in one call, back to the source.
    try cluster.migrateSlot(slot, to: source)
    XCTAssertEqual(try cluster.owner(ofSlot: slot), source)
    XCTAssertEqual(try cluster.server(source).redisCLI(["MGET", moved, stays]), "1\n2")

    // A node killed and restarted comes back with its id and slots (and no keys).
    let pid = try XCTUnwrap(cluster.server(source).pid)
    cluster.kill(node: source)
    XCTAssertFalse(processExists(pid))
    try cluster.restart(node: source)
    XCTAssertEqual(cluster.nodes, nodes, "same ports, same ids")
    XCTAssertEqual(try cluster.owner(ofSlot: slot), source)
    XCTAssertEqual(try cluster.server(source).redisCLI(["EXISTS", moved]), "0")
  }

  // MARK: - Helpers

  /// Whether `pid` names a process (a zombie counts: it has not been reaped).
  private func processExists(_ pid: pid_t) -> Bool {
    Glibc.kill(pid, 0) == 0 || errno != ESRCH
  }

  /// The pids of redis-server processes whose parent is this test process (pgrep -P).
  private func childRedisServers() -> Set<pid_t> {
    guard let result = try? runProgram("/usr/bin/pgrep", ["-P", "\(getpid())", "redis-server"]) else { return [] }
    return Set(result.stdout.split(separator: "\n").compactMap { pid_t($0) })
  }

  /// Whether something accepts TCP connections on 127.0.0.1:`port`.
  private func canConnect(port: Int) -> Bool {
    (try? TestConnection(port: port, timeout: 1)) != nil
  }
}
