import OtterTestSupport
import XCTest

@testable import Actors
@testable import GenServer
@testable import Supervision

/// An OS child's stdout and stderr, line by line into the node's logger.
final class OSProcessOutputTests: XCTestCase {
  func testLinesReachTheLoggerWithTheChildsID() async throws {
    let capture = LogCapture()
    try await withNode(logger: capture.logger(level: .info)) { node in
      let steps = ["print", "3", "stderr", "something odd", "partial", "no newline at the end", "sleep", "200", "exit", "0"]
      let sup = try await node.start(Supervisor(children: [.osProcess(id: "talker", try testChild(steps), restart: .transient)]))!
      try await eventually("its last line, without a newline, once it ended") {
        capture.all.contains { $0.message == "no newline at the end" }
      }
      let lines = capture.all.filter { $0["child"] == "talker" && $0.source == "OSProcess" }
      let childPid = try XCTUnwrap(lines.first?["os_pid"])
      let out = lines.filter { $0["stream"] == "stdout" }
      XCTAssertEqual(out.map(\.message), ["line 1", "line 2", "line 3", "no newline at the end"])
      XCTAssertTrue(out.allSatisfy { $0.level == .info && $0["os_pid"] == childPid && $0.source == "OSProcess" })
      let err = lines.filter { $0["stream"] == "stderr" }
      XCTAssertEqual(err.map(\.message), ["something odd"])
      XCTAssertEqual(err.first?.level, .warning)
      try await node.stop(sup, reason: .shutdown)
    }
  }

  func testALineLongerThanTheLimitIsLoggedInPieces() async throws {
    let capture = LogCapture()
    try await withNode(logger: capture.logger(level: .info)) { node in
      var spec = try testChild(["long", "150000", "print", "1", "exit", "0"])
      spec.maxLineLength = 65_536
      let sup = try await node.start(Supervisor(children: [.osProcess(id: "long", spec, restart: .temporary)]))!
      try await capture.waitFor("the line after the long one") { $0.message == "line 1" }
      let lines = capture.all.filter { $0["child"] == "long" && $0.source == "OSProcess" }
      XCTAssertEqual(lines.map(\.message.count), [65_536, 65_536, 150_000 - 2 * 65_536, 6])
      XCTAssertEqual(lines.map { $0["cut"] ?? "-" }, ["true", "true", "true", "-"])
      try await node.stop(sup, reason: .shutdown)
    }
  }

  /// 200,000 lines before READY=1: the owner keeps reading while it waits for readiness,
  /// so the child never stays blocked on a full pipe (it would miss its start timeout).
  func testALotOfOutputDoesNotBlockTheChild() async throws {
    try await withNode(logger: LogCapture().logger(level: .error)) { node in
      let sup = try await node.start(Supervisor(children: []))!
      let spec = try testChild(["print", "200000", "ready", "forever"], readiness: .notify(timeout: .seconds(30)))
      let owner = try await node.startChild(sup, .osProcess(id: "chatty", spec))
      XCTAssertNotNil(owner)
      let memory = node.processInfo(owner!)?.memory ?? 0
      XCTAssertLessThan(memory, 1 << 20, "the owner holds no backlog of lines")
      try await node.stop(sup, reason: .shutdown)
    }
  }

  func testOutputLinesCutsKeepsAndFinishes() {
    var lines = OutputLines(maxLength: 4)
    XCTAssertEqual(lines.feed(Array("ab\r\ncd".utf8)).map(\.text), ["ab"])
    XCTAssertEqual(lines.feed(Array("ef\n".utf8)).map(\.text), ["cdef"], "a line of exactly the limit is whole")
    let cut = lines.feed(Array("123456789\nz".utf8))
    XCTAssertEqual(cut, [.init(text: "1234", cut: true), .init(text: "5678", cut: true), .init(text: "9", cut: true)])
    XCTAssertEqual(lines.finish(), .init(text: "z", cut: false))
    XCTAssertNil(lines.finish())
    XCTAssertEqual(lines.feed(Array("\n".utf8)).map(\.text), [""], "an empty line is a line")
  }
}
