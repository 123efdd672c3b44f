// The supervision tree README.md draws for chatd is the tree chatd runs: every static
// child, in order, at its depth.
import Actors
import GenServer
import OtterTestSupport
import Supervision
import XCTest

@testable import ChatApp

final class ReadmeTreeTests: XCTestCase {
  /// The README's tree as (depth, id) lines, root excluded.
  func readmeTree() throws -> [String] {
    let readme = try String(contentsOfFile: #filePath.components(separatedBy: "/Tests/")[0] + "/README.md", encoding: .utf8)
    let block = try XCTUnwrap(readme.components(separatedBy: "```\nchatd (root").dropFirst().first?.components(separatedBy: "```").first)
    var out: [String] = []
    for line in block.split(separator: "\n").dropFirst() {
      // "├── id  ..." at depth 0, "│   └── id ..." at depth 1: four columns a level.
      let chars = Array(line)
      guard let branch = chars.firstIndex(where: { $0 == "├" || $0 == "└" }) else { continue }
      let rest = String(chars[(branch + 4)...])
      let id = rest.split(separator: " ").first.map(String.init) ?? ""
      out.append("\(branch / 4) \(id)")
    }
    return out
  }

  /// The running tree, the same way: static children of every `Supervisor`, in order;
  /// a dynamic supervisor's children come and go, so it is a leaf.
  func runningTree(_ node: Node, _ supervisor: GenServerRef<Supervisor>, depth: Int = 0) async throws -> [String] {
    var out: [String] = []
    for child in try await node.whichChildren(supervisor) {
      out.append("\(depth) \(child.id)")
      if child.type == .supervisor, let pid = child.pid, let sub = pid.address(as: ServerMessage<Supervisor>.self) {
        out += try await runningTree(node, GenServerRef(sub), depth: depth + 1)
      }
    }
    return out
  }

  func testTheReadmeTreeIsTheRunningTree() async throws {
    var config = testConfig()
    config.webPort = freePort()  // the default runs the web side: so does this
    config.metricsPort = 0  // and the metrics listener
    try await withChatServer(config) { server in
      let running = try await runningTree(server.node, server.application.root)
      XCTAssertEqual(try readmeTree(), running)
    }
  }
}
