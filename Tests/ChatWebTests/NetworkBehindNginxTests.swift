// A chatd network on the web as a site runs it: a real redis-server, two chatd nodes
// (the built binary, `--cluster`, each its own OS process, data directory and ports),
// Debian's nginx in front of their web listeners (scripts/web/nginx-network.conf.template:
// the ip_hash upstream with the Upgrade headers, and a cookie map that pins a browser to
// one node — the template says why), and two headless Chromium browsers, one on each
// node, chatting (scripts/web/chromium_network.py). Which node serves whom is read from
// chatd's side: each node's control endpoint lists the connections it owns. Skips,
// saying what to install, when a tool is missing (scripts/setup.sh installs them all).
import Control
import Foundation
import Glibc
import OtterTestSupport
import RedisTestSupport
import XCTest

@testable import ChatApp

final class NetworkBehindNginxTests: XCTestCase {
  /// A chatd node of the network at `redis`, and its data directory (control socket).
  struct Node {
    let name: String
    let chatd: ChatdProcess
    let directory: String

    /// The labels (`nick (transport) host`) of the client connections this node owns:
    /// its own clients only, never another node's users it knows of.
    func connections() throws -> [String] {
      let control = try ControlClient(path: directory + "/control.sock")
      defer { control.close() }
      let processes = try control.snapshot(tree: nil, sockets: false).processes ?? []
      return processes.map(\.row).filter { $0.messageType == "ServerMessage<Connection>" }.compactMap(\.label).sorted()
    }
  }

  func startNode(_ name: String, redis: RedisServer) throws -> Node {
    let directory = temporaryDirectory("chatnet-\(name)")
    addTeardownBlock { removeDirectory(directory) }
    let chatd = try ChatdProcess([
      "--cluster", redis.url, "--node", name, "--port", "0", "--web-port", "\(freePort())", "--data-dir", directory,
    ])
    return Node(name: name, chatd: chatd, directory: directory)
  }

  func testTwoBrowsersOnTwoNodesChatThroughNginx() async throws {
    guard let python = pythonWithWebsockets() else {
      throw XCTSkip("needs Python with the websockets package: run scripts/setup.sh (makes .build/pyvenv) or set OTTER_PYTHON")
    }
    guard let chromium = findTool(["chromium", "chromium-browser", "google-chrome"]) else {
      throw XCTSkip("needs Chromium: apt-get install chromium (scripts/setup.sh does)")
    }
    _ = try NginxProcess.find()
    _ = try ChatdProcess.built()
    let redis = try startRedisServer()
    let a = try startNode("a", redis: redis)
    let b = try startNode("b", redis: redis)
    // b found a in the membership when it joined; a says when it sees b come.
    try await eventually("node a to see node b:\n\(a.chatd.output)", timeout: .seconds(20)) {
      a.chatd.output.contains("network: node b up")
    }
    let nginx = try NginxProcess(
      template: "nginx-network.conf.template",
      substitutions: ["@NODE_A@": "127.0.0.1:\(a.chatd.webPort)", "@NODE_B@": "127.0.0.1:\(b.chatd.webPort)"])
    var logs: String { "\nnginx's access log:\n\(nginx.accessLog)\nnginx's error log:\n\(nginx.errorLog)" }

    // Alice's browser on node a, Bob's on node b, and an IRC client straight on node a.
    let scratch = temporaryDirectory("chatnet-browsers")
    addTeardownBlock { removeDirectory(scratch) }
    let go = scratch + "/go"
    let browsers = try RunningTool(
      python,
      [
        repositoryRoot.appendingPathComponent("scripts/web/chromium_network.py").path, chromium,
        "http://127.0.0.1:\(nginx.port)/", String(a.chatd.ircPort), go,
      ])
    try browsers.waitForLine("ready", within: 150)

    // chatd's side: each browser is a connection of the node its cookie chose.
    XCTAssertEqual(try a.connections(), ["alice (websocket) 127.0.0.1", "ircuser (irc) 127.0.0.1"], logs)
    XCTAssertEqual(try b.connections(), ["bob (websocket) 127.0.0.1"], logs)

    // Without the cookie, nginx's ip_hash upstream picks the node: carol lands on one of
    // them, sees everyone in #net, and her line reaches both browsers (the script checks).
    let carol = try webClient(port: nginx.port, nick: "carol")
    try carol.send(line: "JOIN #net")
    let names = try carol.expect(containing: " 353 carol ")
    for nick in ["alice", "bob", "ircuser", "carol"] { XCTAssertTrue(names.contains(nick), names) }
    try carol.expect(containing: " 366 carol #net ")
    let carolsNode = try await eventuallyValue("carol's connection on one node") { () -> Node? in
      let on = try [a, b].filter { try $0.connections().contains("carol (websocket) 127.0.0.1") }
      return on.count == 1 ? on[0] : nil
    }
    // ip_hash keys on the client's address: another client from it goes to the same node.
    let dave = try webClient(port: nginx.port, nick: "dave")
    try await eventually("dave on carol's node \(carolsNode.name)") {
      try carolsNode.connections().contains("dave (websocket) 127.0.0.1")
    }
    try carol.send(line: "PRIVMSG #net :carol came in through ip_hash")
    _ = FileManager.default.createFile(atPath: go, contents: nil)
    let run = browsers.finish(within: 120)
    XCTAssertEqual(run.status, 0, run.output + logs)
    XCTAssertTrue(run.output.contains("all passed"), run.output + logs)
    _ = (carol, dave)  // both open until the browsers are done

    // Everything this test started stops, each by its pid (redis-server at teardown).
    nginx.stop()
    for node in [a, b] {
      node.chatd.signal(SIGTERM)
      let exit = try node.chatd.exit(within: 15)
      XCTAssertEqual(exit.status, 0, node.chatd.output)
    }
  }
}
