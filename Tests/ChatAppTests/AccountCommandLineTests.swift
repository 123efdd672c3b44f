// `chatd account`, the built binary: an administrator registers an account (password on
// stdin) in a data directory, a chatd started on it logs that account in; each refusal
// has its exit status and its one line.
import Foundation
import IRCTestSupport
import OtterTestSupport
import XCTest

@testable import ChatApp

final class AccountCommandLineTests: XCTestCase {
  /// Runs `chatd account ...` with `stdin`; its exit status, stdout and stderr.
  private func chatd(_ arguments: [String], stdin: String = "") throws -> (status: Int32, out: String, err: String) {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: try builtExecutable("chatd"))
    process.arguments = ["account"] + arguments
    let input = Pipe()
    let output = Pipe()
    let errors = Pipe()
    process.standardInput = input
    process.standardOutput = output
    process.standardError = errors
    try withNoSignalsBlocked { try process.run() }
    input.fileHandleForWriting.write(Data(stdin.utf8))
    try input.fileHandleForWriting.close()
    let out = output.fileHandleForReading.readDataToEndOfFile()
    let err = errors.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return (process.terminationStatus, String(decoding: out, as: UTF8.self), String(decoding: err, as: UTF8.self))
  }

  func testRegisterOfflineThenLogIn() async throws {
    let dir = temporaryDirectory("account-cli")
    defer { removeDirectory(dir) }
    let registered = try chatd(["register", "carol", "--data-dir", dir], stdin: "carol-password\n")
    XCTAssertEqual(registered.status, 0, registered.err)
    XCTAssertEqual(registered.out, "account carol registered\n")

    let again = try chatd(["register", "carol", "--data-dir", dir], stdin: "carol-password\n")
    XCTAssertEqual(again.status, 65)
    XCTAssertEqual(again.err, "chatd: account register: the account carol already exists\n")
    let weak = try chatd(["register", "dave", "--data-dir", dir], stdin: "short\n")
    XCTAssertEqual(weak.status, 65)
    XCTAssertTrue(weak.err.contains("at least 8 characters long (--min-password-length)"), weak.err)
    let long = try chatd(["register", "dave", "--data-dir", dir], stdin: String(repeating: "x", count: 1025) + "\n")
    XCTAssertEqual(long.status, 65)
    XCTAssertEqual(long.err, "chatd: account register: the password must be at most 1024 bytes long\n")
    let none = try chatd(["register", "dave", "--data-dir", dir])
    XCTAssertEqual(none.status, 2)
    XCTAssertTrue(none.err.contains("no password on stdin"), none.err)
    let badName = try chatd(["register", "#nope", "--data-dir", dir], stdin: "long-enough\n")
    XCTAssertEqual(badName.status, 2)
    XCTAssertTrue(badName.err.contains("cannot be an account name"), badName.err)
    let unknown = try chatd(["info", "nobody", "--data-dir", dir])
    XCTAssertEqual(unknown.status, 65)
    XCTAssertEqual(unknown.err, "chatd: account info: there is no account nobody\n")
    let info = try chatd(["info", "carol", "--data-dir", dir])
    XCTAssertEqual(info.status, 0, info.err)
    XCTAssertTrue(info.out.hasPrefix("account carol, registered "), info.out)

    try await withChatServer(testConfig(dataDirectory: dir)) { server in
      let client = try IRCTestClient(port: server.ircPort)
      XCTAssertEqual(try client.saslPlain("carol", "carol-password").command, "903")
    }
    // A network whose Redis cannot be reached.
    let away = try chatd(["info", "carol", "--cluster", "redis://127.0.0.1:\(freePort())"])
    XCTAssertEqual(away.status, 76)
    XCTAssertTrue(away.err.hasPrefix("chatd: account: cannot reach the network's Redis at redis://127.0.0.1:"), away.err)
    let dropped = try chatd(["drop", "carol", "--data-dir", dir])
    XCTAssertEqual(dropped.status, 0, dropped.err)
    XCTAssertEqual(try chatd(["info", "carol", "--data-dir", dir]).status, 65)
  }
}
