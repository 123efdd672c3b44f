import GenServer
import IRCTestSupport
import OtterTestSupport
import XCTest

@testable import Actors
@testable import ChatApp

/// What a connection keeps once a burst is over, and the memory trimmer that gives the
/// allocator's free memory back: structural checks (capacities, counts), no RSS figure.
final class IdleFootprintTests: XCTestCase {
  /// A sender's burst fills its connection's read path (lines, mailbox) and, with a
  /// receiver that does not read, the receiver's write queue; once both are idle again
  /// neither keeps a buffer the burst grew.
  func testIdleConnectionGivesBackWhatABurstGrew() async throws {
    var config = testConfig()
    // A small kernel buffer, so what the receiver does not read waits in chatd's queue.
    config.kernelSendBuffer = 4096
    try await withChatServer(config) { server in
      let (alice, bob) = try twoMembers(of: "#burst", server)
      let text = String(repeating: "x", count: 300)
      let lines = 1000
      alice.sendRaw(Array((0..<lines).map { "PRIVMSG #burst :\($0) \(text)\r\n" }.joined().utf8))
      let bobClient = try XCTUnwrap(server.services.clients.all.first { $0.nick == "bob" })
      let bobSocket = try XCTUnwrap(bobClient.endpoint as? Socket)
      try await eventually("bob's write queue to grow") { bobSocket.keptStorage.writeQueue }
      _ = try bob.expect("PRIVMSG", containing: "\(lines - 1) x", within: 30)
      for client in server.services.clients.all {
        let socket = try XCTUnwrap(client.endpoint as? Socket)
        try await eventually("\(client.nick) idle") {
          server.node.processInfo(client.pid)?.status == .waiting && socket.pendingBytes == 0
        }
        let kept = socket.keptStorage
        XCTAssertFalse(kept.writeQueue, "\(client.nick): the write queue's array is given back")
        XCTAssertEqual(kept.framerBytes, 0, "\(client.nick): no unfinished line is kept")
        let process = client.pid.core as! Actors.Process<ServerMessage<Connection>>
        let (pending, inbound, saved) = process.lock.withLock {
          (process.pending.capacity, process.inbound.capacity, process.saved.capacity)
        }
        XCTAssertEqual(pending + saved, 0, "\(client.nick): the mailbox keeps no batch")
        XCTAssertLessThanOrEqual(inbound, 8, "\(client.nick): the mailbox keeps a few slots at most")
      }
      _ = alice
    }
  }

  /// Once the node is quiet, the trimmer gives the allocator's free memory back.
  func testMemoryTrimmerTrimsWhenQuiet() async throws {
    var config = testConfig()
    config.memoryTrimInterval = .milliseconds(50)
    try await withChatServer(config) { server in
      let trimmer = try XCTUnwrap(server.node.whereis(ChatServices.memoryTrimmerName))
      // Free memory for it to find: 8 MiB freed in runs between live blocks.
      let blocks = fragmentHeap(blocks: 8192)
      defer { freeBlocks(blocks) }
      let trims = try await eventuallyValue("a trim", timeout: .seconds(10)) { () async -> Int? in
        guard let status = try? await server.node.describeState(of: trimmer) ?? "",
          let n = status.split(separator: "trims ").last?.prefix(while: \.isNumber), let count = Int(n), count > 0
        else { return nil }
        return count
      }
      XCTAssertGreaterThan(trims, 0)
    }
  }

  /// `memoryTrimInterval` nil: no trimmer.
  func testNoTrimmerWhenTurnedOff() async throws {
    var config = testConfig()
    config.memoryTrimInterval = nil
    try await withChatServer(config) { server in
      XCTAssertNil(server.node.whereis(ChatServices.memoryTrimmerName))
    }
  }
}
