import OtterTestSupport
import XCTest

@testable import Actors
@testable import GenServer

/// Each return of `initialize`, names, timeouts (as OTP documents them).
final class StartTests: XCTestCase {
  func testInitOkStartsAfterInitHasRun() async throws {
    try await withNode { node in
      let journal = Journal()
      let server = try await node.start(TestServer(.ok, journal: journal))
      XCTAssertEqual(journal.all, ["init"], "start returned after initialize ran")
      let awaited1 = try await node.call(server!, .add(5))
      XCTAssertEqual(awaited1, 5)
    }
  }

  func testInitWithTimeoutDeliversATimeoutInfo() async throws {
    try await withNode { node in
      let journal = Journal()
      _ = try await node.start(TestServer(.okTimeout(.milliseconds(20)), journal: journal))
      let got = await journal.waitFor("info timeout")
      XCTAssertTrue(got)
    }
  }

  func testInitWithContinueRunsHandleContinueFirst() async throws {
    try await withNode { node in
      let journal = Journal()
      let server = try await node.start(TestServer(.okContinue, journal: journal))!
      _ = try await node.call(server, .get)
      XCTAssertEqual(journal.all, ["init", "continue from init"])
    }
  }

  func testInitWithHibernateStarts() async throws {
    try await withNode { node in
      let server = try await node.start(TestServer(.okHibernate))!
      let awaited2 = try await node.call(server, .add(1))
      XCTAssertEqual(awaited2, 1)
    }
  }

  func testIgnoreReturnsNilAndTheProcessHasEnded() async throws {
    try await withNode { node in
      let before = node.processCount
      let server = try await node.start(TestServer(.ignore))
      XCTAssertNil(server)
      // The process acknowledges `ignore` and then ends (as in OTP, the caller may see
      // the answer a moment before the process has left the table): wait, bounded.
      for _ in 0..<200 where node.processCount != before { try await Task.sleep(for: .milliseconds(5)) }
      XCTAssertEqual(node.processCount, before)
    }
  }

  func testStopFromInitFailsTheStartWithNoExitSignalLeft() async throws {
    try await withNode { node in
      let (error, leftover, alive) = try await node.run(Never.self) { ctx -> (StartError?, Int, Bool) in
        ctx.trapExit = true
        var failure: StartError?
        do {
          _ = try await ctx.startLink(TestServer(.stop(.custom("no"))))
        } catch let e as StartError {
          failure = e
        }
        try await ctx.sleep(for: .milliseconds(20))
        var leftover = 0
        while try await ctx.receive(timeout: .zero) != nil { leftover += 1 }
        return (failure, leftover, ctx.pid.isAlive)
      }
      XCTAssertEqual(error, .failed(.custom("no")))
      XCTAssertEqual(leftover, 0, "no EXIT message from the failed start")
      XCTAssertTrue(alive)
    }
  }

  func testFailedStartDoesNotKillANonTrappingParent() async throws {
    try await withNode { node in
      let survived = try await node.run(Never.self) { ctx -> Bool in
        do {
          _ = try await ctx.startLink(TestServer(.throwError))
          return false
        } catch let e as StartError {
          guard case .failed(.error(let inner)) = e else { return false }
          XCTAssertEqual(inner as? Oops, Oops(code: 1))
        }
        try await ctx.sleep(for: .milliseconds(20))
        return true
      }
      XCTAssertTrue(survived)
    }
  }

  func testStartTimeoutKillsTheServer() async throws {
    try await withNode { node in
      let before = node.processCount
      let error = try await node.run(Never.self) { ctx -> StartError? in
        do {
          _ = try await ctx.startLink(TestServer(.sleep(.seconds(10))), timeout: .milliseconds(30))
          return nil
        } catch let e as StartError {
          return e
        }
      }
      XCTAssertEqual(error, .timeout)
      try await Task.sleep(for: .milliseconds(20))
      XCTAssertEqual(node.processCount, before, "the slow server was killed")
    }
  }

  func testNameClashReportsAlreadyStartedWithThePid() async throws {
    try await withNode { node in
      let first = try await node.start(TestServer(), name: "svc")!
      XCTAssertEqual(node.whereis("svc"), first.pid)
      do {
        _ = try await node.start(TestServer(), name: "svc")
        XCTFail("second start should fail")
      } catch {
        XCTAssertEqual(error as? StartError, .alreadyStarted(first.pid))
      }
      let awaited3 = try await node.call("svc", TestServer.self, .add(3))
      XCTAssertEqual(awaited3, 3)
    }
  }

  func testStartMonitorGivesAMonitor() async throws {
    try await withNode { node in
      let reason = try await node.run(Never.self) { ctx -> ExitReason in
        let (server, ref) = try await ctx.startMonitor(TestServer())!
        server.cast(.stop(.custom("bye")))
        return try await ctx.receive {
          if case .down(let r, _, let why) = $0, r == ref { return why }
          return nil
        }!
      }
      XCTAssertEqual(reason, .custom("bye"))
    }
  }

  func testSyncGenServerStartsAndServes() async throws {
    struct Adder: SyncGenServer {
      func initialize(_ ctx: ServerContext<Self>) throws -> InitResult<Self> { .ok(10) }
      func handleCall(_ n: Int, from: From<Int>, state: inout Int, _ ctx: ServerContext<Self>) throws -> CallResult<Self> {
        state += n
        return .reply(state)
      }
      func handleCast(_ reason: String, state: inout Int, _ ctx: ServerContext<Self>) throws -> HandleResult<Self> {
        .stop(.custom(reason))
      }
    }
    try await withNode { node in
      let server = try await node.start(Adder())!
      let awaited4 = try await node.call(server, 5)
      XCTAssertEqual(awaited4, 15)
      let reason = try await node.run(Never.self) { ctx -> ExitReason in
        let ref = ctx.monitor(server.pid)
        server.cast("done")
        return try await ctx.receive {
          if case .down(let r, _, let why) = $0, r == ref { return why }
          return nil
        }!
      }
      XCTAssertEqual(reason, .custom("done"))
    }
  }
}
