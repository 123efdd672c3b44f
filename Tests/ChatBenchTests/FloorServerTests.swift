// The yardstick server for real: chatbench starts chatbench-floor (built next to the
// test bundle by `swift build --build-tests`), a short chat run gets every copy once,
// and a bad command line gets an exit code and a message, not a crash.
import Actors
import Foundation
import XCTest

@testable import chatbench

final class FloorServerTests: XCTestCase {
  private var floorExecutable: String { ServerLauncher.besideChatbench("chatbench-floor") }

  func testEveryCopyArrivesOnceThroughTheFloorServer() async throws {
    guard FileManager.default.isExecutableFile(atPath: floorExecutable) else {
      throw XCTSkip("chatbench-floor is not built at \(floorExecutable) (swift build --build-tests builds it)")
    }
    let log = Log(quiet: true)
    let server = try ServerLauncher.start(.floor, chatdPath: nil, log: log)
    defer { server.stop() }
    // Two rooms of 100, 10 senders at 20 msg/s: each message owed to 99 other members.
    var p = ChatParameters(clients: 200, rooms: 2, senders: 10, rate: 20, duration: 2)
    p.settle = 1
    p.drainIdle = 1
    let node = try Node(schedulers: 1, name: "chatbench-floor-test")
    defer { node.shutdown(timeout: .seconds(10)) }
    let target = ServerTarget(
      endpoints: [Endpoint(host: "127.0.0.1", port: server.port)], processes: [ServerProcess(name: "floor", pid: server.pid)],
      transport: .irc)
    let r = try await ChatRun.run(p, target: target, inflight: 100, node: node, log: log)
    let summary = "floor: \(r.tally), first error \(r.counters.firstError ?? "-")"
    XCTAssertFalse(r.aborted, summary)
    XCTAssertEqual(r.sent, 40, summary)
    XCTAssertEqual(r.tally.expected, 40 * 99, summary)
    XCTAssertEqual(r.tally.received, 40 * 99, summary)
    XCTAssertEqual(r.tally.lost, 0, summary)
    XCTAssertEqual(r.tally.duplicates, 0, summary)
    XCTAssertNotNil(r.serverCPUSeconds)
  }

  func testABadCommandLineIsRefusedWithAMessage() throws {
    guard FileManager.default.isExecutableFile(atPath: floorExecutable) else {
      throw XCTSkip("chatbench-floor is not built at \(floorExecutable) (swift build --build-tests builds it)")
    }
    for (arguments, expected) in [
      (["--port", "70000"], "--port wants a port number"), (["--port", "1", "--bogus"], "unknown argument '--bogus'"),
      (["--host", "not-an-address", "--port", "0"], "--host wants an IPv4 address"),
    ] {
      let process = Process()
      process.executableURL = URL(fileURLWithPath: floorExecutable)
      process.arguments = arguments
      let errors = Pipe()
      process.standardError = errors
      try process.run()
      process.waitUntilExit()
      let text = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
      XCTAssertEqual(process.terminationStatus, 2, "\(arguments): \(text)")
      XCTAssertTrue(text.contains(expected), "\(arguments): \(text)")
    }
  }
}
