import OtterTestSupport
import XCTest

@testable import Actors
@testable import GenServer

/// The call protocol and how each failure is reported.
final class CallTests: XCTestCase {
  func testCallTimeoutAndLateReplyDropped() async throws {
    try await withNode { node in
      let (error, leftovers) = try await node.run(Int.self) { ctx -> (CallError?, Int) in
        let server = try await ctx.start(TestServer())!
        var error: CallError?
        do {
          _ = try await ctx.call(server, .deferred, timeout: .milliseconds(20))
        } catch let e as CallError { error = e }
        _ = try await ctx.call(server, .release)  // now the deferred reply is sent, late
        try await ctx.sleep(for: .milliseconds(10))
        var n = 0
        while try await ctx.receive(timeout: .zero) != nil { n += 1 }
        return (error, n)
      }
      XCTAssertEqual(error, .timeout)
      XCTAssertEqual(leftovers, 0)
    }
  }

  func testCallToDeadServerOrUnknownNameIsNoproc() async throws {
    try await withNode { node in
      let server = try await node.start(TestServer())!
      try await node.stop(server)
      do {
        _ = try await node.call(server, .get)
        XCTFail()
      } catch { XCTAssertEqual(error as? CallError, .noproc) }
      do {
        _ = try await node.call("nobody", TestServer.self, .get)
        XCTFail()
      } catch { XCTAssertEqual(error as? CallError, .noproc) }
    }
  }

  func testCallByNameToAServerOfAnotherTypeNamesBothTypes() async throws {
    struct Greeter: SyncGenServer {
      func initialize(_ ctx: ServerContext<Self>) throws -> InitResult<Self> { .ok(()) }
      func handleCall(_ name: String, from: From<String>, state: inout Void, _ ctx: ServerContext<Self>) throws -> CallResult<Self> {
        .reply("hello \(name)")
      }
    }
    try await withNode { node in
      _ = try await node.start(TestServer(), name: "counter")!
      let expected = CallError.wrongType(
        name: "counter", registered: "ServerMessage<TestServer>", expected: "ServerMessage<Greeter>")
      // From outside any process, and from a process: the server is alive, and named,
      // so the answer is not "no such process".
      do {
        _ = try await node.call("counter", Greeter.self, "ann")
        XCTFail("a call to a server of another type went through")
      } catch {
        XCTAssertEqual(error as? CallError, expected)
        XCTAssertEqual(
          "\(error)",
          "the name 'counter' is bound to a process of another type: it takes ServerMessage<TestServer>, not ServerMessage<Greeter>")
      }
      let fromProcess = try await node.run(Never.self) { ctx -> CallError? in
        do {
          _ = try await ctx.call("counter", Greeter.self, "ann")
          return nil
        } catch { return error as? CallError }
      }
      XCTAssertEqual(fromProcess, expected)
      // The server was never sent anything it would not understand.
      let value = try await node.call("counter", TestServer.self, .get)
      XCTAssertEqual(value, 0)
    }
  }

  func testCallingSelfFails() async throws {
    try await withNode { node in
      let journal = Journal()
      let server = try await node.start(TestServer(.ok, journal: journal))!
      do {
        _ = try await node.call(server, .callSelf)
        XCTFail()
      } catch {
        // The server's callback threw callingSelf: it crashed with that reason.
        XCTAssertEqual(error as? CallError, .exited(.error(CallError.callingSelf)))
      }
    }
  }

  func testServerExitDuringCallGivesItsReason() async throws {
    try await withNode { node in
      let server = try await node.start(TestServer())!
      do {
        _ = try await node.call(server, .die(.custom("gone")))
        XCTFail()
      } catch {
        XCTAssertEqual(error as? CallError, .exited(.custom("gone")))
      }
    }
  }

  func testServerKilledDuringCall() async throws {
    try await withNode { node in
      let server = try await node.start(TestServer())!
      async let result: Int = node.call(server, .sleep(.seconds(5)), timeout: .seconds(10))
      try await Task.sleep(for: .milliseconds(20))
      node.exit(server.pid, reason: .kill)
      do {
        _ = try await result
        XCTFail()
      } catch let e as CallError {
        XCTAssertEqual(e, .exited(.killed))
      }
    }
  }

  func testDeferredReplyFromALaterCallback() async throws {
    try await withNode { node in
      let value = try await node.run(Never.self) { ctx -> Int in
        let server = try await ctx.start(TestServer())!
        _ = try await ctx.call(server, .add(7))
        let pending = ctx.sendRequest(server, .deferred)
        _ = try await ctx.call(server, .release)
        return try await ctx.receiveResponse(pending)
      }
      XCTAssertEqual(value, 7)
    }
  }

  func testDeferredReplyFromAnotherProcess() async throws {
    try await withNode { node in
      let server = try await node.start(TestServer())!
      _ = try await node.call(server, .add(1))
      let awaited1 = try await node.call(server, .deferToHelper)
      XCTAssertEqual(awaited1, 1001)
    }
  }

  func testStopWithReplyAnswersThenTerminates() async throws {
    try await withNode { node in
      let journal = Journal()
      let server = try await node.start(TestServer(.ok, journal: journal))!
      let awaited2 = try await node.call(server, .stopWithReply)
      XCTAssertEqual(awaited2, 42)
      let terminated = await journal.waitFor("terminate normal")
      XCTAssertTrue(terminated)
    }
  }

  func testCastAlwaysSucceeds() async throws {
    try await withNode { node in
      let server = try await node.start(TestServer())!
      server.cast(.add(2))
      server.cast(.add(3))
      let awaited3 = try await node.call(server, .get)
      XCTAssertEqual(awaited3, 5)
      try await node.stop(server)
      server.cast(.add(1))  // to a dead server: dropped, no error
    }
  }

  func testNestedCallsAcrossThreeServersOnOneThread() async throws {
    struct Relay: GenServer {
      let next: GenServerRef<Relay>?
      let bump: Int
      func initialize(_ ctx: ServerContext<Self>) async throws -> InitResult<Self> { .ok(()) }
      func handleCall(_ n: Int, from: From<Int>, state: inout Void, _ ctx: ServerContext<Self>) async throws -> CallResult<Self> {
        guard let next else { return .reply(n + bump) }
        return .reply(try await ctx.call(next, n + bump) + bump)
      }
    }
    try await withNode(schedulers: 1) { node in
      let c = try await node.start(Relay(next: nil, bump: 100))!
      let b = try await node.start(Relay(next: c, bump: 10))!
      let a = try await node.start(Relay(next: b, bump: 1))!
      let awaited4 = try await node.call(a, 0)
      XCTAssertEqual(awaited4, 1 + 10 + 100 + 10 + 1)
    }
  }

  // On one thread, calls to an async server go back to back through one dispatcher that
  // also runs the callers it answers; these check what that must not change.

  func testBackToBackCallsWithOneThatSuspendsKeepTheirOrder() async throws {
    try await withNode(schedulers: 1) { node in
      let server = try await node.start(TestServer())!
      let (adds, total) = try await node.run(Int.self) { ctx -> ([Int], Int) in
        let me = ctx.address
        ctx.spawn(Never.self) { c in
          for _ in 0..<20 { _ = try await c.call(server, .sleep(.milliseconds(1))) }
          me.send(-1)
        }
        var adds: [Int] = []
        for _ in 0..<300 { adds.append(try await ctx.call(server, .add(1))) }
        _ = try await ctx.next(timeout: .seconds(10))
        return (adds, try await ctx.call(server, .get))
      }
      XCTAssertEqual(adds, Array(1...300))
      XCTAssertEqual(total, 300)
    }
  }

  func testServerKilledWhileSuspendedInACallFailsEveryCaller() async throws {
    try await withNode(schedulers: 1) { node in
      let server = try await node.start(TestServer())!
      let errors = try await node.run(CallError.self) { ctx -> [CallError] in
        let me = ctx.address
        ctx.spawn(Never.self) { c in
          do {
            while true { _ = try await c.call(server, .add(1)) }
          } catch let e as CallError { me.send(e) }
        }
        try await ctx.sleep(for: .milliseconds(10))
        ctx.spawn(Never.self) { c in
          do {
            _ = try await c.call(server, .sleep(.seconds(5)), timeout: .seconds(10))
          } catch let e as CallError { me.send(e) }
        }
        try await ctx.sleep(for: .milliseconds(20))
        ctx.exit(server.pid, reason: .kill)
        var errors: [CallError] = []
        for _ in 0..<2 { if let e = try await ctx.next(timeout: .seconds(2)) { errors.append(e) } }
        return errors
      }
      XCTAssertEqual(errors.count, 2)
      XCTAssertTrue(errors.contains(.exited(.killed)), "\(errors)")
      for e in errors { XCTAssertTrue(e == .exited(.killed) || e == .noproc, "\(e)") }
    }
  }

  func testCallerKilledWhileTheServerIsSuspendedInItsCall() async throws {
    try await withNode(schedulers: 1) { node in
      let server = try await node.start(TestServer())!
      let caller = node.spawn(Never.self) { ctx in
        _ = try await ctx.call(server, .sleep(.milliseconds(400)), timeout: .seconds(10))
      }
      try await Task.sleep(for: .milliseconds(20))
      let t0 = ContinuousClock.now
      node.exit(caller.pid, reason: .kill)
      try await eventually { !caller.pid.isAlive }
      // The caller ends at once, not when the server's callback is done with it.
      XCTAssertLessThan(ContinuousClock.now - t0, .milliseconds(300))
      let value = try await node.call(server, .add(2))
      XCTAssertEqual(value, 2)
    }
  }

  func testAServerCallingAnotherInALoopOnOneThread() async throws {
    struct Summer: GenServer {
      let counter: GenServerRef<TestServer>
      func initialize(_ ctx: ServerContext<Self>) async throws -> InitResult<Self> { .ok(()) }
      func handleCall(_ n: Int, from: From<Int>, state: inout Void, _ ctx: ServerContext<Self>) async throws -> CallResult<Self> {
        var last = 0
        for _ in 0..<n { last = try await ctx.call(counter, .add(1)) }
        return .reply(last)
      }
    }
    try await withNode(schedulers: 1) { node in
      let counter = try await node.start(TestServer())!
      let summer = try await node.start(Summer(counter: counter))!
      let (first, second) = try await node.run(Int.self) { ctx in
        (try await ctx.call(summer, 500), try await ctx.call(summer, 500))
      }
      XCTAssertEqual(first, 500)
      XCTAssertEqual(second, 1000)
    }
  }

  func testManyConcurrentCallers() async throws {
    try await withNode { node in
      let server = try await node.start(TestServer())!
      let total = try await node.run(Int.self) { ctx -> Int in
        let me = ctx.address
        for _ in 0..<50 {
          ctx.spawn(Never.self) { c in
            for _ in 0..<100 { _ = try await c.call(server, .add(1)) }
            me.send(1)
          }
        }
        for _ in 0..<50 { _ = try await ctx.next() }
        return try await ctx.call(server, .get)
      }
      XCTAssertEqual(total, 5000)
    }
  }
}
