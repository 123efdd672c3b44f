// chatd tells its service manager (systemd, or chatd's own master) how it is doing over
// sd_notify: READY=1 (with MAINPID and a STATUS line) only once it serves — at that
// moment a client can register — a STATUS when its network's Redis goes and comes back,
// and STOPPING=1 as a graceful stop begins. Real chatd processes, real notify sockets
// (a path and an abstract name), a real redis-server.
import Foundation
import Glibc
import IRCTestSupport
import OtterTestSupport
import XCTest

final class ReadinessTests: XCTestCase {
  /// A chatd alone, told to notify a socket at a path: READY=1 comes once its IRC port
  /// serves (a client registers right after it, without waiting for anything else),
  /// with MAINPID and a STATUS naming the port; SIGTERM brings STOPPING=1, then exit 0.
  func testReadyOnceServingAndStoppingOnATerm() throws {
    let notify = try NotifySocket()
    let dir = temporaryDirectory("ready")
    defer { removeDirectory(dir) }
    let process = Process()
    process.executableURL = URL(fileURLWithPath: try builtExecutable("chatd"))
    process.arguments = ["--port", "0", "--web-port", "0", "--metrics-listen", "off", "--data-dir", dir + "/data"]
    process.environment = ProcessInfo.processInfo.environment.merging(["NOTIFY_SOCKET": notify.name]) { $1 }
    process.standardOutput = FileHandle.nullDevice
    process.standardError = FileHandle.nullDevice
    try withNoSignalsBlocked { try process.run() }
    defer {
      if process.isRunning {
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
      }
    }

    let ready = try notify.expect("READY", where: { $0 == "1" })
    XCTAssertEqual(ready["MAINPID"], String(process.processIdentifier), "\(ready)")
    let status = try XCTUnwrap(ready["STATUS"], "\(ready)")
    XCTAssertTrue(status.hasPrefix("serving IRC on 127.0.0.1:"), status)
    // The port in the status line serves at once.
    let port = try XCTUnwrap(Int(status.dropFirst("serving IRC on 127.0.0.1:".count).prefix { $0.isNumber }), status)
    let client = try IRCTestClient(port: port)
    try client.register("early")

    kill(process.processIdentifier, SIGTERM)
    let stopping = try notify.expect("STOPPING", where: { $0 == "1" }, within: 10)
    XCTAssertTrue(stopping["STATUS"]?.hasPrefix("stopping") ?? false, "\(stopping)")
    try client.expect("ERROR")
    let deadline = Date().addingTimeInterval(10)
    while process.isRunning && Date() < deadline { usleep(10_000) }
    XCTAssertFalse(process.isRunning)
    XCTAssertEqual(process.terminationStatus, 0)
  }

  /// A node of a network, told to notify an abstract socket: READY=1 says which node of
  /// which network it is (it has joined); with its Redis frozen the STATUS says degraded,
  /// and once Redis answers again it says serving.
  func testANetworkNodeSaysWhenItIsDegraded() throws {
    let notify = try NotifySocket(abstract: true)
    let net = try startNetwork(nodes: 2)
    let node = try net.addNode(ChatdNode.Options(environment: ["NOTIFY_SOCKET": notify.name]))
    let ready = try notify.expect("READY", where: { $0 == "1" })
    XCTAssertEqual(ready["MAINPID"], String(node.pid), "\(ready)")
    XCTAssertTrue(ready["STATUS"]?.contains("node n3 of network chatd") ?? false, "\(ready)")

    net.redis.pause()
    try notify.expect("STATUS", where: { $0.hasPrefix("degraded: the network's Redis is unreachable") })
    net.redis.resume()
    try notify.expect("STATUS", where: { $0.hasPrefix("serving IRC on") })
  }
}
