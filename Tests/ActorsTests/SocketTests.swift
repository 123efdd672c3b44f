import Foundation
import OtterTestSupport
import XCTest

@testable import Actors

/// The port part of "ip:port".
func boundPort(_ socket: Socket) -> Int {
  Int(socket.localAddress!.split(separator: ":").last!)!
}

/// Starts the acceptor pattern: a process listening on `host` that hands each accepted
/// connection to a new linked connection process echoing what it reads. Returns the port.
func startEchoServer(
  _ node: Node, host: String = "127.0.0.1", framing: Framing = .raw, reverse: Bool = false, backlog: Int = 1024
) async throws -> (acceptor: Pid, port: Int) {
  let (replyTo, request) = node.makeReply(Result<Int, SocketError>.self)
  let acceptor = node.spawn(Never.self) { ctx in
    let listener: Socket
    do {
      listener = try ctx.listen(tcp: host, port: 0, backlog: backlog)
    } catch {
      replyTo.reply(.failure(error as! SocketError))
      return
    }
    replyTo.reply(.success(boundPort(listener)))
    while true {
      let connection = try await ctx.accept(listener)
      let worker = ctx.spawnLink(Never.self) { ctx in
        let socket = try await ctx.receiveSocket()
        try socket.setFraming(framing)
        while let bytes = try await ctx.read(socket) {
          var out = Array(bytes)
          if reverse { out.reverse() }
          if case .line = framing { out.append(0x0A) }
          try await ctx.write(socket, out)
        }
      }
      try ctx.transfer(connection, to: worker.pid)
    }
  }
  let port = try await node.receiveResponse(request).get()
  return (acceptor.pid, port)
}

final class SocketTests: XCTestCase {
  func testEchoThroughTheAcceptorPattern() async throws {
    try await withNode { node in
      let (_, port) = try await startEchoServer(node)
      let got = try await node.run { ctx -> [String] in
        let socket = try await ctx.connect(tcp: "127.0.0.1", port: port)
        var replies: [String] = []
        for i in 0..<20 {
          let text = "message \(i)"
          try await ctx.write(socket, Array(text.utf8))
          var received: [UInt8] = []
          while received.count < text.utf8.count {
            guard let bytes = try await ctx.read(socket, timeout: .seconds(5)) else { break }
            received += bytes
          }
          replies.append(String(decoding: received, as: UTF8.self))
        }
        return replies
      }
      XCTAssertEqual(got, (0..<20).map { "message \($0)" })
    }
  }

  func testIPv6AndLineFraming() async throws {
    try await withNode { node in
      let (_, port) = try await startEchoServer(node, host: "::1", framing: .line(maxLength: 512), reverse: true)
      let got = try await node.run { ctx -> [String] in
        let socket = try await ctx.connect(tcp: "::1", port: port)
        XCTAssertTrue(socket.peerAddress!.hasPrefix("[::1]") || socket.peerAddress!.hasPrefix("::1"), socket.peerAddress!)
        try socket.setFraming(.line(maxLength: 512))
        // Three lines in one write, one line in two writes, CRLF and LF endings.
        try await ctx.write(socket, Array("abc\r\ndef\nghi\r\n".utf8))
        try await ctx.write(socket, Array("jk".utf8))
        try await ctx.sleep(for: .milliseconds(20))
        try await ctx.write(socket, Array("l\n".utf8))
        var lines: [String] = []
        for _ in 0..<4 {
          guard let line = try await ctx.read(socket, timeout: .seconds(5)) else { break }
          lines.append(String(decoding: line, as: UTF8.self))
        }
        return lines
      }
      XCTAssertEqual(got, ["cba", "fed", "ihg", "lkj"])
    }
  }

  func testAnOversizeLineIsAClearErrorAndTheNextLineStillArrives() async throws {
    try await withNode { node in
      let got = try await node.run { ctx -> [String] in
        let listener = try ctx.listen(tcp: "127.0.0.1", port: 0)
        let client = try await ctx.connect(tcp: "127.0.0.1", port: boundPort(listener))
        let server = try await ctx.accept(listener)
        try server.setFraming(.line(maxLength: 512))
        var outcomes: [String] = []
        // 511 bytes + LF = 512: allowed. 600 + CRLF: too long. Then a normal line.
        let long = String(repeating: "x", count: 600)
        client.send(Array((String(repeating: "y", count: 511) + "\n" + long + "\r\nNICK ok\r\n").utf8))
        for _ in 0..<3 {
          do {
            let line = try await ctx.read(server, timeout: .seconds(5))
            outcomes.append("line \(line?.count ?? -1)")
          } catch let e as SocketError {
            outcomes.append("\(e)")
          }
        }
        XCTAssertTrue(server.isOpen)
        return outcomes
      }
      XCTAssertEqual(got, ["line 511", "frame too long (602 bytes)", "line 7"])
    }
  }

  func testAnOversizeLineSplitAcrossReadsIsDiscardedWhole() async throws {
    try await withNode { node in
      let got = try await node.run { ctx -> [String] in
        let listener = try ctx.listen(tcp: "127.0.0.1", port: 0)
        let client = try await ctx.connect(tcp: "127.0.0.1", port: boundPort(listener))
        let server = try await ctx.accept(listener)
        try server.setFraming(.line(maxLength: 16))
        try ctx.activate(server, .always)
        for _ in 0..<5 {
          client.send(Array("0123456789".utf8))
          try await ctx.sleep(for: .milliseconds(5))
        }
        client.send(Array("end\nafter\n".utf8))
        var events: [String] = []
        while events.count < 2 {
          guard
            let event = try await ctx.receive(
              timeout: .seconds(5),
              { m -> SocketEvent? in
                if case .io(_, let e) = m { return e }
                return nil
              })
          else { break }
          switch event {
          case .frameTooLong(let n): events.append("too long \(n)")
          case .data(let d): events.append(String(decoding: d, as: UTF8.self))
          default: break
          }
        }
        return events
      }
      XCTAssertEqual(got, ["too long 54", "after"])
    }
  }

  func testLengthPrefixedFramesAcrossWritesAndAnOversizeFrameCloses() async throws {
    try await withNode { node in
      let (frames, error, open) = try await node.run { ctx -> ([String], SocketError?, Bool) in
        let listener = try ctx.listen(tcp: "127.0.0.1", port: 0)
        let client = try await ctx.connect(tcp: "127.0.0.1", port: boundPort(listener))
        let server = try await ctx.accept(listener)
        try server.setFraming(.lengthPrefixed(headerBytes: 2, maxLength: 100))
        client.send([0, 5] + Array("hel".utf8))
        try await ctx.sleep(for: .milliseconds(10))
        client.send(Array("lo".utf8) + [0, 0, 0, 3] + Array("abc".utf8) + [0x10, 0x00])
        var frames: [String] = []
        var error: SocketError?
        while true {
          do {
            guard let f = try await ctx.read(server, timeout: .seconds(5)) else { break }
            frames.append(String(decoding: f, as: UTF8.self))
          } catch let e as SocketError {
            error = e
            break
          }
        }
        return (frames, error, server.isOpen)
      }
      XCTAssertEqual(frames, ["hello", "", "abc"])
      XCTAssertEqual(error, .frameTooLong(4096))
      XCTAssertFalse(open)
    }
  }

  func testFramingThatCannotWorkIsRefused() async throws {
    try await withNode { node in
      let errors = try await node.run { ctx -> [String] in
        let listener = try ctx.listen(tcp: "127.0.0.1", port: 0)
        var errors: [String] = []
        for framing in [
          Framing.line(maxLength: 0), .lengthPrefixed(headerBytes: 0, maxLength: 10),
          .lengthPrefixed(headerBytes: 5, maxLength: 10), .lengthPrefixed(headerBytes: 2, maxLength: -1),
        ] {
          do { try listener.setFraming(framing) } catch { errors.append("\(error)") }
        }
        return errors
      }
      XCTAssertEqual(
        errors,
        [
          "invalid argument: line framing needs a maximum length of at least 1, not 0",
          "invalid argument: length headers are 1 to 4 bytes, not 0",
          "invalid argument: length headers are 1 to 4 bytes, not 5",
          "invalid argument: negative maximum frame length -1",
        ])
    }
  }

  func testPartialWritesWaitForASlowReaderWithBoundedQueue() async throws {
    try await withNode { node in
      let total = 4 << 20
      let high = 256 << 10
      let maxQueued = Locked(0)
      let (received, checksum, waited) = try await node.run { ctx -> (Int, UInt64, Bool) in
        let listener = try ctx.listen(tcp: "127.0.0.1", port: 0)
        let client = try await ctx.connect(tcp: "127.0.0.1", port: boundPort(listener))
        let server = try await ctx.accept(listener)
        // The writer: a process that owns nothing but writes to `server` (anyone may
        // write), blocking itself (not its thread) past the high watermark.
        server.setWatermarks(high: high, low: 64 << 10, policy: .wait)
        server.setKernelBuffers(send: 32 << 10)
        client.setKernelBuffers(receive: 32 << 10)
        let sawQueue = Locked(false)
        let writer = ctx.spawnLink(Never.self) { w in
          var sent = 0
          var counter: UInt8 = 0
          while sent < total {
            var chunk = [UInt8](repeating: 0, count: 16 << 10)
            for i in chunk.indices {
              chunk[i] = counter
              counter &+= 1
            }
            try await w.write(server, chunk)
            sent += chunk.count
            let q = server.pendingBytes
            if q > 0 { sawQueue.withLock { $0 = true } }
            maxQueued.withLock { $0 = max($0, q) }
          }
          server.closeWhenDone()
        }
        _ = writer
        // The slow reader.
        var received = 0
        var sum: UInt64 = 0
        var expected: UInt8 = 0
        var inOrder = true
        while let bytes = try await ctx.read(client, timeout: .seconds(20)) {
          for b in bytes {
            if b != expected { inOrder = false }
            expected &+= 1
            sum &+= UInt64(b)
          }
          received += bytes.count
          maxQueued.withLock { $0 = max($0, server.pendingBytes) }
          if received < 1 << 20 { try await ctx.sleep(for: .milliseconds(2)) }
        }
        XCTAssertTrue(inOrder, "bytes arrived out of order")
        return (received, sum, sawQueue.withLock { $0 })
      }
      XCTAssertEqual(received, total)
      var expectedSum: UInt64 = 0
      for i in 0..<total { expectedSum &+= UInt64(UInt8(truncatingIfNeeded: i)) }
      XCTAssertEqual(checksum, expectedSum)
      XCTAssertTrue(waited, "the kernel never said EAGAIN: nothing was queued")
      // The writer went past the high watermark (so it waited), and never further than
      // one chunk past it.
      XCTAssertGreaterThan(maxQueued.withLock { $0 }, high)
      XCTAssertLessThanOrEqual(maxQueued.withLock { $0 }, high + (16 << 10))
    }
  }

  func testOverflowPolicyCloseTellsTheOwner() async throws {
    try await withNode { node in
      let (lastResult, event) = try await node.run { ctx -> (SendResult, String) in
        let listener = try ctx.listen(tcp: "127.0.0.1", port: 0)
        let client = try await ctx.connect(tcp: "127.0.0.1", port: boundPort(listener))
        _ = client  // never reads
        let server = try await ctx.accept(listener)
        server.setWatermarks(high: 64 << 10, policy: .close)
        var last = SendResult.sent
        for _ in 0..<10_000 {
          last = server.send([UInt8](repeating: 7, count: 8192))
          if last == .closed { break }
        }
        let event = try await ctx.receive(timeout: .seconds(5)) { m -> String? in
          if case .io(let s, .error(let e)) = m, s === server { return "\(e)" }
          return nil
        }
        XCTAssertFalse(server.isOpen)
        XCTAssertEqual(server.send([1]), .closed)
        return (last, event ?? "none")
      }
      XCTAssertEqual(lastResult, .closed)
      XCTAssertTrue(event.hasPrefix("write queue overflow"), event)
    }
  }

  func testOverflowPolicyDropCountsWhatItDropped() async throws {
    try await withNode { node in
      let (results, info) = try await node.run { ctx -> (Set<SendResult>, SocketInfo?) in
        let listener = try ctx.listen(tcp: "127.0.0.1", port: 0)
        let client = try await ctx.connect(tcp: "127.0.0.1", port: boundPort(listener))
        _ = client
        let server = try await ctx.accept(listener)
        server.setWatermarks(high: 64 << 10, policy: .drop)
        var results: Set<SendResult> = []
        for _ in 0..<2_000 { results.insert(server.send([UInt8](repeating: 7, count: 8192))) }
        XCTAssertTrue(server.isOpen)
        XCTAssertLessThanOrEqual(server.pendingBytes, 64 << 10)
        return (results, ctx.node.sockets().first { $0.id == server.id })
      }
      XCTAssertEqual(results, [.sent, .queued, .dropped])
      XCTAssertGreaterThan(info?.dropped ?? 0, 0)
      XCTAssertGreaterThan(info?.queued ?? 0, 0)
    }
  }

  func testPeerResetArrivesAsAnError() async throws {
    try await withNode { node in
      let (readError, writeResult) = try await node.run { ctx -> (String, SendResult) in
        let listener = try ctx.listen(tcp: "127.0.0.1", port: 0)
        let client = try await ctx.connect(tcp: "127.0.0.1", port: boundPort(listener))
        let server = try await ctx.accept(listener)
        client.abortOnClose()
        client.close()
        var readError = "no error"
        do {
          _ = try await ctx.read(server, timeout: .seconds(5))
        } catch {
          readError = "\(error)"
        }
        return (readError, server.send([1, 2, 3]))
      }
      XCTAssertEqual(readError, "connection reset by peer")
      XCTAssertEqual(writeResult, .closed)
    }
  }

  func testPeerCloseIsEndOfFileAndWritingAfterItFailsCleanly() async throws {
    try await withNode { node in
      let (eof, outcome) = try await node.run { ctx -> (Bool, String) in
        let listener = try ctx.listen(tcp: "127.0.0.1", port: 0)
        let client = try await ctx.connect(tcp: "127.0.0.1", port: boundPort(listener))
        let server = try await ctx.accept(listener)
        client.close()
        let eof = try await ctx.read(server, timeout: .seconds(5)) == nil
        // The first write may be accepted by the kernel; the peer answers with a
        // reset and later writes fail (EPIPE, no SIGPIPE).
        var outcome = "still open"
        for _ in 0..<100 {
          if server.send(Array("bye".utf8)) == .closed {
            outcome = "closed"
            break
          }
          try await ctx.sleep(for: .milliseconds(5))
        }
        let error = try await ctx.receive(timeout: .seconds(1)) { m -> String? in
          if case .io(_, .error(let e)) = m { return "\(e)" }
          return nil
        }
        return (eof, outcome + " " + (error ?? "no error"))
      }
      XCTAssertTrue(eof)
      XCTAssertEqual(outcome, "closed connection reset by peer")
    }
  }

  func testOwnerExitClosesItsSockets() async throws {
    try await withNode { node in
      let (eof, leftover) = try await node.run { ctx -> (Bool, Int) in
        let listener = try ctx.listen(tcp: "127.0.0.1", port: 0)
        let before = ctx.node.sockets().count
        let (replyTo, request) = ctx.makeReply(Bool.self)
        let (owner, ref) = ctx.spawnMonitor(Never.self) { o in
          let client = try await o.connect(tcp: "127.0.0.1", port: boundPort(listener))
          _ = client
          replyTo.reply(true)
          throw Boom(code: 1)  // dies owning the socket
        }
        _ = owner
        _ = try await ctx.receiveResponse(request)
        let server = try await ctx.accept(listener)
        _ = try await ctx.receive(timeout: .seconds(5)) { m -> Bool? in
          if case .down(let r, _, _) = m, r == ref { return true }
          return nil
        }
        let eof = try await ctx.read(server, timeout: .seconds(5)) == nil
        server.close()
        return (eof, ctx.node.sockets().count - before)
      }
      XCTAssertTrue(eof)
      XCTAssertEqual(leftover, 0)
    }
  }

  func testTransferMovesReadingToTheNewOwner() async throws {
    try await withNode { node in
      let (oldOwnerError, lines, ownerAfter) = try await node.run { ctx -> (String, [String], Bool) in
        let listener = try ctx.listen(tcp: "127.0.0.1", port: 0)
        let client = try await ctx.connect(tcp: "127.0.0.1", port: boundPort(listener))
        let server = try await ctx.accept(listener)
        try server.setFraming(.line(maxLength: 100))
        let (replyTo, request) = ctx.makeReply([String].self)
        let worker = ctx.spawnLink(Never.self) { w in
          let socket = try await w.receiveSocket()
          var lines: [String] = []
          while lines.count < 2, let line = try await w.read(socket, timeout: .seconds(5)) {
            lines.append(String(decoding: line, as: UTF8.self))
          }
          replyTo.reply(lines)
          try await w.sleep(for: .seconds(10))
        }
        // Bytes sent before the transfer are not lost.
        client.send(Array("one\n".utf8))
        try ctx.transfer(server, to: worker.pid)
        var oldOwnerError = "none"
        do { try ctx.activate(server) } catch { oldOwnerError = "\(error)" }
        client.send(Array("two\n".utf8))
        let lines = try await ctx.receiveResponse(request)
        return (oldOwnerError, lines, server.ownerPid == worker.pid)
      }
      XCTAssertEqual(oldOwnerError, "not the socket's owner")
      XCTAssertEqual(lines, ["one", "two"])
      XCTAssertTrue(ownerAfter)
    }
  }

  func testOnlyTheOwnerMayReadOrTransfer() async throws {
    try await withNode { node in
      let errors = try await node.run { ctx -> [String] in
        let listener = try ctx.listen(tcp: "127.0.0.1", port: 0)
        let (replyTo, request) = ctx.makeReply([String].self)
        ctx.spawn(Never.self) { other in
          var errors: [String] = []
          do { try other.activate(listener) } catch { errors.append("\(error)") }
          do { try other.transfer(listener, to: other.pid) } catch { errors.append("\(error)") }
          do { _ = try await other.accept(listener, timeout: .milliseconds(10)) } catch { errors.append("\(error)") }
          replyTo.reply(errors)
        }
        return try await ctx.receiveResponse(request)
      }
      XCTAssertEqual(errors, Array(repeating: "not the socket's owner", count: 3))
    }
  }

  func testConnectErrors() async throws {
    try await withNode { node in
      let errors = try await node.run { ctx -> [String] in
        var errors: [String] = []
        // A port nobody listens on: take one and close it.
        let listener = try ctx.listen(tcp: "127.0.0.1", port: 0)
        let closedPort = boundPort(listener)
        listener.close()
        do { _ = try await ctx.connect(tcp: "127.0.0.1", port: closedPort) } catch { errors.append("\(error)") }
        do { _ = try await ctx.connect(tcp: "not an address", port: 1) } catch { errors.append("\(error)") }
        do { _ = try ctx.listen(tcp: "999.1.1.1", port: 0) } catch { errors.append("\(error)") }
        do { _ = try await ctx.connect(unix: "/nonexistent/otter.sock") } catch { errors.append("\(error)") }
        return errors
      }
      XCTAssertEqual(errors.count, 4)
      XCTAssertTrue(errors[0].hasPrefix("connect 127.0.0.1:") && errors[0].contains("refused"), errors[0])
      XCTAssertEqual(errors[1], "bad address: not an address")
      XCTAssertEqual(errors[2], "bad address: 999.1.1.1")
      XCTAssertTrue(errors[3].contains("No such file"), errors[3])
    }
  }

  func testConnectTimesOutWhenTheListenQueueIsFull() async throws {
    try await withNode { node in
      let outcome = try await node.run { ctx -> String in
        // A listener that never accepts, with a backlog of 1: once its queue is full the
        // kernel drops new SYNs and a connect waits until our timeout.
        let listener = try ctx.listen(tcp: "127.0.0.1", port: 0, backlog: 1)
        var held: [Socket] = []
        for _ in 0..<8 {
          do {
            held.append(try await ctx.connect(tcp: "127.0.0.1", port: boundPort(listener), timeout: .milliseconds(300)))
          } catch SocketError.timeout {
            return "timed out after \(held.count)"
          }
        }
        return "never timed out"
      }
      XCTAssertTrue(outcome.hasPrefix("timed out after"), outcome)
    }
  }

  func testConnectFromAChosenSourceAddress() async throws {
    try await withNode { node in
      let (peer, badSource) = try await node.run { ctx -> (String, String) in
        let listener = try ctx.listen(tcp: "127.0.0.1", port: 0)
        let client = try await ctx.connect(tcp: "127.0.0.1", port: boundPort(listener), source: "127.0.0.2")
        let server = try await ctx.accept(listener)
        _ = client
        var bad = "no error"
        do { _ = try await ctx.connect(tcp: "127.0.0.1", port: boundPort(listener), source: "::1") } catch { bad = "\(error)" }
        return (server.peerAddress ?? "?", bad)
      }
      XCTAssertTrue(peer.hasPrefix("127.0.0.2:"), peer)
      XCTAssertEqual(badSource, "bad address: 127.0.0.1 (source ::1)")
    }
  }

  func testReuseAddressAndReusePort() async throws {
    try await withNode { node in
      let (inUse, shared) = try await node.run { ctx -> (String, Bool) in
        let a = try ctx.listen(tcp: "127.0.0.1", port: 0)
        var inUse = "no error"
        do { _ = try ctx.listen(tcp: "127.0.0.1", port: boundPort(a)) } catch { inUse = "\(error)" }
        let b = try ctx.listen(tcp: "127.0.0.1", port: 0, reusePort: true)
        let c = try ctx.listen(tcp: "127.0.0.1", port: boundPort(b), reusePort: true)
        return (inUse, boundPort(b) == boundPort(c))
      }
      XCTAssertTrue(inUse.contains("Address already in use"), inUse)
      XCTAssertTrue(shared)
    }
  }

  func testCloseWhenDoneFlushesThenCloses() async throws {
    try await withNode { node in
      let received = try await node.run { ctx -> Int in
        let listener = try ctx.listen(tcp: "127.0.0.1", port: 0)
        let client = try await ctx.connect(tcp: "127.0.0.1", port: boundPort(listener))
        let server = try await ctx.accept(listener)
        server.setWatermarks(high: 64 << 20, policy: .wait)
        for _ in 0..<64 { server.send([UInt8](repeating: 1, count: 64 << 10)) }
        server.closeWhenDone()
        var n = 0
        while let bytes = try await ctx.read(client, timeout: .seconds(10)) { n += bytes.count }
        return n
      }
      XCTAssertEqual(received, 64 * (64 << 10))
    }
  }

  func testCountersAndIntrospection() async throws {
    try await withNode { node in
      let (infos, socketCount, limit) = try await node.run { ctx -> ([SocketInfo], Int, Int) in
        let listener = try ctx.listen(tcp: "127.0.0.1", port: 0)
        let client = try await ctx.connect(tcp: "127.0.0.1", port: boundPort(listener))
        let server = try await ctx.accept(listener)
        client.send(Array("hello\n".utf8))
        _ = try await ctx.read(server, timeout: .seconds(5))
        server.send(Array("hi".utf8))
        _ = try await ctx.read(client, timeout: .seconds(5))
        let infos = ctx.node.sockets().filter { [listener.id, client.id, server.id].contains($0.id) }
        return (infos, ctx.node.processInfo(ctx.pid)?.sockets ?? -1, ctx.node.stats().fileDescriptorLimit)
      }
      XCTAssertEqual(infos.map(\.kind), ["tcpListener", "tcp", "tcp"])
      XCTAssertEqual(infos[1].bytesOut, 6)
      XCTAssertEqual(infos[1].bytesIn, 2)
      XCTAssertEqual(infos[2].bytesIn, 6)
      XCTAssertEqual(infos[2].bytesOut, 2)
      XCTAssertEqual(infos[1].peer, infos[2].local)
      XCTAssertEqual(socketCount, 3)
      var rl = rlimit()
      getrlimit(Int32(RLIMIT_NOFILE.rawValue), &rl)
      XCTAssertEqual(limit, Int(rl.rlim_max))
      XCTAssertEqual(Int(rl.rlim_cur), Int(rl.rlim_max), "the node raises the soft limit to the hard one")
    }
  }

  func testAGenServerStyleHandlerOwnsASocket() async throws {
    // A synchronous handler process in active mode: events arrive as `.io` messages.
    try await withNode { node in
      let lines = Recorder<String>()
      let got = try await node.run { ctx -> [String] in
        let listener = try ctx.listen(tcp: "127.0.0.1", port: 0)
        let client = try await ctx.connect(tcp: "127.0.0.1", port: boundPort(listener))
        let server = try await ctx.accept(listener)
        try server.setFraming(.line(maxLength: 64))
        let handler = ctx.spawn(Never.self, state: 0) { (count: inout Int, message: Message<Never>, c: Context<Never>) throws -> Next in
          switch message {
          case .io(let s, .owned): try c.activate(s, .always)
          case .io(let s, .data(let line)):
            count += 1
            lines.add(String(decoding: line, as: UTF8.self))
            s.send(Array("ack \(count)\n".utf8))
          case .io(_, .closed): return .stop(.normal)
          default: break
          }
          return .continue
        }
        try ctx.transfer(server, to: handler.pid)
        try client.setFraming(.line(maxLength: 64))
        client.send(Array("a\nb\nc\n".utf8))
        var acks: [String] = []
        while acks.count < 3, let line = try await ctx.read(client, timeout: .seconds(5)) {
          acks.append(String(decoding: line, as: UTF8.self))
        }
        client.close()
        try await eventually { !handler.pid.isAlive }
        return acks
      }
      XCTAssertEqual(got, ["ack 1", "ack 2", "ack 3"])
      XCTAssertEqual(lines.all, ["a", "b", "c"])
    }
  }

  func testUnixSocketModeAndPermissions() async throws {
    let dir = temporaryDirectory("unix", mode: 0o755)
    defer { removeDirectory(dir) }
    let privatePath = dir + "/private.sock"
    let openPath = dir + "/open.sock"
    try await withNode { node in
      // The listeners' owner stays alive until told to stop.
      let (replyTo, request) = node.makeReply(String.self)
      let owner = node.spawn(Bool.self) { ctx in
        let privateListener = try ctx.listen(unix: privatePath, mode: 0o600)
        let openListener = try ctx.listen(unix: openPath, mode: 0o666)
        let client = try await ctx.connect(unix: privatePath)
        let server = try await ctx.accept(privateListener)
        client.send(Array("over unix".utf8))
        let got = try await ctx.read(server, timeout: .seconds(5))
        replyTo.reply(String(decoding: got ?? [], as: UTF8.self))
        _ = try await ctx.next()
        _ = openListener
      }
      let echoed = try await node.receiveResponse(request)
      XCTAssertEqual(echoed, "over unix")
      var st = stat()
      stat(privatePath, &st)
      XCTAssertEqual(st.st_mode & 0o777, 0o600)
      stat(openPath, &st)
      XCTAssertEqual(st.st_mode & 0o777, 0o666)
      // Another user may not connect to the 0600 socket, but may to the 0666 one.
      if geteuid() == 0 {
        XCTAssertEqual(try connectAsNobody(privatePath), "denied")
        XCTAssertEqual(try connectAsNobody(openPath), "connected")
      }
      // The owner's exit closes the listeners, which removes their files.
      owner.send(true)
      try await eventually { !owner.pid.isAlive }
      XCTAssertFalse(FileManager.default.fileExists(atPath: privatePath))
      XCTAssertFalse(FileManager.default.fileExists(atPath: openPath))
    }
  }

  func testSocketsAreSpreadOverTheSchedulersEpolls() async throws {
    try await withNode(schedulers: 2) { node in
      // One process makes and activates every socket, so all of it runs on one
      // scheduler thread; the sockets must still be polled by both (a scheduler polls,
      // reads and wakes owners for its sockets: one epoll for all of them would put every
      // connection's work on one core).
      let counts = try await node.run { ctx -> [Int] in
        let listener = try ctx.listen(tcp: "127.0.0.1", port: 0)
        var keep: [Socket] = []
        for _ in 0..<20 {
          let client = try await ctx.connect(tcp: "127.0.0.1", port: boundPort(listener))
          let server = try await ctx.accept(listener)
          try ctx.activate(server, .once)
          try ctx.activate(client, .once)
          keep += [client, server]
        }
        let counts = ctx.node.stats().schedulers.map(\.ioSources)
        withExtendedLifetime(keep) {}
        return counts
      }
      XCTAssertEqual(counts.count, 2)
      XCTAssertEqual(counts.reduce(0, +), 41, "40 connection ends and the listener")
      XCTAssertLessThanOrEqual(abs(counts[0] - counts[1]), 1, "\(counts)")
    }
  }

  func testTenThousandConcurrentConnections() async throws {
    let n = 10_000
    try await withNode { node in
      XCTAssertGreaterThan(node.fileDescriptorLimit, n + 500, "the test needs \(n) descriptors")
      // 10,000 connects at once: a backlog as deep as the kernel allows (somaxconn), so a
      // busy machine's slower accepts do not overflow it (then SYN cookies, and resets).
      let (_, port) = try await startEchoServer(node, framing: .line(maxLength: 512), reverse: true, backlog: 65535)
      let started = ContinuousClock.now
      let output = try runPython(manyClientsScript, arguments: [String(port), String(n)], timeout: 120)
      XCTAssertEqual(output.trimmingCharacters(in: .whitespacesAndNewlines), "ok \(n)")
      print("10,000 connections, one line each way: \(ContinuousClock.now - started)")
      // Every connection process ends when its client closes.
      try await eventually(timeout: .seconds(30)) { node.sockets().count == 1 }
    }
  }
}

/// A Python client: opens `n` connections at once (all open together), sends one line on
/// each, checks each reversed reply, closes them all; prints "ok n".
private let manyClientsScript = #"""
  import selectors, socket, sys, time
  port, n = int(sys.argv[1]), int(sys.argv[2])
  sel = selectors.DefaultSelector()
  socks = []
  for i in range(n):
      s = socket.socket()
      s.setblocking(False)
      s.connect_ex(("127.0.0.1", port))
      socks.append(s)
      sel.register(s, selectors.EVENT_WRITE, i)
  pending = {}
  done = 0
  deadline = time.time() + 90
  while done < n and time.time() < deadline:
      for key, ev in sel.select(timeout=1):
          s, i = key.fileobj, key.data
          if ev & selectors.EVENT_WRITE:
              err = s.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
              if err:
                  print("connect failed", i, err); sys.exit(1)
              s.send(("conn %d\n" % i).encode())
              pending[i] = b""
              sel.modify(s, selectors.EVENT_READ, i)
          else:
              data = s.recv(100)
              if not data:
                  print("closed early", i); sys.exit(1)
              pending[i] += data
              if pending[i].endswith(b"\n"):
                  want = ("conn %d" % i)[::-1].encode() + b"\n"
                  if pending[i] != want:
                      print("bad reply", i, pending[i]); sys.exit(1)
                  sel.unregister(s)
                  done += 1
  if done != n:
      print("only", done); sys.exit(1)
  for s in socks:
      s.close()
  print("ok", n)
  """#

/// Runs a Python 3 script with a time limit; returns its standard output, or throws
/// with what it printed if it failed.
func runPython(_ script: String, arguments: [String], timeout: TimeInterval, asNobody: Bool = false) throws -> String {
  let process = Foundation.Process()
  // The system's interpreter (a per-user one, such as pyenv's, may be out of nobody's reach).
  let python = FileManager.default.isExecutableFile(atPath: "/usr/bin/python3") ? "/usr/bin/python3" : "python3"
  process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
  process.arguments =
    asNobody
    ? ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", python, "-c", script] + arguments
    : [python, "-c", script] + arguments
  let out = Pipe()
  process.standardOutput = out
  process.standardError = out
  try process.run()
  let deadline = Date().addingTimeInterval(timeout)
  var data = Data()
  let reader = out.fileHandleForReading
  while process.isRunning && Date() < deadline {
    usleep(20_000)
  }
  if process.isRunning {
    process.terminate()
    process.waitUntilExit()
    throw Boom(code: -1)
  }
  data = reader.readDataToEndOfFile()
  let text = String(decoding: data, as: UTF8.self)
  if process.terminationStatus != 0 {
    XCTFail("python exited with \(process.terminationStatus): \(text)")
  }
  return text
}

/// Tries to connect to the Unix socket at `path` as user nobody.
func connectAsNobody(_ path: String) throws -> String {
  let script = """
    import socket, sys
    s = socket.socket(socket.AF_UNIX)
    try:
        s.connect(sys.argv[1]); print("connected")
    except PermissionError:
        print("denied")
    """
  return try runPython(script, arguments: [path], timeout: 10, asNobody: true)
    .trimmingCharacters(in: .whitespacesAndNewlines)
}
