// A chatd that cannot start says what failed, where, and which flag to change, with an
// exit status for the kind of failure: checked here on `ChatServer.start` itself (the
// built binary's lines on stderr are checked in ChatWebTests/ChatdBinaryTests.swift).
import Foundation
import OtterTestSupport
import XCTest

@testable import Actors
@testable import ChatApp
@testable import Supervision

final class StartupErrorTests: XCTestCase {
  /// How `ChatServer.start` fails with `config`, or nil if it started.
  func startupError(_ config: ChatConfig) async throws -> StartupError? {
    let node = try Node(schedulers: 2)
    do {
      let server = try await ChatServer.start(config, on: node)
      server.stop()
      _ = await server.run()
      return nil
    } catch {
      node.shutdown()
      return error
    }
  }

  func testADataDirectoryUnderAMissingParentIsNotCreated() async throws {
    let dir = temporaryDirectory()
    defer { removeDirectory(dir) }
    let error = try await startupError(testConfig(dataDirectory: "\(dir)/missing/data"))
    XCTAssertEqual(error?.status, .cannotCreate)
    XCTAssertEqual(
      error?.description,
      "cannot create the data directory \(dir)/missing/data: \(dir)/missing does not exist (create it first, or use --data-dir)")
    XCTAssertFalse(FileManager.default.fileExists(atPath: "\(dir)/missing"))
  }

  func testADataDirectoryThatIsAFileIsRefused() async throws {
    let dir = temporaryDirectory()
    defer { removeDirectory(dir) }
    _ = FileManager.default.createFile(atPath: "\(dir)/file", contents: Data("x".utf8))
    let error = try await startupError(testConfig(dataDirectory: "\(dir)/file"))
    XCTAssertEqual(error?.status, .cannotCreate)
    XCTAssertEqual(error?.description, "the data directory \(dir)/file is not a directory (use --data-dir with a directory)")
  }

  func testAHistoryFileThatIsNoDatabaseIsAnIOError() async throws {
    let dir = temporaryDirectory()
    defer { removeDirectory(dir) }
    _ = FileManager.default.createFile(atPath: "\(dir)/history.sqlite3", contents: Data(repeating: 0x41, count: 4096))
    let error = try await startupError(testConfig(dataDirectory: dir))
    XCTAssertEqual(error?.status, .ioError)
    XCTAssertEqual(
      error?.description,
      "cannot open the history database \(dir)/history.sqlite3: file is not a database "
        + "(move the file away, use another --data-dir, or --no-history)")
  }

  func testAnAccountFileThatIsNoDatabaseIsAnIOError() async throws {
    let dir = temporaryDirectory()
    defer { removeDirectory(dir) }
    _ = FileManager.default.createFile(atPath: "\(dir)/accounts.sqlite3", contents: Data(repeating: 0x41, count: 4096))
    let error = try await startupError(testConfig(dataDirectory: dir))
    XCTAssertEqual(error?.status, .ioError)
    XCTAssertEqual(
      error?.description,
      "cannot open the account database \(dir)/accounts.sqlite3: file is not a database (restore it from a backup, or use another --data-dir)"
    )
  }

  func testPortsAnotherChatdListensOnAreInUse() async throws {
    var first = testConfig()
    first.webPort = freePort()
    try await withChatServer(first) { server in
      var second = testConfig()
      second.port = server.ircPort
      let irc = try await startupError(second)
      XCTAssertEqual(irc?.status, .inUse)
      XCTAssertEqual(irc?.description, "cannot listen for IRC: 127.0.0.1:\(server.ircPort) is already in use (another chatd? use --port)")

      second.port = 0
      second.webPort = server.webPort
      let web = try await startupError(second)
      XCTAssertEqual(web?.status, .inUse)
      XCTAssertEqual(
        web?.description,
        "cannot listen for the web client: 127.0.0.1:\(server.webPort) is already in use "
          + "(another chatd? use --web-port, or --web-port 0 for no web listener)")
      removeDirectory(second.dataDirectory)
    }
    removeDirectory(first.dataDirectory)
  }

  func testAnAddressOfAnotherMachineCannotBeListenedOn() async throws {
    var config = testConfig()
    config.host = "192.0.2.1"  // TEST-NET-1: documentation only, never a local address
    let error = try await startupError(config)
    XCTAssertEqual(error?.status, .notThisMachine)
    XCTAssertEqual(
      error?.description,
      "cannot listen for IRC on 192.0.2.1:0: 192.0.2.1 is not an address of this machine "
        + "(use --host or --listen with one of its addresses, or 0.0.0.0 for all)")
    removeDirectory(config.dataDirectory)
  }

  func testAControlSocketUnderAFileCannotBeCreated() async throws {
    var config = testConfig()
    _ = FileManager.default.createFile(atPath: "\(config.dataDirectory)/file", contents: Data())
    config.controlSocket = "\(config.dataDirectory)/file/control.sock"
    let error = try await startupError(config)
    XCTAssertEqual(error?.status, .cannotCreate)
    XCTAssertEqual(
      error?.description,
      "cannot create the control socket \(config.dataDirectory)/file/control.sock: \(config.dataDirectory)/file is not a directory "
        + "(use --control-socket, or another --data-dir)")
    removeDirectory(config.dataDirectory)
  }

  func testAFailedStartLeavesNothingListening() async throws {
    // The IRC listener is up when the control endpoint, started after it, fails: the
    // port must be free again once `start` has thrown.
    var config = testConfig()
    let port = freePort()
    config.port = port
    _ = FileManager.default.createFile(atPath: "\(config.dataDirectory)/file", contents: Data())
    config.controlSocket = "\(config.dataDirectory)/file/control.sock"
    _ = try await startupError(config)
    XCTAssertThrowsError(try TestConnection(port: port))
    removeDirectory(config.dataDirectory)
  }

  func testHelpAndReadmeListEveryExitStatus() throws {
    let readme = try String(contentsOfFile: #filePath.components(separatedBy: "/Tests/")[0] + "/README.md", encoding: .utf8)
    for status in ChatExitStatus.allCases {
      XCTAssertTrue(ChatCommandLine.help.contains("  \(status.rawValue) "), "help misses \(status.rawValue)")
      XCTAssertTrue(readme.contains("| \(status.rawValue) | \(status.meaning) |"), "README misses \(status.rawValue)")
    }
    XCTAssertEqual(ChatExitStatus.shutdownTimedOut.rawValue, Application.shutdownTimedOutStatus)
  }

  func testShutdownTimeoutAndAddressFlags() throws {
    guard case .run(let config) = try ChatCommandLine.parse(["--shutdown-timeout", "12"]) else { return XCTFail() }
    XCTAssertEqual(config.shutdownTimeout, .seconds(12))
    XCTAssertEqual(ChatConfig().shutdownTimeout, .seconds(5))
    XCTAssertThrowsError(try ChatCommandLine.parse(["--shutdown-timeout", "0"]))
    XCTAssertThrowsError(try ChatCommandLine.parse(["--host", "example.com"])) { error in
      XCTAssertEqual("\(error)", "--host: expected an IP address (such as 127.0.0.1, ::1 or 0.0.0.0), got \"example.com\"")
    }
    XCTAssertThrowsError(try ChatCommandLine.parse(["--web", "example.com:80"]))
    for good in [["--host", "::1"], ["--host", "0.0.0.0"], ["--listen", "[::1]:7000"], ["--web", "localhost:8080"]] {
      XCTAssertNoThrow(try ChatCommandLine.parse(good), "\(good)")
    }
  }
}
