// Freezing a connection while another socket — a duplicate of its descriptor, as another
// OS process would receive it — takes it over (SocketFreeze.swift): the frozen socket
// writes and reads nothing, keeps what is sent to it in order, gives up the start of a
// line it had read; the taker, frozen too, thaws with the old socket's bytes first and
// that start of a line before what it reads. The peer sees one stream, in order.
import Foundation
import Glibc
import OtterTestSupport
import XCTest

@testable import Actors

final class SocketFreezeTests: XCTestCase {
  func testAConnectionMovesToAnotherSocketWithNothingLostOrReordered() async throws {
    try await withNode { node in
      try await node.run { ctx in
        let listener = try ctx.listen(tcp: "127.0.0.1", port: 0)
        let client = try await ctx.connect(tcp: "127.0.0.1", port: boundPort(listener))
        let old = try await ctx.accept(listener, timeout: .seconds(5))
        try old.setFraming(.line(maxLength: 512))
        try client.setFraming(.line(maxLength: 512))

        // The old socket reads a line and the start of the next.
        client.send(Array("first\nsec".utf8))
        let first = try await ctx.read(old, timeout: .seconds(5))
        XCTAssertEqual(first.map { String(decoding: $0, as: UTF8.self) }, "first")
        old.send(Array("written before\n".utf8))
        let partial = try ctx.freeze(old)
        XCTAssertEqual(String(decoding: partial, as: UTF8.self), "sec")

        // Frozen: what is sent waits, in order, and nothing reaches the peer.
        old.send(Array("held 1\n".utf8))
        old.send(Array("held 2\n".utf8))
        XCTAssertEqual(old.pendingBytes, 14)
        let before = try await ctx.read(client, timeout: .seconds(5))
        XCTAssertEqual(before.map { String(decoding: $0, as: UTF8.self) }, "written before")
        do {
          _ = try await ctx.read(client, timeout: .milliseconds(100))
          XCTFail("a frozen socket wrote")
        } catch SocketError.timeout {}

        // The taker: a duplicate descriptor, frozen before anything is sent to it.
        let taker = try ctx.adoptSocket(try Socket.duplicate(old.fd))
        try taker.setFraming(.line(maxLength: 512))
        XCTAssertEqual(try ctx.freeze(taker), [])
        taker.send(Array("new 1\n".utf8))
        let moved = old.takeFrozenOutput()
        XCTAssertEqual(String(decoding: moved, as: UTF8.self), "held 1\nheld 2\n")
        XCTAssertEqual(old.pendingBytes, 0)
        old.close()  // the old process ends: its descriptor goes, the connection stays
        try ctx.thaw(taker, prepending: moved, unframedInput: partial)
        taker.send(Array("new 2\n".utf8))

        var seen: [String] = []
        while seen.count < 4, let line = try await ctx.read(client, timeout: .seconds(5)) {
          seen.append(String(decoding: line, as: UTF8.self))
        }
        XCTAssertEqual(seen, ["held 1", "held 2", "new 1", "new 2"])

        // The line begun before the move ends on the taker.
        client.send(Array("ond\n".utf8))
        let second = try await ctx.read(taker, timeout: .seconds(5))
        XCTAssertEqual(second.map { String(decoding: $0, as: UTF8.self) }, "second")
        for s in [client, taker, listener] { s.close() }
      }
    }
  }
}
