// Posting into a network's channel from another process: `chatd emit` (a real OS process)
// joins as an emitter, the channel's room takes the message and every member on every
// node gets it; the command exits 0 only then. A channel nobody is in is an error (65),
// a network that cannot be reached another (76) — never a silent drop.
import Foundation
import IRCTestSupport
import OtterTestSupport
import XCTest

final class EmitterTests: XCTestCase {
  /// Runs `chatd emit ARGS`; its exit status and stderr.
  private func emit(_ arguments: [String]) throws -> (status: Int32, stderr: String) {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: try builtExecutable("chatd"))
    process.arguments = ["emit"] + arguments
    let errors = Pipe()
    process.standardError = errors
    process.standardOutput = FileHandle.nullDevice
    try process.run()
    let deadline = Date().addingTimeInterval(30)
    while process.isRunning && Date() < deadline { Thread.sleep(forTimeInterval: 0.02) }
    if process.isRunning {
      kill(process.processIdentifier, SIGKILL)
      XCTFail("chatd emit did not end within 30 s")
    }
    process.waitUntilExit()
    let text = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    return (process.terminationStatus, text)
  }

  func testEmitReachesEveryMemberOnEveryNodeThenExitsZero() throws {
    let net = try startNetwork(nodes: 2)
    let alice = try IRCTestClient.registered("alice", on: net[0])
    let bob = try IRCTestClient.registered("bob", on: net[1])
    alice.send("JOIN #deploys")
    try alice.expect("366", containing: "#deploys")
    bob.send("JOIN #deploys")
    try bob.expect("366", containing: "#deploys")
    try alice.expect("JOIN") { $0.command == "JOIN" && ($0.source?.hasPrefix("bob!") ?? false) }

    let posted = try emit(["--cluster", net.redis.url, "#deploys", "build 1234 is live", "--as", "ci"])
    XCTAssertEqual(posted.status, 0, posted.stderr)
    // Taken by the room before the command returned: both members have it (or get it at once).
    for member in [alice, bob] {
      let line = try member.expect("PRIVMSG", containing: "build 1234 is live")
      XCTAssertEqual(line.params.first, "#deploys")
      XCTAssertTrue(line.source?.hasPrefix("ci!emit@") ?? false, "\(line)")
    }
    // And it is in the network's history: a client joining later on either node gets it.
    let carol = try IRCTestClient.registered("carol", on: net[1])
    carol.send("JOIN #deploys")
    try carol.expect("PRIVMSG", containing: "build 1234 is live")

    // Nobody in the channel: an error that says so, exit 65.
    let nobody = try emit(["--cluster", net.redis.url, "#nobody-here", "hello"])
    XCTAssertEqual(nobody.status, 65, nobody.stderr)
    XCTAssertTrue(nobody.stderr.contains("no such channel #nobody-here"), nobody.stderr)
  }

  func testEmitToAnUnreachableNetworkFailsWithItsOwnStatus() throws {
    let port = freePort()
    let failed = try emit(["--cluster", "redis://127.0.0.1:\(port)", "#deploys", "hello", "--timeout", "2"])
    XCTAssertEqual(failed.status, 76, failed.stderr)
    XCTAssertTrue(failed.stderr.contains("emit:"), failed.stderr)
    // A bad command line is a usage error, not a network one.
    let usage = try emit(["#deploys", "hello"])
    XCTAssertEqual(usage.status, 2, usage.stderr)
    XCTAssertTrue(usage.stderr.contains("--cluster"), usage.stderr)
  }
}
