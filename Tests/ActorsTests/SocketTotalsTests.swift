// Node.socketTotals: open sockets by kind, and bytes read and written that keep counting
// after a socket closes (a scraper turns them into rates, so they must never go back).
import OtterTestSupport
import XCTest

@testable import Actors

final class SocketTotalsTests: XCTestCase {
  func testBytesOfClosedSocketsStayCounted() async throws {
    try await withNode { node in
      let before = node.socketTotals()
      XCTAssertEqual(before.bytesReceived, 0)
      XCTAssertEqual(before.bytesSent, 0)
      let (_, port) = try await startEchoServer(node)
      XCTAssertEqual(node.socketTotals().tcpListeners, 1)

      let client = try TestConnection(port: port)
      let payload = [UInt8](repeating: 0x61, count: 1000)
      try client.send(payload)
      while client.buffer.count < payload.count { try client.fill() }
      // The echo's bytes are counted once its write returns, which may be after the
      // client has read them.
      try await eventually("the echo to be counted") { node.socketTotals().bytesSent == 1000 }
      let open = node.socketTotals()
      XCTAssertEqual(open.tcp, 1)
      XCTAssertEqual(open.open, 2)
      XCTAssertEqual(open.bytesReceived, 1000)
      XCTAssertEqual(open.bytesSent, 1000)

      close(client.fd)  // the echo process reads end of file and ends, closing its socket
      try await eventually("the server's socket to close") { node.socketTotals().tcp == 0 }
      let closed = node.socketTotals()
      XCTAssertEqual(closed.bytesReceived, 1000)
      XCTAssertEqual(closed.bytesSent, 1000)
      XCTAssertEqual(closed.queuedBytes, 0)
    }
  }

  /// A send from a thread that is no scheduler (here the test's own) is counted too.
  func testSendsFromOutsideTheSchedulersAreCounted() async throws {
    try await withNode { node in
      let (_, port) = try await startEchoServer(node)
      let (replyTo, reply) = node.makeReply(Socket.self)
      _ = node.spawn(Never.self) { ctx in
        replyTo.reply(try await ctx.connect(tcp: "127.0.0.1", port: port))
        _ = try await ctx.receive { _ in true }  // keeps the socket open
      }
      let socket = try await node.receiveResponse(reply)
      XCTAssertEqual(socket.send([UInt8](repeating: 0x62, count: 300)), .sent)
      // 300 written from here, then read and written back by the server's echo process:
      // 600 sent, and at least the 300 the server read (the client's socket reads nothing
      // until its owner asks).
      try await eventually("the echo to be written") { node.socketTotals().bytesSent >= 600 }
      XCTAssertGreaterThanOrEqual(node.socketTotals().bytesReceived, 300)
    }
  }
}
