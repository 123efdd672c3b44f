// Crash reports (OTP's proc_lib crash report and gen_server's "terminating" error): a
// server that ends abnormally logs which process it was, why it ended, the last message
// it was handling and its state as formatStatus shows it; an orderly end, or a kill
// (no code runs), logs none.
import OtterTestSupport
import Synchronization
import XCTest

@testable import Actors
@testable import GenServer

final class CrashReportTests: XCTestCase {
  func testACastThatThrowsIsReportedWithEveryField() async throws {
    let capture = LogCapture()
    try await withNode(logger: capture.logger(label: "testnode")) { node in
      let server = try await node.start(TestServer(), name: "ledger", options: SpawnOptions(label: "the ledger"))!
      server.cast(.add(5))
      server.cast(.throwError)
      let report = try await capture.waitFor("a crash report") { $0.report == "crash" }
      XCTAssertEqual(report.level, .error)
      XCTAssertEqual(report.label, "testnode")
      XCTAssertEqual(report["pid"], server.pid.description)
      XCTAssertEqual(report["name"], "ledger")
      XCTAssertEqual(report["label"], "the ledger")
      XCTAssertEqual(report["server"], "TestServer")
      XCTAssertEqual(report["reason"], "error: Oops(code: 3)")
      XCTAssertEqual(report["last_message"], "cast throwError")
      XCTAssertEqual(report["state"], "value=5 secret=<redacted>", "the state as formatStatus shows it, secrets redacted")
      XCTAssertEqual(report.message, "crash report: TestServer \(server.pid) (ledger) terminated: error: Oops(code: 3)")
      XCTAssertEqual(capture.reports("crash").count, 1)
    }
  }

  /// A peer's bytes may be a password line: the report says how many, not what.
  func testSocketDataIsReportedByItsSizeOnly() async throws {
    struct Listening: SyncGenServer {
      typealias State = Socket
      let port: Port
      final class Port: Sendable {
        let value = Atomic<Int>(0)
      }
      func initialize(_ ctx: ServerContext<Self>) throws -> InitResult<Self> {
        let listener = try ctx.listen(tcp: "127.0.0.1", port: 0)
        try ctx.activate(listener, .once)
        port.value.store(Int(listener.localAddress!.split(separator: ":").last!)!, ordering: .relaxed)
        return .ok(listener)
      }
      func handleInfo(_ message: Message<Never>, state: inout Socket, _ ctx: ServerContext<Self>) throws -> HandleResult<Self> {
        switch message {
        case .io(_, .accepted(let connection)): try ctx.activate(connection, .once)
        case .io(_, .data): throw Oops(code: 1)
        default: break
        }
        return .noreply()
      }
    }
    let capture = LogCapture()
    try await withNode(logger: capture.logger()) { node in
      let port = Listening.Port()
      _ = try await node.start(Listening(port: port))!
      let client = try TestConnection(port: port.value.load(ordering: .relaxed))
      try client.send("PASS hunter2\r\n")
      let report = try await capture.waitFor("a crash report") { $0.report == "crash" }
      let last = try XCTUnwrap(report["last_message"])
      XCTAssertTrue(last.hasSuffix(": data (14 bytes, not shown)"), last)
      XCTAssertFalse(last.contains("80, 65"), last)
    }
  }

  func testACallThatStopsAbnormallyIsReported() async throws {
    let capture = LogCapture()
    try await withNode(logger: capture.logger()) { node in
      let server = try await node.start(TestServer())!
      _ = try? await node.call(server, .die(.custom("ledger out of balance")))
      let report = try await capture.waitFor("a crash report") { $0.report == "crash" }
      XCTAssertEqual(report["reason"], "ledger out of balance")
      XCTAssertEqual(report["last_message"], "call die(ledger out of balance)")
      XCTAssertNil(report["name"])
      XCTAssertNil(report["label"])
    }
  }

  func testASyncServerThatThrowsIsReported() async throws {
    struct Fragile: SyncGenServer {
      typealias Request = Int
      typealias Reply = Int
      func initialize(_ ctx: ServerContext<Self>) throws -> InitResult<Self> { .ok(0) }
      func handleCall(_ n: Int, from: From<Int>, state: inout Int, _ ctx: ServerContext<Self>) throws -> CallResult<Self> {
        if n < 0 { throw Oops(code: n) }
        state += n
        return .reply(state)
      }
    }
    let capture = LogCapture()
    try await withNode(logger: capture.logger()) { node in
      let server = try await node.start(Fragile(), name: "fragile")!
      _ = try await node.call(server, 2)
      _ = try? await node.call(server, -7)
      let report = try await capture.waitFor("a crash report") { $0.report == "crash" }
      XCTAssertEqual(report["server"], "Fragile")
      XCTAssertEqual(report["reason"], "error: Oops(code: -7)")
      XCTAssertEqual(report["last_message"], "call -7")
      XCTAssertEqual(report["state"], "2")
    }
  }

  func testAnInitializeThatFailsIsReported() async throws {
    let capture = LogCapture()
    try await withNode(logger: capture.logger()) { node in
      _ = try? await node.start(TestServer(.throwError))
      let report = try await capture.waitFor("a crash report") { $0.report == "crash" }
      XCTAssertEqual(report["reason"], "error: Oops(code: 1)")
      XCTAssertEqual(report["last_message"], "none (during initialize)")
      XCTAssertEqual(report["state"], "(initializing)")
    }
  }

  func testAnExitFromTheParentWhileTrappingIsReported() async throws {
    let capture = LogCapture()
    try await withNode(logger: capture.logger()) { node in
      let server = try await node.start(TestServer(.trap))!
      node.exit(server.pid, reason: .custom("parent failed"))
      let report = try await capture.waitFor("a crash report") { $0.report == "crash" }
      XCTAssertEqual(report["reason"], "parent failed")
      XCTAssertEqual(report["last_message"], "EXIT from \(node.systemPid): parent failed")
    }
  }

  func testOrderlyEndsAndKillsAreNotReported() async throws {
    let capture = LogCapture()
    try await withNode(logger: capture.logger()) { node in
      let normal = try await node.start(TestServer())!
      normal.cast(.stop(.normal))
      let shutdown = try await node.start(TestServer())!
      try await node.stop(shutdown, reason: .shutdown)
      let detailed = try await node.start(TestServer())!
      detailed.cast(.stop(.shutdownWith("done")))
      let killed = try await node.start(TestServer())!
      node.exit(killed.pid, reason: .kill)
      // Killed in initialize, past its start timeout.
      _ = try? await node.start(TestServer(.sleep(.seconds(10))), timeout: .after(.milliseconds(20)))
      try await eventually("every server gone") { !normal.pid.isAlive && !detailed.pid.isAlive && !killed.pid.isAlive }
      // A crash after them all: once its report is in, theirs would be too.
      let last = try await node.start(TestServer())!
      last.cast(.throwError)
      try await capture.waitFor("the last server's crash report") { $0["pid"] == last.pid.description }
      XCTAssertEqual(capture.reports("crash").count, 1, capture.all.map(\.description).joined(separator: "\n"))
    }
  }

  func testLongMessagesAndStatesAreClipped() async throws {
    struct Big: SyncGenServer {
      typealias Cast = String
      func initialize(_ ctx: ServerContext<Self>) throws -> InitResult<Self> { .ok(String(repeating: "s", count: 10_000)) }
      func handleCast(_ text: String, state: inout String, _ ctx: ServerContext<Self>) throws -> HandleResult<Self> {
        .stop(.custom("too big"))
      }
    }
    let capture = LogCapture()
    try await withNode(logger: capture.logger()) { node in
      let server = try await node.start(Big())!
      server.cast(String(repeating: "m", count: 5_000))
      let report = try await capture.waitFor("a crash report") { $0.report == "crash" }
      let state = try XCTUnwrap(report["state"])
      XCTAssertTrue(state.hasSuffix("… (8000 more characters)"), String(state.suffix(40)))
      XCTAssertEqual(state.count, CrashReport.textLimit + "… (8000 more characters)".count)
      XCTAssertTrue(try XCTUnwrap(report["last_message"]).hasSuffix("… (3005 more characters)"))
    }
  }
}
