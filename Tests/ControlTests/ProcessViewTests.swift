import OtterTestSupport
import XCTest

@testable import Actors
@testable import Control
@testable import ObserverUI

/// The process view's additions, observer_cli's "process info" in our terms: the first
/// messages in a process's mailbox with their Swift types, its memory part by part, and
/// the bytes through the sockets it owns — over the wire, then on the screen.
final class ProcessViewTests: XCTestCase {
  enum Job: Sendable {
    case go
    case deliver(to: String, text: String)
    case retry(Int)
  }

  func testQueuedMessagesMemoryAndIOOverTheWireAndOnScreen() async throws {
    let dir = temporaryDirectory()
    defer { removeDirectory(dir) }
    try await withNode { node in
      let endpoint = try await Control.start(on: node, EndpointOptions(path: "\(dir)/c.sock", discoveryDirectory: nil))
      let client = try ControlClient(path: endpoint.path)
      // A process stuck waiting for `.go` while work piles up behind it.
      let stuck = node.spawn(Job.self, options: SpawnOptions(label: "stuck")) { ctx in
        _ = try await ctx.receive { if case .message(.go) = $0 { true } else { nil } }
      }.pid
      let address = try XCTUnwrap(stuck.address(as: Job.self))
      address.send(.deliver(to: "bob", text: "the launch code is 1234"))
      for n in 0..<4 { address.send(.retry(n)) }
      try await eventually("five queued") { node.processInfo(stuck)?.messageQueueLength == 5 }

      let detail = try client.process(ProcessID(stuck), messages: 3)
      XCTAssertEqual(detail.row.messageQueueLength, 5)
      XCTAssertEqual(
        detail.messages,
        [
          MessageRow(type: "Job", summary: "deliver"), MessageRow(type: "Job", summary: "retry"), MessageRow(type: "Job", summary: "retry"),
        ])
      XCTAssertEqual(detail.messagesInBatch, 0)
      let parts = try XCTUnwrap(detail.memoryParts)
      XCTAssertEqual(parts.object + parts.mailbox + parts.tables, detail.row.memory, "the parts make the whole")
      XCTAssertGreaterThan(parts.mailbox, 0, "five messages held")
      XCTAssertNil(detail.row.io, "owns no socket")
      XCTAssertEqual(try client.process(ProcessID(stuck)).messages?.count, 5, "20 by default")
      XCTAssertNil(try client.process(ProcessID(stuck), messages: 0).messages)
      XCTAssertThrowsError(try client.process(ProcessID(stuck), messages: 5000)) { error in
        XCTAssertTrue("\(error)".contains("messages must be in 0...1000, not 5000"), "\(error)")
      }

      // The connection serving us owns our socket: its traffic is in its row.
      let mine = try XCTUnwrap(client.sockets().first { $0.kind == "unix" })
      let top = try client.top(sort: .reductions, limit: 100)
      let row = try XCTUnwrap(top.rows.first { $0.pid == mine.owner })
      XCTAssertGreaterThan(row.io?.bytesIn ?? 0, 0)
      XCTAssertGreaterThan(row.io?.bytesOut ?? 0, 0)

      // On screen: the top view gains IO columns when wide; the process view lists the
      // messages (no payload), the memory parts and the traffic.
      var m = ObserverModel(target: "test", view: .top)
      m.width = 130
      m.update(
        Snapshot(system: try client.stats(), top: TopPage(sort: .reductions, total: 1, offset: 0, interval: nil, rows: [row])), now: 0)
      var lines = Screen.lines(&m, now: 0).map(\.text)
      XCTAssertTrue(lines[2].contains("IO IN") && lines[2].contains("IO OUT"), lines[2])
      XCTAssertEqual(m.handle(.enter, now: 0), .refresh)
      m.update(Snapshot(system: try client.stats()), detail: try client.process(mine.owner), now: 0)
      lines = Screen.lines(&m, now: 0).map(\.text)
      XCTAssertTrue(lines.contains { $0.hasPrefix("io: in ") && $0.hasSuffix("on the 1 socket(s) it owns") }, lines.joined(separator: "\n"))
      XCTAssertTrue(lines.contains { $0.hasPrefix("memory: object ") }, lines.joined(separator: "\n"))

      _ = m.handle(.escape, now: 0)
      m.update(
        Snapshot(system: try client.stats(), top: TopPage(sort: .reductions, total: 1, offset: 0, interval: nil, rows: [detail.row])),
        now: 0)
      _ = m.handle(.enter, now: 0)
      m.height = 40
      m.update(Snapshot(system: try client.stats()), detail: detail, now: 0)
      lines = Screen.lines(&m, now: 0).map(\.text)
      let at = try XCTUnwrap(
        lines.firstIndex { $0.hasPrefix("messages queued: 5, the first shown (type, cases)") }, lines.joined(separator: "\n"))
      XCTAssertEqual(Array(lines[(at + 1)...(at + 3)]), ["     1. Job  deliver", "     2. Job  retry", "     3. Job  retry"])
      XCTAssertFalse(lines.contains { $0.contains("launch code") || $0.contains("bob") })
      address.send(.go)
    }
  }
}
