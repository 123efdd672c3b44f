import OtterTestSupport
import XCTest

@testable import Actors
@testable import GenServer

/// Thousands of servers that call another server with a timeout and then stop come and
/// go (a chat connection's shape: it asks its room something, then quits); afterwards the
/// node holds what it held before (see `checkChurn`).
final class ChurnTests: XCTestCase {
  /// A long-lived server: answers `.echo`, never answers the others.
  struct Backend: SyncGenServer {
    enum Request: Sendable {
      case echo(Int)
      case ignore
      /// Not answered; the caller's pid goes to `tell`.
      case ignoreAndTell(Address<Pid>)
    }
    typealias Reply = Int

    func initialize(_ ctx: ServerContext<Self>) throws -> InitResult<Self> { .ok(()) }

    func handleCall(_ request: Request, from: From<Int>, state: inout Void, _ ctx: ServerContext<Self>) throws -> CallResult<Self> {
      switch request {
      case .echo(let n): return .reply(n)
      case .ignore: return .noreply()
      case .ignoreAndTell(let tell):
        tell.send(from.caller!)
        return .noreply()
      }
    }
  }

  /// A short-lived server: told to, it calls the backend with a timeout and stops in the
  /// same callback.
  struct Caller: GenServer {
    let backend: GenServerRef<Backend>
    enum Cast: Sendable {
      case callAndStop(Backend.Request, Timeout)
    }

    func initialize(_ ctx: ServerContext<Self>) async throws -> InitResult<Self> { .ok(()) }

    func handleCast(_ message: Cast, state: inout Void, _ ctx: ServerContext<Self>) async throws -> HandleResult<Self> {
      guard case .callAndStop(let request, let timeout) = message else { return .noreply() }
      _ = try? await ctx.call(backend, request, timeout: timeout)
      return .stop(.normal)
    }
  }

  func testServersThatCallWithATimeoutAndStopComeAndGo() async throws {
    try await withNode { node in
      let backend = try await node.start(Backend())!
      let n = 3000
      let outcome = try await checkChurn(node, items: n) {
        try await node.run(Pid.self) { ctx in
          let driver = ctx.address
          for i in 0..<n {
            guard let (caller, _) = try await ctx.startMonitor(Caller(backend: backend)) else {
              return XCTFail("the caller did not start")
            }
            switch i % 3 {
            case 0: caller.cast(.callAndStop(.echo(i), .seconds(10)))
            case 1: caller.cast(.callAndStop(.ignore, .milliseconds(1)))
            default: caller.cast(.callAndStop(.ignoreAndTell(driver), .seconds(30)))
            }
            // Callers waiting for a reply that will not come are killed.
            while let waiting = try await ctx.next(timeout: .zero) { ctx.exit(waiting, reason: .kill) }
          }
          var ended = 0
          while ended < n {
            switch try await ctx.receive(timeout: .seconds(30)) {
            case .message(let waiting)?: ctx.exit(waiting, reason: .kill)
            case .down?: ended += 1
            case nil: return XCTFail("only \(ended) of \(n) callers ended")
            default: break
            }
          }
          // The backend lets the calls it was sent go once they have settled and it has
          // gone idle: have it go idle once more after the last of them.
          let echoed = try await ctx.call(backend, .echo(-1), timeout: .seconds(10))
          XCTAssertEqual(echoed, -1)
        }
      }
      XCTAssertTrue(outcome.settled, outcome.description)
    }
  }
}
