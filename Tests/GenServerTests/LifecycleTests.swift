import OtterTestSupport
import XCTest

@testable import Actors
@testable import GenServer

/// handleInfo, terminate on each path, stop, introspection.
final class LifecycleTests: XCTestCase {
  func testHandleInfoGetsInfosExitsDownsAndTimers() async throws {
    struct Watcher: GenServer {
      enum Request: Sendable {
        case link(Pid)
        case monitor(Pid)
        case timer
      }
      let journal: Journal
      func initialize(_ ctx: ServerContext<Self>) async throws -> InitResult<Self> {
        ctx.trapExit = true
        return .ok(())
      }
      func handleCall(_ request: Request, from: From<Bool>, state: inout Void, _ ctx: ServerContext<Self>) async throws -> CallResult<Self>
      {
        switch request {
        case .link(let pid): ctx.link(pid)
        case .monitor(let pid): ctx.monitor(pid)
        case .timer: ctx.startTimer(.milliseconds(5), .info("tick"))
        }
        return .reply(true)
      }
      func handleInfo(_ message: Message<String>, state: inout Void, _ ctx: ServerContext<Self>) async throws -> HandleResult<Self> {
        switch message {
        case .message(let s): journal.add("info \(s)")
        case .exit(_, let r): journal.add("exit \(r)")
        case .down(_, _, let r): journal.add("down \(r)")
        case .timer(_, let s): journal.add("timer \(s)")
        case .timeout: journal.add("timeout")
        case .io: journal.add("io")
        }
        return .noreply()
      }
    }
    try await withNode { node in
      let journal = Journal()
      let server = try await node.start(Watcher(journal: journal))!
      server.send("hello")
      let a = node.spawn(Int.self, state: ()) { _, _, _ in .stop(.normal) }
      let b = node.spawn(Int.self, state: ()) { _, _, _ in .stop(.custom("b")) }
      _ = try await node.call(server, .link(a.pid))
      _ = try await node.call(server, .monitor(b.pid))
      _ = try await node.call(server, .timer)
      a.send(0)
      b.send(0)
      for expected in ["info hello", "exit normal", "down b", "timer tick"] {
        let seen = await journal.waitFor(expected)
        XCTAssertTrue(seen, "missing \(expected) in \(journal.all)")
      }
      XCTAssertTrue(server.pid.isAlive, "a trapping server lives on after a linked process exits")
    }
  }

  func testTerminateRunsOnStopResultFromCast() async throws {
    try await withNode { node in
      let journal = Journal()
      let server = try await node.start(TestServer(.ok, journal: journal))!
      server.cast(.stop(.shutdown))
      let awaited4 = await journal.waitFor("terminate shutdown")
      XCTAssertTrue(awaited4)
      try await Task.sleep(for: .milliseconds(5))
      XCTAssertFalse(server.pid.isAlive)
    }
  }

  func testTerminateRunsWhenACallbackThrows() async throws {
    try await withNode { node in
      let journal = Journal()
      let server = try await node.start(TestServer(.ok, journal: journal))!
      server.cast(.throwError)
      let awaited5 = await journal.waitFor("terminate error: Oops(code: 3)")
      XCTAssertTrue(awaited5)
    }
  }

  func testTerminateRunsOnParentExitWhenTrapping() async throws {
    try await withNode { node in
      let journal = Journal()
      let server = try await node.run(Never.self) { ctx -> GenServerRef<TestServer> in
        try await ctx.startLink(TestServer(.trap, journal: journal))!
      }
      // The parent (the run process) has exited with `normal`; the server traps exits:
      // it must terminate with the parent's reason.
      let awaited6 = await journal.waitFor("terminate normal")
      XCTAssertTrue(awaited6)
      try await Task.sleep(for: .milliseconds(5))
      XCTAssertFalse(server.pid.isAlive)
    }
  }

  func testTerminateDoesNotRunOnKill() async throws {
    try await withNode { node in
      let journal = Journal()
      let server = try await node.start(TestServer(.trap, journal: journal))!
      node.exit(server.pid, reason: .kill)
      try await Task.sleep(for: .milliseconds(30))
      XCTAssertFalse(server.pid.isAlive)
      XCTAssertFalse(journal.all.contains { $0.hasPrefix("terminate") })
    }
  }

  func testStopRunsTerminateAndWaitsForTheExit() async throws {
    try await withNode { node in
      let journal = Journal()
      let server = try await node.start(TestServer(.ok, journal: journal))!
      try await node.stop(server, reason: .shutdown, timeout: .seconds(2))
      XCTAssertTrue(journal.all.contains("terminate shutdown"))
      XCTAssertFalse(server.pid.isAlive, "stop returns after the process has exited")
      do {
        try await node.stop(server)
        XCTFail()
      } catch { XCTAssertEqual(error as? CallError, .noproc) }
    }
  }

  func testStopTimesOutOnABusyServer() async throws {
    try await withNode { node in
      let server = try await node.start(TestServer())!
      async let busy: Int = node.call(server, .sleep(.milliseconds(300)), timeout: .seconds(5))
      try await Task.sleep(for: .milliseconds(10))
      do {
        try await node.stop(server, timeout: .milliseconds(30))
        XCTFail()
      } catch {
        XCTAssertEqual(error as? CallError, .timeout)
      }
      _ = try await busy
    }
  }

  func testStatusAndStateWithRedaction() async throws {
    try await withNode { node in
      let server = try await node.start(TestServer(), name: "status-test")!
      _ = try await node.call(server, .add(9))
      let status = try await node.status(of: server)
      XCTAssertEqual(status.state, "value=9 secret=<redacted>")
      XCTAssertEqual(status.registeredName, "status-test")
      XCTAssertEqual(status.module, "TestServer")
      XCTAssertFalse(status.description.contains("hunter2"))
      let state = try await node.state(of: server)
      XCTAssertEqual(state.value, 9)
      // The observer's path: describe any process by pid.
      let described = try await node.describeState(of: server.pid)
      XCTAssertEqual(described, "TestServer: value=9 secret=<redacted>")
    }
  }

  func testDescribeStateOfAPlainProcessAndDeadOne() async throws {
    try await withNode { node in
      let plain = node.spawn(Int.self, state: ()) { _, _, _ in .continue }
      let awaited7 = try await node.describeState(of: plain.pid)
      XCTAssertNil(awaited7)
      node.exit(plain.pid, reason: .kill)
      try await Task.sleep(for: .milliseconds(10))
      do {
        _ = try await node.describeState(of: plain.pid)
        XCTFail()
      } catch { XCTAssertEqual(error as? CallError, .noproc) }
    }
  }

  func testIdleTimeoutFromACallbackResetsOnMessages() async throws {
    struct Ticker: GenServer {
      let journal: Journal
      func initialize(_ ctx: ServerContext<Self>) async throws -> InitResult<Self> { .ok(0, .timeout(.milliseconds(40))) }
      func handleCast(_ n: Int, state: inout Int, _ ctx: ServerContext<Self>) async throws -> HandleResult<Self> {
        .noreply(.timeout(.milliseconds(40)))
      }
      func handleInfo(_ message: Message<Never>, state: inout Int, _ ctx: ServerContext<Self>) async throws -> HandleResult<Self> {
        if case .timeout = message { journal.add("timeout") }
        return .noreply()
      }
    }
    try await withNode { node in
      let journal = Journal()
      let t0 = ContinuousClock.now
      let server = try await node.start(Ticker(journal: journal))!
      for _ in 0..<4 {
        try await Task.sleep(for: .milliseconds(20))
        server.cast(1)
      }
      let awaited8 = await journal.waitFor("timeout")
      XCTAssertTrue(awaited8)
      XCTAssertGreaterThan(ContinuousClock.now - t0, .milliseconds(110), "each cast pushed the timeout back")
      XCTAssertEqual(journal.all, ["timeout"])
    }
  }
}
