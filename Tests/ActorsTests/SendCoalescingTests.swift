import Foundation
import OtterTestSupport
import XCTest

@testable import Actors

/// Bytes the kernel holds for `socket` to read now (FIONREAD): what the peer has been
/// sent so far, read without disturbing the socket.
private func readable(_ socket: Socket) -> Int {
  var n: Int32 = 0
  _ = ioctl(socket.fd, UInt(FIONREAD), &n)
  return Int(n)
}

/// Reads from `socket` until `count` bytes have come (or 5 s pass).
private func read(_ count: Int, from socket: Socket, _ ctx: Context<Never>) async throws -> [UInt8] {
  var got: [UInt8] = []
  while got.count < count, let bytes = try await ctx.read(socket, timeout: .seconds(5)) { got += bytes }
  return got
}

final class SendCoalescingTests: XCTestCase {
  func testEndOfSliceHoldsSendsUntilTheProcessStopsRunning() async throws {
    try await withNode { node in
      let (results, before, got) = try await node.run { ctx -> ([SendResult], Int, String) in
        let listener = try ctx.listen(tcp: "127.0.0.1", port: 0)
        let client = try await ctx.connect(tcp: "127.0.0.1", port: boundPort(listener))
        let server = try await ctx.accept(listener)
        server.setSendCoalescing(.endOfSlice)
        let results = ["one\n", "two\n", "three\n"].map { server.send(Array($0.utf8)) }
        XCTAssertEqual(server.pendingBytes, 14)
        let before = readable(client)
        // Waiting for the peer ends this run of code: the held lines are written then.
        let got = try await read(14, from: client, ctx)
        XCTAssertEqual(server.pendingBytes, 0)
        return (results, before, String(decoding: got, as: UTF8.self))
      }
      XCTAssertEqual(results, [.held, .held, .held])
      XCTAssertEqual(before, 0, "nothing is written while the sender still runs")
      XCTAssertEqual(got, "one\ntwo\nthree\n")
    }
  }

  func testAHandlerProcessIsFlushedAfterEachSlice() async throws {
    try await withNode { node in
      let (seenWhileRunning, got) = try await node.run { ctx -> ([Int], String) in
        let listener = try ctx.listen(tcp: "127.0.0.1", port: 0)
        let client = try await ctx.connect(tcp: "127.0.0.1", port: boundPort(listener))
        let server = try await ctx.accept(listener)
        server.setSendCoalescing(.endOfSlice)
        // A synchronous handler: it sends a reply of several lines per message and notes
        // how much of it has reached the peer while it still runs.
        let (replyTo, request) = ctx.makeReply([Int].self)
        let writer = ctx.spawn(String.self, state: [Int]()) { seen, message, _ in
          guard case .message(let text) = message else { return .continue }
          for part in text.split(separator: " ") { server.send(Array((part + "\n").utf8)) }
          seen.append(readable(client))
          if seen.count == 2 { replyTo.reply(seen) }
          return .continue
        }
        writer.send("a b c")
        writer.send("d e")
        let seen = try await ctx.receiveResponse(request)
        let got = String(decoding: try await read(10, from: client, ctx), as: UTF8.self)
        return (seen, got)
      }
      XCTAssertEqual(got, "a\nb\nc\nd\ne\n")
      XCTAssertEqual(seenWhileRunning.first, 0, "the lines wait for the end of the slice")
    }
  }

  func testAWindowWritesAQuietSocketAtOnceAndHoldsABusyOne() async throws {
    try await withNode { node in
      let (first, second, heldFor, third) = try await node.run { ctx -> (SendResult, SendResult, Duration, SendResult) in
        let listener = try ctx.listen(tcp: "127.0.0.1", port: 0)
        let client = try await ctx.connect(tcp: "127.0.0.1", port: boundPort(listener))
        let server = try await ctx.accept(listener)
        server.setSendCoalescing(.window(.milliseconds(200)))
        let clock = ContinuousClock()
        let first = server.send(Array("quiet\n".utf8))
        XCTAssertEqual(readable(client), 6, "a quiet socket is written at once")
        let start = clock.now
        let second = server.send(Array("busy\n".utf8))
        _ = try await read(11, from: client, ctx)
        let heldFor = clock.now - start
        try await ctx.sleep(for: .milliseconds(300))
        let third = server.send(Array("quiet again\n".utf8))
        return (first, second, heldFor, third)
      }
      XCTAssertEqual(first, .sent)
      XCTAssertEqual(second, .held)
      XCTAssertGreaterThanOrEqual(heldFor, .milliseconds(150), "held until the window ends")
      XCTAssertLessThan(heldFor, .seconds(3))
      XCTAssertEqual(third, .sent, "after a quiet window the socket writes at once again")
    }
  }

  func testCloseWritesHeldBytesFirstAndCloseWhenDoneToo() async throws {
    try await withNode { node in
      let got = try await node.run { ctx -> [String] in
        var out: [String] = []
        let listener = try ctx.listen(tcp: "127.0.0.1", port: 0)
        for useClose in [true, false] {
          let client = try await ctx.connect(tcp: "127.0.0.1", port: boundPort(listener))
          let server = try await ctx.accept(listener)
          server.setSendCoalescing(.endOfSlice)
          XCTAssertEqual(server.send(Array("goodbye\n".utf8)), .held)
          if useClose { server.close() } else { server.closeWhenDone() }
          var bytes: [UInt8] = []
          while let chunk = try await ctx.read(client, timeout: .seconds(5)) { bytes += chunk }
          out.append(String(decoding: bytes, as: UTF8.self))
        }
        return out
      }
      XCTAssertEqual(got, ["goodbye\n", "goodbye\n"], "held bytes are written, then the peer reads end of file")
    }
  }

  func testHeldBytesCountAgainstTheHighWatermark() async throws {
    try await withNode { node in
      let (results, pending) = try await node.run { ctx -> (Set<SendResult>, Int) in
        let listener = try ctx.listen(tcp: "127.0.0.1", port: 0)
        let client = try await ctx.connect(tcp: "127.0.0.1", port: boundPort(listener))
        _ = client
        let server = try await ctx.accept(listener)
        server.setSendCoalescing(.endOfSlice)
        server.setWatermarks(high: 64 << 10, policy: .drop)
        var results: Set<SendResult> = []
        for _ in 0..<100 { results.insert(server.send([UInt8](repeating: 7, count: 8192))) }
        return (results, server.pendingBytes)
      }
      XCTAssertEqual(results, [.held, .dropped])
      XCTAssertLessThanOrEqual(pending, 64 << 10)
    }
  }

  func testSendsFromOutsideTheSchedulersAreWrittenAtOnce() async throws {
    try await withNode { node in
      let (result, seen) = try await node.run { ctx -> (SendResult, Int) in
        let listener = try ctx.listen(tcp: "127.0.0.1", port: 0)
        let client = try await ctx.connect(tcp: "127.0.0.1", port: boundPort(listener))
        let server = try await ctx.accept(listener)
        server.setSendCoalescing(.endOfSlice)
        // A detached Task's thread is not a scheduler's: no slice would ever end there.
        let result = await Task.detached { server.send(Array("now\n".utf8)) }.value
        return (result, readable(client))
      }
      XCTAssertEqual(result, .sent)
      XCTAssertEqual(seen, 4)
    }
  }
}
