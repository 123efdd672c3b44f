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
