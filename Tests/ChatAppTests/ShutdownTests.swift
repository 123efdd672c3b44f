// A stopping chatd tells each client goodbye and loses nothing it accepted: checked on
// `ChatServer` itself here (and on the built binary, with SIGTERM and a WebSocket client
// too, in ChatWebTests/ChatdBinaryTests.swift).
import Foundation
import IRCTestSupport
import OtterTestSupport
import XCTest

@testable import Actors
@testable import ChatApp

final class ShutdownTests: XCTestCase {
  /// The text of every message in the history database at `path`.
  static func storedTexts(_ path: String) throws -> [String] {
    let db = try SQLiteDatabase(path: path)
    let rows = try db.prepare("SELECT text FROM messages ORDER BY id")
    var texts: [String] = []
    while try rows.step() { texts.append(rows.string(0)) }
    return texts
  }

  func testEveryClientHearsWhyBeforeTheEndAndTheLastMessageIsKept() async throws {
    let dir = temporaryDirectory("shutdown")
    defer { removeDirectory(dir) }
    let server = try await ChatServer.start(testConfig(dataDirectory: dir), on: try Node(schedulers: 2))
    let (alice, bob) = try twoMembers(of: "#last", server)
    alice.send("PRIVMSG #last :said just before the end")
    try bob.expect("PRIVMSG", containing: "said just before the end")
    server.stop()
    let running = Task { await server.run() }
    for client in [alice, bob] {
      try client.expectClosed()
      // The ERROR is the last line: nothing (another member's QUIT, say) comes after it.
      XCTAssertEqual(client.backlog.last?.command, "ERROR", "\(client.nick): \(client.backlog)")
      XCTAssertEqual(client.backlog.last?.params, ["Closing Link: 127.0.0.1 (Server shutting down)"])
    }
    let status = await running.value
    XCTAssertEqual(status, ChatExitStatus.stopped.rawValue)
    XCTAssertEqual(try Self.storedTexts(dir + "/history.sqlite3"), ["said just before the end"])
  }

  func testWhatIsQueuedForASlowReaderIsWrittenBeforeTheGoodbye() async throws {
    var config = testConfig()
    config.kernelSendBuffer = 16 * 1024
    let server = try await ChatServer.start(config, on: try Node(schedulers: 2))
    let talker = try IRCTestClient(port: server.ircPort)
    let reader = try IRCTestClient(port: server.ircPort, receiveBuffer: 4096)
    try talker.register("talker")
    try reader.register("reader")
    for client in [talker, reader] { try client.join("#queue") }
    // The reader stops reading: 200 lines of ~400 bytes (80 KB) are more than its
    // kernel buffers hold, so most of them wait in the server's queue for its socket.
    let text = String(repeating: "q", count: 380)
    for i in 0..<200 { talker.send("PRIVMSG #queue :\(i) \(text)") }
    talker.send("PING :sent")
    try talker.expect("PONG", containing: "sent")
    server.stop()
    let running = Task { await server.run() }
    try reader.expectClosed()
    let lines = reader.backlog.filter { $0.command == "PRIVMSG" }.map { $0.params[1] }
    XCTAssertEqual(lines, (0..<200).map { "\($0) \(text)" }, "every line queued before the stop, in order")
    XCTAssertEqual(reader.backlog.last?.command, "ERROR")
    _ = await running.value
    removeDirectory(config.dataDirectory)
  }
}
