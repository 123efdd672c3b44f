import OtterTestSupport
import XCTest

@testable import Actors

/// The request/reply protocol under GenServer.call: replies, failures, late replies.
final class RequestTests: XCTestCase {
  enum Req: Sendable {
    case add(Int, ReplyTo<Int>)
    case never(ReplyTo<Int>)
    case die(ReplyTo<Int>)
    case deferred(ReplyTo<Int>)
    case release
  }

  static func makeServer<T>(_ ctx: Context<T>) -> Address<Req> {
    ctx.spawn(Req.self, state: (total: 0, held: [ReplyTo<Int>]())) { st, msg, _ in
      switch msg.value {
      case .add(let n, let r)?:
        st.total += n
        r.reply(st.total)
      case .never?: break
      case .die?: return .stop(.custom("died"))
      case .deferred(let r)?: st.held.append(r)
      case .release?:
        for r in st.held { r.reply(-1) }
        st.held = []
      case nil: break
      }
      return .continue
    }
  }

  func testRequestGetsTheReply() async throws {
    try await withNode { node in
      let total = try await node.run { ctx -> Int in
        let s = RequestTests.makeServer(ctx)
        var last = 0
        for i in 1...100 { last = try await ctx.request(s) { Req.add(i, $0) } }
        return last
      }
      XCTAssertEqual(total, 5050)
    }
  }

  func testRequestToDeadServerIsNoproc() async throws {
    try await withNode { node in
      let error = try await node.run { ctx -> CallError? in
        let s = RequestTests.makeServer(ctx)
        ctx.exit(s.pid, reason: .kill)
        try await ctx.sleep(for: .milliseconds(10))
        do {
          _ = try await ctx.request(s) { Req.add(1, $0) }
          return nil
        } catch let e as CallError { return e }
      }
      XCTAssertEqual(error, .noproc)
    }
  }

  func testServerDyingDuringTheRequestGivesItsReason() async throws {
    try await withNode { node in
      let error = try await node.run { ctx -> CallError? in
        let s = RequestTests.makeServer(ctx)
        do {
          _ = try await ctx.request(s) { Req.die($0) }
          return nil
        } catch let e as CallError { return e }
      }
      XCTAssertEqual(error, .exited(.custom("died")))
    }
  }

  func testServerKilledWithRequestStillQueued() async throws {
    try await withNode(schedulers: 1) { node in
      let error = try await node.run { ctx -> CallError? in
        let s = RequestTests.makeServer(ctx)
        // Kill it while our request is still in its queue.
        let id = ctx.sendRequest(s) { Req.never($0) }
        ctx.exit(s.pid, reason: .kill)
        do {
          _ = try await ctx.receiveResponse(id, timeout: .seconds(5))
          return nil
        } catch let e as CallError { return e }
      }
      XCTAssertEqual(error, .exited(.killed))
    }
  }

  func testTimeoutAndLateReplyIsDropped() async throws {
    try await withNode { node in
      let (error, mailboxAfter) = try await node.run(Int.self) { ctx -> (CallError?, Int) in
        let s = RequestTests.makeServer(ctx)
        var err: CallError?
        do {
          _ = try await ctx.request(s, timeout: .milliseconds(20)) { Req.deferred($0) }
        } catch let e as CallError { err = e }
        s.send(.release)  // the server now replies, too late
        try await ctx.sleep(for: .milliseconds(20))
        var count = 0
        while try await ctx.receive(timeout: .zero) != nil { count += 1 }
        return (err, count)
      }
      XCTAssertEqual(error, .timeout)
      XCTAssertEqual(mailboxAfter, 0, "a late reply never reaches the mailbox")
    }
  }

  func testCallingSelfFails() async throws {
    try await withNode { node in
      let error = try await node.run(Req.self) { ctx -> CallError? in
        do {
          _ = try await ctx.request(ctx.address) { Req.add(1, $0) }
          return nil
        } catch let e as CallError { return e }
      }
      XCTAssertEqual(error, .callingSelf)
    }
  }

  func testDeferredReplyFromAnotherProcess() async throws {
    try await withNode { node in
      let value = try await node.run { ctx -> Int in
        // The server hands the ReplyTo to a helper, which answers.
        let server = ctx.spawn(Req.self, state: ()) { _, msg, c in
          if case .deferred(let r)? = msg.value {
            c.spawn(Never.self) { helper in
              try await helper.sleep(for: .milliseconds(5))
              r.reply(42)
            }
          }
          return .continue
        }
        return try await ctx.request(server) { Req.deferred($0) }
      }
      XCTAssertEqual(value, 42)
    }
  }

  func testSendRequestAndCheckResponse() async throws {
    try await withNode { node in
      let r = try await node.run { ctx -> (Int, Int, Int?) in
        let s = RequestTests.makeServer(ctx)
        let a = ctx.sendRequest(s) { Req.add(10, $0) }
        let b = ctx.sendRequest(s) { Req.add(5, $0) }
        let rb = try await ctx.receiveResponse(b)
        let ra = try await ctx.receiveResponse(a)
        // A request that is never answered: check_response says "not yet".
        let c = ctx.sendRequest(s) { Req.never($0) }
        try await ctx.sleep(for: .milliseconds(5))
        let pending = ctx.checkResponse(c).map { (try? $0.get()) ?? -1 }
        return (ra, rb, pending)
      }
      XCTAssertEqual(r.0, 10)
      XCTAssertEqual(r.1, 15)
      XCTAssertNil(r.2)
    }
  }

  func testKilledWhileWaitingForAReply() async throws {
    try await withNode { node in
      let reason = try await node.run { ctx -> ExitReason in
        let s = RequestTests.makeServer(ctx)
        let (_, ref) = ctx.spawnMonitor(Never.self) { c in
          _ = try await c.request(s, timeout: .infinity) { Req.never($0) }
        }
        try await ctx.sleep(for: .milliseconds(10))
        let caller = node.snapshot().first { $0.status == .waitingForReply }!.pid
        ctx.exit(caller, reason: .kill)
        return try await ctx.receive {
          if case .down(let r, _, let w) = $0, r == ref { return w }
          return nil
        }!
      }
      XCTAssertEqual(reason, .killed)
    }
  }

  func testNestedRequestsDoNotBlockAThread() async throws {
    // One scheduler thread: A asks B, which asks C. Works only if waiting never
    // blocks the thread.
    try await withNode(schedulers: 1) { node in
      let v = try await node.run { ctx -> Int in
        let c = ctx.spawn(Req.self, state: ()) { _, msg, _ in
          if case .add(let n, let r)? = msg.value { r.reply(n * 2) }
          return .continue
        }
        let b = ctx.spawn(Req.self, state: ()) { _, msg, bctx in
          if case .add(let n, let r)? = msg.value {
            let fromC = try await bctx.request(c) { Req.add(n + 1, $0) }
            r.reply(fromC + 1)
          }
          return .continue
        }
        let a = ctx.spawn(Req.self, state: ()) { _, msg, actx in
          if case .add(let n, let r)? = msg.value {
            let fromB = try await actx.request(b) { Req.add(n, $0) }
            r.reply(fromB + 1)
          }
          return .continue
        }
        return try await ctx.request(a) { Req.add(10, $0) }
      }
      XCTAssertEqual(v, (10 + 1) * 2 + 1 + 1)
    }
  }
}
