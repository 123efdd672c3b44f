// The socket's security seam without TLS: a layer that transforms bytes, run by the
// socket on both directions, and the rules of `secure(with:)`.
import COtterSys
import OtterTestSupport
import XCTest

@testable import Actors

/// A layer that flips every bit: the wire carries no byte as it was sent.
final class FlippingLayer: SocketSecurity, @unchecked Sendable {
  let ends = Recorder<TransportEnd>()

  override func unseal(
    _ input: UnsafeRawBufferPointer, wire: inout [UInt8], plaintext: (UnsafeRawBufferPointer) -> Void
  ) -> SecurityStatus {
    let flipped = input.map { ~$0 }
    flipped.withUnsafeBytes { plaintext($0) }
    return .ok
  }

  override func seal(_ plaintext: UnsafeRawBufferPointer, wire: inout [UInt8]) -> SecurityStatus {
    wire += plaintext.map { ~$0 }
    return .ok
  }

  override func ended(_ how: TransportEnd) { ends.add(how) }
}

final class SocketSecurityTests: XCTestCase {
  func testALayerTransformsBothDirectionsUnderTheFraming() async throws {
    let layer = FlippingLayer()
    try await withNode { node in
      let (replyTo, request) = node.makeReply(Int.self)
      let raw = Recorder<[UInt8]>()
      // A plain server: it sees the wire.
      node.spawn(Never.self) { ctx in
        let listener = try ctx.listen(tcp: "127.0.0.1", port: 0)
        replyTo.reply(Int(listener.localAddress!.split(separator: ":").last!)!)
        let socket = try await ctx.accept(listener)
        while let bytes = try await ctx.read(socket) {
          raw.add(bytes)
          // Answers "ok\n", flipped, as the layer would.
          socket.send(Array("ok\n".utf8).map { ~$0 })
        }
      }
      let port = try await node.receiveResponse(request)
      let line = try await node.run { ctx -> String in
        let socket = try await ctx.connect(tcp: "127.0.0.1", port: port)
        try socket.secure(with: layer)
        XCTAssertTrue(socket.security === layer)
        // Once secured, again is refused.
        XCTAssertThrowsError(try socket.secure(with: FlippingLayer()))
        try socket.setFraming(.line(maxLength: 100))
        socket.send(Array("hello\n".utf8))
        let line = try await ctx.read(socket, timeout: .seconds(5)) ?? []
        socket.close()
        return String(decoding: line, as: UTF8.self)
      }
      XCTAssertEqual(line, "ok")
      try await eventually(timeout: .seconds(5)) { raw.all.count == 1 }
      XCTAssertEqual(raw.all.first, Array("hello\n".utf8).map { ~$0 })
      try await eventually(timeout: .seconds(5)) { layer.ends.all.contains(.closed) }
    }
  }

  func testOnlyAFreshStreamCanBeSecured() async throws {
    try await withNode { node in
      let (_, port) = try await startEchoServer(node)
      try await node.run { ctx in
        let listener = try ctx.listen(tcp: "127.0.0.1", port: 0)
        XCTAssertThrowsError(try listener.secure(with: SocketSecurity()))
        let socket = try await ctx.connect(tcp: "127.0.0.1", port: port)
        try await ctx.write(socket, Array("x".utf8))
        XCTAssertThrowsError(try socket.secure(with: SocketSecurity())) { error in
          XCTAssertEqual(error as? SocketError, .invalidArgument("a socket is secured before any byte is read or sent"))
        }
        XCTAssertNil(socket.security)
      }
    }
  }

  /// The layer shares the field of a Unix listener's path: every socket stays in the
  /// malloc size class it had before the seam (216 bytes usable).
  func testTheSeamAddsNothingToASocket() async throws {
    try await withNode { node in
      let size = try await node.run { ctx -> Int in
        let listener = try ctx.listen(tcp: "127.0.0.1", port: 0)
        defer { listener.close() }
        return Int(otter_malloc_usable_size(Unmanaged.passUnretained(listener).toOpaque()))
      }
      XCTAssertLessThanOrEqual(size, 216)
    }
  }
}
