// An endpoint that cannot start says why with a typed error: a program embedding it
// (chatd) turns each into a message naming the setting to change.
import Foundation
import OtterTestSupport
import XCTest

@testable import Actors
@testable import Control
@testable import GenServer

final class EndpointErrorTests: XCTestCase {
  /// The endpoint's start failure, unwrapped from the server's start error.
  func startFailure(_ path: String, on node: Node) async -> EndpointError? {
    do {
      let endpoint = try await Control.start(on: node, EndpointOptions(path: path, discoveryDirectory: nil))
      await endpoint.stop(on: node)
      return nil
    } catch {
      guard case .failed(.error(let inner))? = error as? StartError else { return nil }
      return inner as? EndpointError
    }
  }

  func testASocketAnotherProcessServesIsInUse() async throws {
    let dir = temporaryDirectory()
    defer { removeDirectory(dir) }
    let path = "\(dir)/control.sock"
    guard FileManager.default.isExecutableFile(atPath: "/usr/bin/python3") else { throw XCTSkip("no /usr/bin/python3") }
    // Another OS process listening on the path: a Python one-liner, told to stop by
    // closing its stdin.
    let other = Process()
    other.executableURL = URL(fileURLWithPath: "/usr/bin/python3")
    other.arguments = [
      "-c",
      "import socket,sys; s=socket.socket(socket.AF_UNIX); s.bind(sys.argv[1]); s.listen(); print('ready', flush=True); sys.stdin.read()",
      path,
    ]
    let input = Pipe()
    let output = Pipe()
    other.standardInput = input
    other.standardOutput = output
    try other.run()
    defer {
      try? input.fileHandleForWriting.close()
      other.waitUntilExit()
    }
    _ = output.fileHandleForReading.availableData  // "ready": it listens
    try await withNode { node in
      let failure = await startFailure(path, on: node)
      XCTAssertEqual(failure, .inUse(path: path, osPid: other.processIdentifier))
      XCTAssertEqual(failure?.description, "control endpoint: another node (OS process \(other.processIdentifier)) serves \(path)")
    }
  }

  func testASocketUnderAFileIsADirectoryProblem() async throws {
    let dir = temporaryDirectory()
    defer { removeDirectory(dir) }
    _ = FileManager.default.createFile(atPath: "\(dir)/file", contents: Data())
    try await withNode { node in
      let failure = await startFailure("\(dir)/file/control.sock", on: node)
      XCTAssertEqual(failure, .directory("\(dir)/file", errno: ENOTDIR))
      XCTAssertEqual(failure?.description, "control endpoint: \(dir)/file is not a directory")
    }
  }
}
