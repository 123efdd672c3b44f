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
}
