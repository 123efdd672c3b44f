import Foundation
import OtterTestSupport
import XCTest

@testable import Actors
@testable import Control
@testable import ObserverUI

/// Pointer files: how `observer` finds a node it was not told about.
final class DiscoveryTests: XCTestCase {
  func testPointersComeAndGoWithTheEndpoint() async throws {
    let dir = temporaryDirectory()
    defer { removeDirectory(dir) }
    try await withNode(name: "chatd") { node in
      let endpoint = try await Control.start(on: node, EndpointOptions(path: "\(dir)/a.sock", discoveryDirectory: dir))
      let entries = Discovery.liveNodes(in: dir)
      XCTAssertEqual(entries.map(\.name), ["chatd"])
      XCTAssertEqual(entries.first?.socket, endpoint.path)
      XCTAssertEqual(entries.first?.osPid, Int(getpid()))
      var options = ObserverOptions()
      options.discoveryDirectory = dir
      XCTAssertEqual(try ObserverTarget.resolve(options), endpoint.path)

      // A second node: the chatd one is still preferred; a name picks either.
      let other = try Node(schedulers: 1, name: "worker")
      defer { other.shutdown(timeout: .milliseconds(500)) }
      let second = try await Control.start(on: other, EndpointOptions(path: "\(dir)/b.sock", discoveryDirectory: dir))
      XCTAssertEqual(Discovery.liveNodes(in: dir).map(\.name), ["chatd", "worker"])
      XCTAssertEqual(try ObserverTarget.resolve(options), endpoint.path)
      options.node = .name("worker")
      XCTAssertEqual(try ObserverTarget.resolve(options), second.path)
      XCTAssertEqual(Discovery.choose(Discovery.liveNodes(in: dir), preferred: "nobody"), .ambiguous(Discovery.liveNodes(in: dir)))

      await endpoint.stop(on: node)
      XCTAssertEqual(Discovery.liveNodes(in: dir).map(\.name), ["worker"])
      await second.stop(on: other)
      options.node = nil
      XCTAssertThrowsError(try ObserverTarget.resolve(options)) { error in
        XCTAssertTrue("\(error)".hasPrefix("no running node found in \(dir)"), "\(error)")
      }
    }
  }

  func testStalePointersAreRemovedAndOpenDirectoriesRefused() throws {
    let dir = temporaryDirectory()
    defer { removeDirectory(dir) }
    // A pointer to a socket that is not there (its node died): removed on listing.
    let stale = try Discovery.announce(name: "ghost", socket: "\(dir)/ghost.sock", in: dir)
    XCTAssertTrue(FileManager.default.fileExists(atPath: stale))
    XCTAssertEqual(Discovery.liveNodes(in: dir), [])
    XCTAssertFalse(FileManager.default.fileExists(atPath: stale))
    // Garbage is removed too.
    XCTAssertTrue(FileManager.default.createFile(atPath: "\(dir)/junk.node", contents: Data("not json".utf8)))
    XCTAssertEqual(Discovery.liveNodes(in: dir), [])
    XCTAssertFalse(FileManager.default.fileExists(atPath: "\(dir)/junk.node"))

    // A directory others may write to could hold planted pointers: refused.
    let open = temporaryDirectory(mode: 0o777)
    defer { removeDirectory(open) }
    XCTAssertThrowsError(try Discovery.prepare(open)) { error in
      XCTAssertEqual("\(error)", "\(open) is open to other users (mode 777); it must be 0700")
    }
    XCTAssertThrowsError(try Discovery.announce(name: "x", socket: "/tmp/x.sock", in: open))
  }
}

/// Two chatd processes at once: both are called "chatd", so `observer` must be told which
/// one — by OS pid or by socket — and says which there are when it is not.
final class NodeSelectionTests: XCTestCase {
  /// A chatd started from the built executable, announcing itself in `discovery`.
  final class RunningChatd {
    let process = Process()
    let socket: String
    var pid: Int { Int(process.processIdentifier) }

    init(_ chatd: String, data: String, discovery: String) throws {
      socket = "\(data)/control.sock"
      process.executableURL = URL(fileURLWithPath: chatd)
      process.arguments = ["--port", "0", "--web-port", "0", "--metrics-listen", "off", "--data-dir", data]
      process.environment = ProcessInfo.processInfo.environment.merging(["OTTER_RUNTIME_DIR": discovery]) { $1 }
      process.standardOutput = FileHandle(forWritingAtPath: "/dev/null")
      process.standardError = FileHandle(forWritingAtPath: "/dev/null")
      process.standardInput = FileHandle(forReadingAtPath: "/dev/null")
      try process.run()
    }

    func stop() {
      if process.isRunning {
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
      }
    }
  }

  func testTwoNodesOfOneNameAreChosenByPidOrSocket() async throws {
    let chatd = try builtExecutable("chatd")
    let observer = try observerBinary()
    let dir = temporaryDirectory("select")
    defer { removeDirectory(dir) }
    let discovery = "\(dir)/run"
    XCTAssertEqual(mkdir(discovery, 0o700), 0)
    let first = try RunningChatd(chatd, data: "\(dir)/a", discovery: discovery)
    defer { first.stop() }
    let second = try RunningChatd(chatd, data: "\(dir)/b", discovery: discovery)
    defer { second.stop() }
    try await eventually("both chatd processes to announce themselves", timeout: .seconds(20)) {
      Set(Discovery.liveNodes(in: discovery).map(\.osPid)) == [first.pid, second.pid]
    }

    var options = ObserverOptions()
    options.discoveryDirectory = discovery
    // Not told which: refused, with every candidate listed.
    XCTAssertThrowsError(try ObserverTarget.resolve(options)) { error in
      guard let e = error as? ObserverTargetError else { return XCTFail("\(error)") }
      XCTAssertEqual(e.exit, .ambiguous)
      XCTAssertTrue(
        e.message.hasPrefix("2 nodes named \"chatd\" are running; choose one with --node NAME, --node PID or --node SOCKET"), e.message)
      for node in [first, second] {
        XCTAssertTrue(
          e.message.split(separator: "\n").contains { $0.contains("chatd") && $0.contains(" \(node.pid) ") && $0.hasSuffix(node.socket) },
          "a line with the name, pid \(node.pid) and socket \(node.socket): \(e.message)")
      }
      XCTAssertTrue(e.message.contains("UPTIME"), e.message)
    }
    // By name: still two.
    options.node = Discovery.Selector("chatd")
    XCTAssertThrowsError(try ObserverTarget.resolve(options)) { error in
      XCTAssertTrue(
        "\(error)".hasPrefix("2 nodes named \"chatd\" are running; choose one with --node NAME, --node PID or --node SOCKET"), "\(error)")
    }
    // By OS pid, by socket path.
    options.node = Discovery.Selector(String(first.pid))
    XCTAssertEqual(try ObserverTarget.resolve(options), first.socket)
    options.node = Discovery.Selector(second.socket)
    XCTAssertEqual(try ObserverTarget.resolve(options), second.socket)
    options.node = Discovery.Selector("999999999")
    XCTAssertThrowsError(try ObserverTarget.resolve(options)) { error in
      XCTAssertEqual((error as? ObserverTargetError)?.exit, .unavailable)
      XCTAssertTrue("\(error)".hasPrefix("no running node with OS pid 999999999 in \(discovery); running:"), "\(error)")
    }

    // The executable: the same choices, and the exit statuses its --help documents.
    let env = ["--discovery-dir", discovery]
    let refused = try runCommand(observer, env + ["--once"])
    XCTAssertEqual(refused.status, ObserverExit.ambiguous.rawValue, refused.error)
    XCTAssertTrue(refused.error.contains(" \(first.pid) ") && refused.error.contains(" \(second.pid) "), refused.error)
    XCTAssertEqual(refused.output, "")
    for node in [first, second] {
      for spec in [String(node.pid), node.socket] {
        let chosen = try runCommand(observer, env + ["--node", spec, "--once"])
        XCTAssertEqual(chosen.status, 0, chosen.error)
        XCTAssertTrue(chosen.output.hasPrefix("chatd (os pid \(node.pid)) · up "), chosen.output)
      }
    }
    let missing = try runCommand(observer, env + ["--node", "999999999", "--once"])
    XCTAssertEqual(missing.status, ObserverExit.unavailable.rawValue, missing.error)
    let help = try runCommand(observer, ["--help"])
    let readme = try String(contentsOfFile: #filePath.components(separatedBy: "/Tests/")[0] + "/README.md", encoding: .utf8)
    for status in ObserverExit.allCases {
      XCTAssertTrue(help.output.contains("\n  \(status.rawValue) "), "--help documents exit status \(status.rawValue)")
      XCTAssertTrue(readme.contains("\n| \(status.rawValue) | "), "README.md documents exit status \(status.rawValue)")
    }
  }
}
