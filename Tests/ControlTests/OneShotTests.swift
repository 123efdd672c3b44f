import Foundation
import OtterTestSupport
import XCTest

@testable import Actors
@testable import Control
@testable import GenServer
@testable import ObserverUI
@testable import Supervision

/// `observer --once`, `--json` and `--dot` against the known tree, in process and through
/// the executable.
final class OneShotTests: XCTestCase {
  /// The known tree's `--once` lines with pids, reductions and memory (which vary from
  /// run to run) replaced by placeholders.
  static let expectedOnce = """
    app  <PID>  one_for_one  running  restarts 0/3 in 5s (3 left)  children 4/4 (2 sup)
    ├─ vault  <PID>  permanent  running  mq 0  reds N  mem M
    ├─ rooms  <PID>  rest_for_one  permanent  running  restarts 0/2 in 10s (2 left)  children 2/2
    │  ├─ lobby  <PID>  permanent  running  mq 0  reds N  mem M
    │  └─ general  <PID>  transient  running  mq 0  reds N  mem M
    ├─ sessions  <PID>  simple_one_for_one  permanent  running  restarts 0/5 in 5s (5 left)  children 3/3
    │  ├─ session ann  <PID>  transient  running  mq 0  reds N  mem M
    │  ├─ session bob  <PID>  transient  running  mq 0  reds N  mem M
    │  └─ session cy  <PID>  transient  running  mq 0  reds N  mem M
    └─ control  <PID>  permanent  running  mq 0  reds N  mem M

    """

  static func normalise(_ text: String) -> String {
    var out = text.replacingOccurrences(of: #"<0\.\d+\.0>"#, with: "<PID>", options: .regularExpression)
    out = out.replacingOccurrences(of: #"reds [0-9.]+k?"#, with: "reds N", options: .regularExpression)
    out = out.replacingOccurrences(of: #"mem [0-9.]+ [KMG]?B"#, with: "mem M", options: .regularExpression)
    return out
  }

  func testOnceJSONAndDotShowTheKnownTree() async throws {
    let dir = temporaryDirectory()
    defer { removeDirectory(dir) }
    try await withNode(name: "known") { node in
      let known = try await KnownTree.start(on: node, path: "\(dir)/control.sock")
      var options = ObserverOptions()
      options.socket = known.path
      let client = try ControlClient(path: known.path)

      options.mode = .once
      let once = try OneShot.output(options, client: client)
      let lines = once.split(separator: "\n", omittingEmptySubsequences: false)
      XCTAssertTrue(lines[0].hasPrefix("known (os pid \(getpid())) · up "), String(lines[0]))
      XCTAssertTrue(lines[0].contains(" · 2 schedulers · "), String(lines[0]))
      XCTAssertEqual(OneShotTests.normalise(lines.dropFirst().joined(separator: "\n")), OneShotTests.expectedOnce)
      // The pids printed are the live ones.
      let vault = try XCTUnwrap(node.whereis("vault"))
      XCTAssertTrue(lines[2].contains(ProcessID(vault.id).description), String(lines[2]))

      options.mode = .json
      let text = try OneShot.output(options, client: client)
      XCTAssertTrue(text.hasSuffix("}\n"))
      XCTAssertEqual(text.filter { $0 == "\n" }.count, 1, "one line")
      let json = try JSON.parse(Array(text.utf8.dropLast()))
      let snapshot = try Snapshot(json: json)
      XCTAssertEqual(snapshot.system.node, "known")
      let tree = try XCTUnwrap(snapshot.tree)
      XCTAssertEqual(tree.roots.map(\.id), ["app"])
      XCTAssertEqual(
        tree.allNodes.map(\.id),
        [
          "app", "vault", "rooms", "lobby", "general", "sessions",
          tree.roots[0].children[2].children[0].id, tree.roots[0].children[2].children[1].id,
          tree.roots[0].children[2].children[2].id, "control",
        ])
      XCTAssertEqual(tree.roots[0].children[2].children.compactMap { $0.process?.label }, ["session ann", "session bob", "session cy"])
      // Every process is there, in full: the vault with its name and links.
      let processes = try XCTUnwrap(snapshot.processes)
      XCTAssertEqual(processes.count, snapshot.system.processCount, accuracy: 3)
      let vaultDetail = try XCTUnwrap(processes.first { $0.row.name == "vault" })
      XCTAssertEqual(vaultDetail.links, [ProcessID(known.root.pid)])
      XCTAssertEqual(Set(try XCTUnwrap(snapshot.sockets).map(\.kind)), ["unixListener", "unix"])
      // Scripts can read it by key.
      XCTAssertEqual(json["tree"]?["roots"]?.arrayValue?.first?["supervisor"]?["strategy"]?.stringValue, "one_for_one")

      options.mode = .dot
      let dot = try OneShot.output(options, client: client)
      XCTAssertTrue(dot.hasPrefix("digraph \"supervision\" {\n"))
      XCTAssertTrue(dot.hasSuffix("}\n"))
      let app = "p\(known.root.pid.id)"
      let rooms = try XCTUnwrap(tree.roots[0].children[1].pid)
      XCTAssertTrue(dot.contains("  \(app) -> p\(rooms.id) [label=\"permanent\"];"), dot)
      XCTAssertEqual(dot.components(separatedBy: " -> ").count - 1, 9, "one edge per child")
      XCTAssertTrue(dot.contains("rest_for_one"))
    }
  }

  func testChildLimitFoldsABigSupervisorIntoAMoreLine() async throws {
    let dir = temporaryDirectory()
    defer { removeDirectory(dir) }
    try await withNode { node in
      let known = try await KnownTree.start(on: node, path: "\(dir)/control.sock")
      for i in 0..<40 { _ = try await node.startChild(known.sessions, "s\(i)") }
      var options = ObserverOptions()
      options.mode = .once
      options.childLimit = 5
      let once = try OneShot.output(options, client: try ControlClient(path: known.path))
      XCTAssertTrue(once.contains("children 43/43"), once)
      XCTAssertTrue(once.contains("│  └─ … 38 more\n"), once)
      XCTAssertEqual(once.components(separatedBy: "session ").count - 1, 5)
    }
  }

  // MARK: - The executable

  func testTheExecutablePrintsTheTreeAndFailsClearly() async throws {
    let observer = try observerBinary()
    let dir = temporaryDirectory()
    defer { removeDirectory(dir) }
    try await withNode(name: "known") { node in
      let known = try await KnownTree.start(on: node, path: "\(dir)/control.sock", discovery: dir)
      let once = try runCommand(observer, ["--socket", known.path, "--once"])
      XCTAssertEqual(once.status, 0, once.error)
      XCTAssertEqual(
        OneShotTests.normalise(once.output.split(separator: "\n", maxSplits: 1).last.map(String.init) ?? ""), OneShotTests.expectedOnce)

      // Found through the discovery directory, without --socket.
      let found = try runCommand(observer, ["--discovery-dir", dir, "--json"])
      XCTAssertEqual(found.status, 0, found.error)
      XCTAssertEqual(try JSON.parse(Array(found.output.utf8))["system"]?["node"]?.stringValue, "known")
      let list = try runCommand(observer, ["--discovery-dir", dir, "--list"])
      XCTAssertEqual(list.output, "known\t\(getpid())\t\(known.path)\n")
      let wrongName = try runCommand(observer, ["--discovery-dir", dir, "--node", "chatd", "--once"])
      XCTAssertEqual(wrongName.status, ObserverExit.unavailable.rawValue)
      XCTAssertTrue(wrongName.error.contains("no running node named \"chatd\""), wrongName.error)
      XCTAssertTrue(wrongName.error.contains("\n  known  \(getpid())  "), wrongName.error)

      let missing = try runCommand(observer, ["--socket", "\(dir)/nothing.sock", "--once"])
      XCTAssertEqual(missing.status, 69)
      XCTAssertEqual(missing.error, "observer: no control socket at \(dir)/nothing.sock (is the node running?)\n")
      let usage = try runCommand(observer, ["--once", "--dot"])
      XCTAssertEqual(usage.status, 2)
      XCTAssertTrue(usage.error.hasPrefix("observer: choose one of --once, --dot\n"), usage.error)
      let notATerminal = try runCommand(observer, ["--socket", known.path])
      XCTAssertEqual(notATerminal.status, 2)
      XCTAssertTrue(notATerminal.error.contains("the live view needs a terminal"), notATerminal.error)
    }
  }

  /// A socket that is not ours: the kernel refuses (socket in a private directory, or
  /// mode 0600), or, where the file's mode lets anyone connect, the node refuses by the
  /// peer's uid. Needs another user: as root the test runs the observer as `nobody`;
  /// otherwise it takes the socket's permissions away.
  func testPermissionDeniedForASocketThatIsNotOurs() async throws {
    let observer = try observerBinary()
    let privateDir = temporaryDirectory()
    let openDir = temporaryDirectory(mode: 0o755)
    defer {
      removeDirectory(privateDir)
      removeDirectory(openDir)
    }
    try await withNode { node in
      let mine = try await Control.start(on: node, EndpointOptions(path: "\(privateDir)/c.sock", discoveryDirectory: nil))
      var st = stat()
      XCTAssertEqual(stat(mine.path, &st), 0)
      XCTAssertEqual(st.st_mode & 0o777, 0o600, "owner only")
      if geteuid() == 0 {
        let nobody = ["/usr/bin/setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", observer]
        // Mode 0600, in a 0700 directory: the kernel says no.
        let denied = try runCommand(nobody[0], Array(nobody.dropFirst()) + ["--socket", mine.path, "--once"])
        XCTAssertEqual(denied.status, 77, denied.error)
        XCTAssertTrue(denied.error.hasPrefix("observer: permission denied: \(mine.path): "), denied.error)
        XCTAssertTrue(denied.error.contains("belongs to uid 0"), denied.error)
        // A socket anyone may open: the node itself refuses another user.
        let open = try await Control.start(on: node, EndpointOptions(path: "\(openDir)/open.sock", discoveryDirectory: nil, mode: 0o666))
        let refused = try runCommand(nobody[0], Array(nobody.dropFirst()) + ["--socket", open.path, "--json"])
        XCTAssertEqual(refused.status, 77, refused.error)
        XCTAssertTrue(refused.error.contains("uid 65534 may not use the control endpoint of uid 0"), refused.error)
        XCTAssertEqual(refused.output, "")
        // We (root) still may.
        XCTAssertEqual(try ControlClient(path: open.path).hello()["node"]?.stringValue, "testnode")
      } else {
        XCTAssertEqual(chmod(mine.path, 0), 0)
        XCTAssertThrowsError(try ControlClient(path: mine.path)) { error in
          guard case ControlClientError.permissionDenied(let path, _) = error else { return XCTFail("\(error)") }
          XCTAssertEqual(path, mine.path)
        }
        let denied = try runCommand(observer, ["--socket", mine.path, "--once"])
        XCTAssertEqual(denied.status, 77, denied.error)
      }
    }
  }
}

/// The `observer` executable next to this test bundle (`swift build --build-tests` builds it).
func observerBinary() throws -> String { try builtExecutable("observer") }

/// Runs `path` with `arguments` (stdin from /dev/null); its exit status and output.
func runCommand(_ path: String, _ arguments: [String], timeout: Double = 30) throws -> (status: Int32, output: String, error: String) {
  let process = Process()
  process.executableURL = URL(fileURLWithPath: path)
  process.arguments = arguments
  let out = Pipe()
  let err = Pipe()
  process.standardOutput = out
  process.standardError = err
  process.standardInput = FileHandle(forReadingAtPath: "/dev/null")
  try process.run()
  // Read while it runs (a big output must not fill the pipe and stall it).
  final class Box: @unchecked Sendable {  // written by one reader thread, read after the join below
    var data = Data()
  }
  let outBox = Box()
  let errBox = Box()
  let group = DispatchGroup()
  for (pipe, box) in [(out, outBox), (err, errBox)] {
    group.enter()
    DispatchQueue.global().async {
      box.data = pipe.fileHandleForReading.readDataToEndOfFile()
      group.leave()
    }
  }
  if group.wait(timeout: .now() + timeout) == .timedOut {
    process.terminate()
    throw ControlError(.timeout, "\(path) \(arguments) did not finish within \(timeout) s")
  }
  process.waitUntilExit()
  return (process.terminationStatus, String(decoding: outBox.data, as: UTF8.self), String(decoding: errBox.data, as: UTF8.self))
}
