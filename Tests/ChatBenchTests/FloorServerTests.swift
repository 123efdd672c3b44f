// The yardstick server for real: chatbench starts chatbench-floor (built next to the
// test bundle by `swift build --build-tests`), a short chat run gets every copy once,
// and a bad command line gets an exit code and a message, not a crash.
import Actors
import Foundation
import OtterTestSupport
import XCTest

@testable import chatbench

final class FloorServerTests: XCTestCase {
  func testEveryCopyArrivesOnceThroughTheFloorServer() async throws {
    _ = try builtExecutable("chatbench-floor")  // skips, saying how to build it
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

  /// A line cut across two reads is put together (the client keeps only the cut-off
  /// start between reads); a line longer than any IRC line closes the connection.
  func testLinesCutAcrossReadsAndOverlongLines() throws {
    _ = try builtExecutable("chatbench-floor")
    let server = try ServerLauncher.start(.floor, chatdPath: nil, log: Log(quiet: true))
    defer { server.stop() }
    let fd = try connect(port: server.port)
    defer { close(fd) }
    write(fd, "NICK cut\r\nUS")
    usleep(100_000)  // two reads on the server's side
    write(fd, "ER u 0 * :x\r\n")
    XCTAssertTrue(try readUntil(fd, contains: " 001 cut "), "registered across the cut")
    write(fd, "PRIVMSG #r :" + String(repeating: "x", count: 5000) + "\r\n")
    XCTAssertTrue(try readUntil(fd, contains: nil), "closed after an overlong line")
  }

  private func connect(port: Int) throws -> Int32 {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_port = in_port_t(UInt16(port).bigEndian)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    var timeout = timeval(tv_sec: 5, tv_usec: 0)
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
    let rc = withUnsafePointer(to: &address) {
      $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
    }
    if rc != 0 {
      close(fd)
      throw XCTSkip("cannot connect to the floor server on port \(port)")
    }
    return fd
  }

  private func write(_ fd: Int32, _ text: String) {
    let bytes = Array(text.utf8)
    _ = bytes.withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
  }

  /// Reads until the text holds `needle` (true), or, with no needle, until the server
  /// closes (true); false on a 5 s timeout.
  private func readUntil(_ fd: Int32, contains needle: String?) throws -> Bool {
    var text = ""
    var buffer = [UInt8](repeating: 0, count: 4096)
    while true {
      let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
      if n == 0 { return needle == nil }
      if n < 0 { return false }
      text += String(decoding: buffer[..<n], as: UTF8.self)
      if let needle, text.contains(needle) { return true }
    }
  }

  func testABadCommandLineIsRefusedWithAMessage() throws {
    let floorExecutable = try builtExecutable("chatbench-floor")
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
