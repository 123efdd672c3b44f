// The GenServer tests' subject: a server configurable to answer every way a callback can.
import OtterTestSupport

@testable import Actors
@testable import GenServer

struct Oops: Error, Equatable { let code: Int }

/// A configurable server used by most tests.
struct TestServer: GenServer {
  enum Init: Sendable {
    case ok
    case okTimeout(Duration)
    case okContinue, okHibernate, ignore
    case stop(ExitReason)
    case throwError
    case sleep(Duration)
    case trap
  }
  enum Request: Sendable {
    case get
    case add(Int)
    case sleep(Duration)
    case die(ExitReason)
    case stopWithReply, deferred, release, deferToHelper, callSelf, throwError
  }
  enum Cast: Sendable {
    case add(Int)
    case stop(ExitReason)
    case throwError
  }
  enum Info: Sendable { case ping(String) }
  typealias Continue = String

  struct State: Sendable {
    var value = 0
    var held: [From<Int>] = []
    var secret = "hunter2"
  }

  let initialization: Init
  let journal: Journal

  init(_ initialization: Init = .ok, journal: Journal = Journal()) {
    self.initialization = initialization
    self.journal = journal
  }

  func initialize(_ ctx: ServerContext<Self>) async throws -> InitResult<Self> {
    journal.add("init")
    switch initialization {
    case .ok: return .ok(State())
    case .okTimeout(let d): return .ok(State(), .timeout(d))
    case .okContinue: return .ok(State(), .continue("from init"))
    case .okHibernate: return .ok(State(), .hibernate)
    case .ignore: return .ignore
    case .stop(let r): return .stop(r)
    case .throwError: throw Oops(code: 1)
    case .sleep(let d):
      try await ctx.sleep(for: d)
      return .ok(State())
    case .trap:
      ctx.trapExit = true
      return .ok(State())
    }
  }

  func handleCall(_ request: Request, from: From<Int>, state: inout State, _ ctx: ServerContext<Self>) async throws -> CallResult<Self> {
    switch request {
    case .get: return .reply(state.value)
    case .add(let n):
      state.value += n
      return .reply(state.value)
    case .sleep(let d):
      try await ctx.sleep(for: d)
      return .reply(state.value)
    case .die(let r): return .stop(r)
    case .stopWithReply: return .stop(.normal, reply: 42)
    case .deferred:
      state.held.append(from)
      return .noreply()
    case .release:
      for f in state.held { f.reply(state.value) }
      state.held = []
      return .reply(-1)
    case .deferToHelper:
      let v = state.value
      ctx.spawn(Never.self) { helper in
        try await helper.sleep(for: .milliseconds(5))
        from.reply(v + 1000)
      }
      return .noreply()
    case .callSelf:
      let me = GenServerRef<TestServer>(ctx.address)
      _ = try await ctx.call(me, .get)
      return .reply(0)
    case .throwError: throw Oops(code: 2)
    }
  }

  func handleCast(_ message: Cast, state: inout State, _ ctx: ServerContext<Self>) async throws -> HandleResult<Self> {
    switch message {
    case .add(let n):
      state.value += n
      return .noreply()
    case .stop(let r): return .stop(r)
    case .throwError: throw Oops(code: 3)
    }
  }

  func handleInfo(_ message: Message<Info>, state: inout State, _ ctx: ServerContext<Self>) async throws -> HandleResult<Self> {
    switch message {
    case .message(.ping(let s)): journal.add("info ping \(s)")
    case .timeout: journal.add("info timeout")
    case .exit(_, let r): journal.add("info exit \(r)")
    case .down(_, _, let r): journal.add("info down \(r)")
    case .timer(_, .ping(let s)): journal.add("info timer \(s)")
    case .io: journal.add("info io")
    }
    return .noreply()
  }

  func handleContinue(_ value: String, state: inout State, _ ctx: ServerContext<Self>) async throws -> HandleResult<Self> {
    journal.add("continue \(value)")
    return .noreply()
  }

  func terminate(_ reason: ExitReason, state: inout State, _ ctx: ServerContext<Self>) async {
    journal.add("terminate \(reason)")
  }

  func formatStatus(_ state: State) -> String { "value=\(state.value) secret=<redacted>" }
}
