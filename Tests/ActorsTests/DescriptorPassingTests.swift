// Descriptors passed over a Unix stream socket (DescriptorPassing.swift): each message
// arrives with its own descriptors, in order, whatever their number (none, one with no
// data, the most a message may carry) and however the bytes are cut (a message larger
// than the kernel's buffer); a peer that closes midway and one that sends more
// descriptors than a message may carry end in a clear outcome. Every test counts this
// process's open descriptors (/proc/self/fd) before and after: nothing leaks.
import COtterSys
import Foundation
import Glibc
import OtterTestSupport
import XCTest

@testable import Actors

final class DescriptorPassingTests: XCTestCase {
  /// Several messages, each with its data and its own descriptors — pipes' read ends,
  /// told apart by what is written into their write ends —, none in some, the most a
  /// message may carry in one: each arrives with exactly its own, in order.
  func testEachMessageArrivesWithItsOwnDescriptorsInOrder() async throws {
    let before = otter_open_descriptors()
    try await withNode { node in
      try await node.run { ctx in
        let (sender, receiver) = try await unixPair(ctx)
        var kept: [Int32] = []
        let counts = [3, 0, 1, Socket.maximumDescriptorsPerMessage, 0, 2]
        for (m, count) in counts.enumerated() {
          var readEnds: [Int32] = []
          for k in 0..<count {
            let (r, w) = try makePipe()
            _ = "m\(m)-\(k)".withCString { write(w, $0, strlen($0)) }
            close(w)
            readEnds.append(r)
          }
          try await ctx.sendMessage(Array("message \(m)".utf8), descriptors: readEnds, on: sender)
          kept += readEnds
        }
        for (m, count) in counts.enumerated() {
          let message = try await ctx.receiveMessage(on: receiver, timeout: .seconds(5))
          XCTAssertEqual(message.map { String(decoding: $0.data, as: UTF8.self) }, "message \(m)")
          XCTAssertEqual(message?.descriptors.count, count)
          for (k, fd) in (message?.descriptors ?? []).enumerated() {
            XCTAssertEqual(readAll(fd), "m\(m)-\(k)", "descriptor \(k) of message \(m)")
            XCTAssertNotEqual(fcntl(fd, F_GETFD) & FD_CLOEXEC, 0, "received descriptors are close-on-exec")
            close(fd)
          }
        }
        for fd in kept { close(fd) }
        sender.close()
        receiver.close()
      }
    }
    XCTAssertEqual(otter_open_descriptors(), before)
  }

  /// A message of no bytes still carries its descriptor; the descriptor is a working
  /// socket once adopted (a connected pair: what one end sends, the other reads).
  func testADescriptorWithNoData() async throws {
    let before = otter_open_descriptors()
    try await withNode { node in
      try await node.run { ctx in
        let (sender, receiver) = try await unixPair(ctx)
        let (near, far) = try await unixPair(ctx)
        let copy = try Socket.duplicate(far.fd)
        far.close()
        try await ctx.sendMessage([], descriptors: [copy], on: sender)
        close(copy)
        let message = try await ctx.receiveMessage(on: receiver, timeout: .seconds(5))
        XCTAssertEqual(message?.data, [])
        let passed = try ctx.adoptSocket(try XCTUnwrap(message?.descriptors.first))
        XCTAssertEqual(passed.kind, .unix)
        near.send(Array("through the passed socket".utf8))
        let read = try await ctx.read(passed, timeout: .seconds(5))
        XCTAssertEqual(read.map { String(decoding: $0, as: UTF8.self) }, "through the passed socket")
        for s in [sender, receiver, near, passed] { s.close() }
      }
    }
    XCTAssertEqual(otter_open_descriptors(), before)
  }

  /// A message much larger than the kernel's socket buffer: it goes out in pieces, its
  /// descriptors with the first; the message after it waits for those pieces and is not
  /// mixed into them.
  func testAMessageLargerThanTheKernelsBuffer() async throws {
    let before = otter_open_descriptors()
    try await withNode { node in
      let got = try await node.run { ctx -> [String] in
        let (sender, receiver) = try await unixPair(ctx)
        let (reply, request) = ctx.makeReply([String].self)
        let reader = ctx.node.spawn(Never.self) { ctx in
          let receiver = try await ctx.receiveSocket()
          var got: [String] = []
          while let message = try await ctx.receiveMessage(on: receiver, timeout: .seconds(10)) {
            got.append("\(message.data.count) bytes, \(message.descriptors.count) descriptors")
            for fd in message.descriptors { close(fd) }
          }
          receiver.close()
          reply.reply(got)
        }
        try ctx.transfer(receiver, to: reader.pid)
        let big = [UInt8](repeating: 0x61, count: 3 << 20)
        let one = open("/dev/null", O_RDONLY | O_CLOEXEC)
        defer { close(one) }
        try await ctx.sendMessage(big, descriptors: [one, one], on: sender)
        try await ctx.sendMessage(Array("after".utf8), descriptors: [one], on: sender)
        try await ctx.sendMessage(big, on: sender)
        while sender.pendingBytes > 0 { try await ctx.sleep(for: .milliseconds(5)) }
        sender.close()
        return try await ctx.receiveResponse(request, timeout: .seconds(20))
      }
      XCTAssertEqual(got, ["3145728 bytes, 2 descriptors", "5 bytes, 1 descriptors", "3145728 bytes, 0 descriptors"])
    }
    XCTAssertEqual(otter_open_descriptors(), before)
  }

  /// A peer that sends the start of a message with its descriptors and closes before the
  /// rest: the receiver reads the end (nil), and the descriptors that arrived go with
  /// the socket.
  func testAPeerThatClosesMidway() async throws {
    let before = otter_open_descriptors()
    try await withNode { node in
      try await node.run { ctx in
        let (raw, receiver) = try await rawPair(ctx)
        // Announces 100 bytes and 3 descriptors; sends 6 bytes of it, then closes.
        let fds = [open("/dev/null", O_RDONLY), open("/dev/null", O_RDONLY), open("/dev/null", O_RDONLY)]
        let start: [UInt8] = [0, 0, 0, 101, 3, 0x61]
        XCTAssertEqual(otter_send_descriptors(raw, start, start.count, fds, 3), 6)
        for fd in fds { close(fd) }
        close(raw)
        let message = try await ctx.receiveMessage(on: receiver, timeout: .seconds(5))
        XCTAssertNil(message)
        XCTAssertGreaterThan(otter_open_descriptors(), before, "the three arrived and wait in the socket")
        receiver.close()
      }
    }
    XCTAssertEqual(otter_open_descriptors(), before)
  }

  /// A peer that attaches more descriptors to one message than a message may carry: the
  /// kernel cuts them short, the receiver says so and closes the socket; nothing stays
  /// open.
  func testMoreDescriptorsThanAMessageMayCarryIsAClearError() async throws {
    let before = otter_open_descriptors()
    try await withNode { node in
      try await node.run { ctx in
        let (raw, receiver) = try await rawPair(ctx)
        let null = open("/dev/null", O_RDONLY)
        let many = [Int32](repeating: null, count: 100)
        let frame: [UInt8] = [0, 0, 0, 1, 100]
        XCTAssertEqual(otter_send_descriptors(raw, frame, frame.count, many, 100), 5)
        close(null)
        do {
          _ = try await ctx.receiveMessage(on: receiver, timeout: .seconds(5))
          XCTFail("a cut message was taken")
        } catch let error as SocketError {
          XCTAssertEqual(
            error.description,
            "descriptors lost: the peer sent more descriptors with one message than the 64 a message may carry (the kernel dropped the rest)"
          )
        }
        XCTAssertFalse(receiver.isOpen)
        close(raw)
      }
    }
    XCTAssertEqual(otter_open_descriptors(), before)
  }

  /// The sender refuses more descriptors than a message may carry, and a socket that
  /// does not carry descriptors.
  func testWhatASenderRefuses() async throws {
    try await withNode { node in
      try await node.run { ctx in
        let (sender, receiver) = try await unixPair(ctx)
        let null = open("/dev/null", O_RDONLY)
        defer { close(null) }
        do {
          try await ctx.sendMessage([], descriptors: [Int32](repeating: null, count: 65), on: sender)
          XCTFail("65 descriptors were sent")
        } catch let error as SocketError {
          XCTAssertEqual(error, .invalidArgument("65 descriptors in one message; at most 64"))
        }
        let dir = temporaryDirectory("fdplain")
        defer { removeDirectory(dir) }
        let listener = try ctx.listen(unix: dir + "/plain.sock")
        let plain = try await ctx.connect(unix: dir + "/plain.sock")
        listener.close()
        do {
          try await ctx.sendMessage([1], on: plain)
          XCTFail("sent on a socket that does not carry descriptors")
        } catch let error as SocketError {
          XCTAssertEqual(error, .invalidArgument("the socket does not carry descriptors (Context.carryDescriptors)"))
        }
        for s in [sender, receiver, plain] { s.close() }
      }
    }
  }
}

/// A connected pair of Unix sockets owned by the calling process, both carrying
/// descriptors: (the connecting end, the accepted end).
private func unixPair<M>(_ ctx: Context<M>) async throws -> (Socket, Socket) {
  let dir = temporaryDirectory("fdpass")
  let listener = try ctx.listen(unix: dir + "/pair.sock")
  let near = try await ctx.connect(unix: dir + "/pair.sock")
  let far = try await ctx.accept(listener, timeout: .seconds(5))
  listener.close()
  removeDirectory(dir)
  try ctx.carryDescriptors(on: near)
  try ctx.carryDescriptors(on: far)
  return (near, far)
}

/// A plain blocking Unix socket (the test writes raw frames on it) connected to a socket
/// owned by the calling process that carries descriptors.
private func rawPair<M>(_ ctx: Context<M>) async throws -> (Int32, Socket) {
  let dir = temporaryDirectory("fdraw")
  let path = dir + "/raw.sock"
  let listener = try ctx.listen(unix: path)
  let raw = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
  var address = sockaddr_un()
  address.sun_family = sa_family_t(AF_UNIX)
  withUnsafeMutableBytes(of: &address.sun_path) { $0.copyBytes(from: Array(path.utf8) + [0]) }
  let connected = withUnsafePointer(to: &address) {
    $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(raw, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
  }
  guard connected == 0 else { throw TestError("connect \(path): errno \(errno)") }
  let accepted = try await ctx.accept(listener, timeout: .seconds(5))
  listener.close()
  removeDirectory(dir)
  try ctx.carryDescriptors(on: accepted)
  return (raw, accepted)
}

private func makePipe() throws -> (Int32, Int32) {
  var fds: [Int32] = [-1, -1]
  guard pipe(&fds) == 0 else { throw TestError("pipe: errno \(errno)") }
  for fd in fds { _ = fcntl(fd, F_SETFD, FD_CLOEXEC) }
  return (fds[0], fds[1])
}

/// What can be read from `fd` until end of file.
private func readAll(_ fd: Int32) -> String {
  var out: [UInt8] = []
  var buffer = [UInt8](repeating: 0, count: 256)
  while true {
    let n = read(fd, &buffer, buffer.count)
    if n <= 0 { break }
    out += buffer[0..<n]
  }
  return String(decoding: out, as: UTF8.self)
}
