import Foundation
import OtterTestSupport
import XCTest

@testable import Actors
@testable import Control
@testable import GenServer
@testable import Supervision

/// Round trips over the control endpoint against a node started here.
final class EndpointTests: XCTestCase {
  func testHelloStatsAndTheKnownTree() async throws {
    let dir = temporaryDirectory()
    defer { removeDirectory(dir) }
    try await withNode(name: "known") { node in
      let known = try await KnownTree.start(on: node, path: "\(dir)/control.sock")
      let client = try ControlClient(path: known.path)

      let hello = try client.hello()
      XCTAssertEqual(hello["node"]?.stringValue, "known")
      XCTAssertEqual(hello["protocol"]?.intValue, 1)
      XCTAssertEqual(hello["os_pid"]?.intValue, Int64(getpid()))

      let stats = try client.stats()
      XCTAssertEqual(stats.node, "known")
      XCTAssertEqual(stats.schedulers.count, 2)
      XCTAssertEqual(stats.processCount, node.processCount + 0, accuracy: 3)
      XCTAssertGreaterThan(stats.residentBytes, 0)
      XCTAssertEqual(stats.openSockets, 2)  // the listener and this connection

      let tree = try client.tree()
      XCTAssertEqual(tree.source, .ancestor)
      XCTAssertEqual(tree.roots.count, 1)
      let app = tree.roots[0]
      XCTAssertEqual(app.id, "app")
      XCTAssertEqual(app.kind, .supervisor)
      XCTAssertEqual(app.pid, ProcessID(known.root.pid))
      XCTAssertEqual(app.supervisor?.strategy, "one_for_one")
      XCTAssertEqual(app.supervisor?.intensity, 3)
      XCTAssertEqual(app.supervisor?.period, 5)
      XCTAssertEqual(app.supervisor?.budgetLeft, 3)
      XCTAssertEqual(app.supervisor?.specs, 4)
      XCTAssertEqual(app.supervisor?.supervisors, 2)
      XCTAssertEqual(app.supervisor?.workers, 2)
      XCTAssertEqual(app.children.map(\.id), ["vault", "rooms", "sessions", "control"])
      XCTAssertEqual(app.children.map(\.kind), [.worker, .supervisor, .supervisor, .worker])
      let vault = app.children[0]
      XCTAssertEqual(vault.restart, "permanent")
      XCTAssertEqual(vault.process?.name, "vault")
      XCTAssertEqual(vault.status, "running")
      let rooms = app.children[1]
      XCTAssertEqual(rooms.supervisor?.strategy, "rest_for_one")
      XCTAssertEqual(rooms.supervisor?.intensity, 2)
      XCTAssertEqual(rooms.children.map(\.id), ["lobby", "general"])
      XCTAssertEqual(rooms.children.map(\.restart), ["permanent", "transient"])
      let sessions = app.children[2]
      XCTAssertEqual(sessions.supervisor?.strategy, "simple_one_for_one")
      XCTAssertEqual(sessions.children.count, 3)
      XCTAssertEqual(sessions.children.map { $0.process?.label }, ["session ann", "session bob", "session cy"])
      XCTAssertEqual(sessions.children.map(\.restart), ["transient", "transient", "transient"])
      XCTAssertEqual(app.children[3].process?.label, "control endpoint")
    }
  }

  func testProcessInfoShowsRedactedStateLinksAndSockets() async throws {
    let dir = temporaryDirectory()
    defer { removeDirectory(dir) }
    try await withNode { node in
      let known = try await KnownTree.start(on: node, path: "\(dir)/control.sock")
      let client = try ControlClient(path: known.path)
      _ = try await node.call("vault", Vault.self, 2)
      let vault = try XCTUnwrap(node.whereis("vault"))
      let detail = try client.process(ProcessID(vault.id))
      XCTAssertEqual(detail.row.name, "vault")
      XCTAssertEqual(detail.row.status, "waiting")
      XCTAssertEqual(detail.links, [ProcessID(known.root.pid)])
      XCTAssertEqual(detail.parent, ProcessID(known.root.pid))
      XCTAssertEqual(detail.state, "Vault: opened 2 times, password <redacted>")
      XCTAssertFalse(detail.state?.contains("hunter2") ?? true)
      XCTAssertNil(detail.supervisor)

      // A supervisor's view includes its budget; the endpoint's includes its socket.
      let app = try client.process(ProcessID(known.root.pid))
      XCTAssertEqual(app.supervisor?.strategy, "one_for_one")
      XCTAssertTrue(app.state?.hasPrefix("Supervisor: one_for_one, 4/4 children running") ?? false, app.state ?? "nil")
      let endpoint = try XCTUnwrap(client.tree().roots[0].children.last?.pid)
      let endpointDetail = try client.process(endpoint)
      XCTAssertEqual(endpointDetail.sockets.map(\.kind), ["unixListener"])
      XCTAssertEqual(endpointDetail.sockets.first?.local, known.path)
      XCTAssertTrue(endpointDetail.trapExit)

      // Our own connection process has our socket, with its byte counters moving.
      let mine = try XCTUnwrap(client.sockets().first { $0.kind == "unix" })
      let connection = try client.process(mine.owner)
      XCTAssertEqual(connection.row.label, "control connection")
      XCTAssertGreaterThan(connection.sockets.first?.bytesIn ?? 0, 0)
      XCTAssertGreaterThan(connection.sockets.first?.bytesOut ?? 0, 0)
    }
  }

  func testKillAndTheRestartIsSeen() async throws {
    let dir = temporaryDirectory()
    defer { removeDirectory(dir) }
    try await withNode { node in
      let known = try await KnownTree.start(on: node, path: "\(dir)/control.sock")
      let client = try ControlClient(path: known.path)
      let before = try client.tree()
      let lobby = try XCTUnwrap(before.roots[0].children[1].children.first { $0.id == "lobby" })
      let oldPid = try XCTUnwrap(lobby.pid)
      XCTAssertNil(lobby.lastRestart)

      try client.kill(oldPid)
      var after = before
      try await eventually("lobby to be restarted") {
        after = try client.tree()
        let now = after.roots[0].children[1].children.first { $0.id == "lobby" }
        return now?.pid != nil && now?.pid != oldPid
      }
      let rooms = after.roots[0].children[1]
      let restarted = try XCTUnwrap(rooms.children.first { $0.id == "lobby" })
      XCTAssertEqual(restarted.status, "running")
      XCTAssertEqual(restarted.lastRestart?.reason, "killed")
      XCTAssertLessThan(restarted.lastRestart?.ago ?? 99, 5)
      XCTAssertEqual(rooms.supervisor?.restartsInPeriod, 1)
      XCTAssertEqual(rooms.supervisor?.budgetLeft, 1)
      XCTAssertEqual(rooms.supervisor?.recentRestarts.map(\.child), ["lobby"])
      // rest_for_one: general, started after lobby, was restarted with it.
      XCTAssertNotEqual(rooms.children[1].pid, before.roots[0].children[1].children[1].pid)
      // The old pid is gone.
      XCTAssertThrowsError(try client.process(oldPid)) { error in
        guard case ControlClientError.remote(let e) = error else { return XCTFail("\(error)") }
        XCTAssertEqual(e.code, .noSuchProcess)
      }
    }
  }

  func testSeveralKillsInOneWriteAreAnsweredInOrder() async throws {
    let dir = temporaryDirectory()
    defer { removeDirectory(dir) }
    try await withNode { node in
      let known = try await KnownTree.start(on: node, path: "\(dir)/control.sock")
      let client = try ControlClient(path: known.path)
      let sessions = try XCTUnwrap(client.tree().roots[0].children.first { $0.id == "sessions" })
      let pids = sessions.children.compactMap(\.pid)
      XCTAssertEqual(pids.count, 3)
      let results = try client.kill([pids[0], ProcessID(999_999_999), pids[2]])
      XCTAssertEqual(results.count, 3)
      XCTAssertNil(results[0])
      XCTAssertEqual(results[1]?.code, .noSuchProcess)
      XCTAssertNil(results[2])
      try await eventually("both to be killed, the other left alone") {
        let now = try client.tree().roots[0].children.first { $0.id == "sessions" }?.children.compactMap(\.pid) ?? []
        return !now.contains(pids[0]) && !now.contains(pids[2]) && now.contains(pids[1])
      }
      // The connection is still in step: the next request gets its own answer.
      XCTAssertEqual(try client.hello()["node"]?.stringValue, "testnode")
    }
  }

  func testBadRequestsGetErrorsAndTheConnectionGoesOn() async throws {
    let dir = temporaryDirectory()
    defer { removeDirectory(dir) }
    try await withNode { node in
      let endpoint = try await Control.start(on: node, EndpointOptions(path: "\(dir)/c.sock", discoveryDirectory: nil))
      let client = try ControlClient(path: endpoint.path)
      func error(_ line: String) throws -> (code: String?, message: String?, id: JSON?) {
        let reply = try JSON.parse(client.exchange(Array(line.utf8)))
        XCTAssertEqual(reply["ok"], .bool(false), line)
        XCTAssertEqual(reply["v"], .int(1))
        return (reply["error"]?["code"]?.stringValue, reply["error"]?["message"]?.stringValue, reply["id"])
      }
      XCTAssertEqual(try error("this is not json").code, "bad_json")
      XCTAssertEqual(try error("{\"op\":\"hello\"").code, "bad_json")
      XCTAssertEqual(try error("[1,2]").code, "bad_request")
      XCTAssertEqual(try error("{\"id\":5}").code, "bad_request")
      let unknown = try error("{\"id\":\"x\",\"op\":\"frobnicate\"}")
      XCTAssertEqual(unknown.code, "unknown_op")
      XCTAssertEqual(unknown.id, .string("x"))
      XCTAssertTrue(unknown.message?.contains("snapshot") ?? false)
      XCTAssertEqual(try error("{\"v\":2,\"op\":\"hello\"}").code, "unsupported_version")
      XCTAssertEqual(try error("{\"op\":\"process\"}").message, "request: missing field \"pid\"")
      XCTAssertEqual(try error("{\"op\":\"process\",\"pid\":\"<0.x.0>\"}").code, "bad_request")
      XCTAssertEqual(try error("{\"op\":\"process\",\"pid\":999999999}").code, "no_such_process")
      XCTAssertEqual(try error("{\"op\":\"kill\",\"pid\":999999999}").code, "no_such_process")
      XCTAssertEqual(try error("{\"op\":\"top\",\"sort\":\"size\"}").code, "bad_request")
      XCTAssertEqual(try error("{\"op\":\"top\",\"limit\":0}").code, "bad_request")
      XCTAssertEqual(
        try error("{\"op\":\"top\",\"limit\":\"ten\"}").message, "request: field \"limit\" is a string, expected a whole number")
      XCTAssertEqual(try error("{\"op\":\"top\",\"lmit\":3}").code, "bad_request")
      XCTAssertEqual(try error("{\"op\":\"snapshot\",\"tree\":{\"child_limit\":-1}}").code, "bad_request")
      XCTAssertEqual(try error("{\"op\":\"tree\",\"timeout_ms\":0}").code, "bad_request")
      let deep = String(repeating: "[", count: 500) + String(repeating: "]", count: 500)
      XCTAssertEqual(try error(deep).code, "bad_json")
      let long = "{\"op\":\"hello\",\"pad\":\"" + String(repeating: "x", count: 70_000) + "\"}"
      XCTAssertEqual(try error(long).code, "request_too_long")
      // Blank lines are skipped; after all that the connection still works.
      _ = try client.exchange(Array("   ".utf8) + [0x0A] + Array("{\"op\":\"hello\"}".utf8))
      XCTAssertEqual(try client.hello()["node"]?.stringValue, "testnode")
      await endpoint.stop(on: node)
      XCTAssertFalse(FileManager.default.fileExists(atPath: endpoint.path))
    }
  }
}
