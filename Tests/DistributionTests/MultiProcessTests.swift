// Distribution between real OS processes: otter-dist-node nodes started by the test,
// talking over loopback. Sends in order, calls, monitors with the real reason, a node
// killed with SIGKILL, a wrong secret, a bad frame on one link.
import Foundation
import OtterTestSupport
import XCTest

@testable import Distribution

final class MultiProcessTests: XCTestCase {
  func testSendCallMonitorAndKill() async throws {
    let a = try NodeProcess(self, name: "a")
    let b = try NodeProcess(self, name: "b")
    let c = try NodeProcess(self, name: "c")
    try b.command("echo echo")
    try b.command("counter counter")
    try a.command("connect b \(b.address)")
    try c.command("connect b \(b.address)")
    try a.expect("up b")
    // Ten thousand pings across, in order.
    let pongs = try a.command("pings b echo 10000", expect: "pongs", timeout: .seconds(30))
    XCTAssertTrue(pongs.hasPrefix("pongs 10000 ordered"), pongs)
    // A call, from two nodes.
    XCTAssertEqual(try a.command("call b counter 5", expect: "call"), "call 5")
    XCTAssertEqual(try c.command("call b counter 2", expect: "call"), "call 7")
    // A monitor gets the real reason of a crash.
    try a.command("monitor b echo", expect: "monitoring")
    try b.command("crash echo")
    let down = try a.expect("down-message")
    XCTAssertTrue(down.contains("asked to crash"), down)
    // SIGKILL b: a's link and monitor fire noconnection at once, and a sees b down.
    try b.command("echo echo2")
    try a.command("monitor b echo2", expect: "monitoring")
    try c.command("link b echo2", expect: "linked")
    let killed = ContinuousClock.now
    b.kill()
    XCTAssertEqual(try a.expect("down-message"), "down-message noconnection")
    XCTAssertEqual(try c.expect("exit-message"), "exit-message noconnection")
    try a.expect("down b")
    XCTAssertLessThan(ContinuousClock.now - killed, .seconds(3))
    // a's call to a node that is gone fails at once.
    let after = try a.command("call b counter 1", expect: "error")
    XCTAssertTrue(after.contains("no connection to node b"), after)
  }

  func testWrongSecretIsRefused() async throws {
    let a = try NodeProcess(self, name: "a")
    let b = try NodeProcess(self, name: "b", secret: "other")
    let outcome = try a.command("connect b \(b.address)", expect: "error")
    XCTAssertTrue(outcome.contains("does not know the cluster secret"), outcome)
    XCTAssertEqual(try a.command("nodes", expect: "nodes"), "nodes ")
  }

  /// A peer that knows the secret, then sends a frame that is not one: that link closes,
  /// the node and its other links go on.
  func testAMalformedFrameClosesThatLinkOnly() async throws {
    let a = try NodeProcess(self, name: "a")
    let b = try NodeProcess(self, name: "b")
    try a.command("echo echo")
    try b.command("connect a \(a.address)")
    let port = Int(a.address.split(separator: ":").last!)!
    let raw = try TestConnection(port: port)
    // The handshake, as a node named "rogue" that knows the secret.
    func frame(_ kind: FrameKind, _ write: (inout WireEncoder) -> Void) -> [UInt8] {
      var e = WireEncoder(context: nil)
      e.beginFrame(kind)
      write(&e)
      return e.finishFrame()
    }
    let mine = [UInt8](repeating: 7, count: 16)
    try raw.send(
      frame(.hello) { e in
        e.writeVarint(LinkProcess.protocolVersion)
        "otter".encode(to: &e)
        "rogue".encode(to: &e)
        e.writeVarint(1)
        e.writeRaw(mine)
      })
    var challenge = WireDecoder(try raw.readFrame(), offset: 1, context: nil)
    _ = try String(from: &challenge)
    _ = try challenge.readVarint()
    let theirs = try challenge.readRaw()
    try raw.send(frame(.proof) { e in e.writeRaw(LinkProcess.proof(Array("s3cret".utf8), "otter-a", theirs, mine, "rogue", "a")) })
    XCTAssertEqual(try raw.readFrame().first, FrameKind.accepted.rawValue)
    try a.expect("up rogue")
    // Now garbage: an unknown frame kind.
    try raw.send([0, 0, 0, 3, 0xEE, 1, 2])
    try a.expect("down rogue")
    // b's link to a is untouched.
    let pongs = try b.command("pings a echo 100", expect: "pongs")
    XCTAssertTrue(pongs.hasPrefix("pongs 100 ordered"), pongs)
  }
}

extension TestConnection {
  /// The body of the next length-prefixed frame (4-byte big-endian length).
  func readFrame() throws -> [UInt8] {
    while true {
      if buffer.count >= 4 {
        let n = buffer[0..<4].reduce(0) { $0 << 8 | Int($1) }
        if buffer.count >= 4 + n {
          let body = Array(buffer[4..<(4 + n)])
          buffer.removeFirst(4 + n)
          return body
        }
      }
      guard try fill() else { throw TestError("closed while waiting for a frame") }
    }
  }
}
