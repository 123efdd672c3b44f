import OtterTestSupport
import XCTest

@testable import Actors
@testable import GenServer
@testable import Supervision

/// Thousands of a dynamic supervisor's temporary children come and go — each asks a
/// server something with a timeout, then stops by itself or is terminated by the
/// supervisor; afterwards the node holds what it held before (see `checkChurn`).
final class ChurnTests: XCTestCase {
  /// The server the children ask.
  struct Directory: SyncGenServer {
    typealias Request = Int
    typealias Reply = Int
    func initialize(_ ctx: ServerContext<Self>) throws -> InitResult<Self> { .ok(()) }
    func handleCall(_ request: Int, from: From<Int>, state: inout Void, _ ctx: ServerContext<Self>) throws -> CallResult<Self> {
      .reply(request)
    }
  }

  /// A temporary child: asks the directory, then stops when told or waits to be stopped.
  struct Session: GenServer {
    let directory: GenServerRef<Directory>
    enum Cast: Sendable { case askAndStop, ask }

    func initialize(_ ctx: ServerContext<Self>) async throws -> InitResult<Self> {
      ctx.trapExit = true
      return .ok(())
    }

    func handleCast(_ message: Cast, state: inout Void, _ ctx: ServerContext<Self>) async throws -> HandleResult<Self> {
      _ = try await ctx.call(directory, 1, timeout: .seconds(10))
      return message == .askAndStop ? .stop(.normal) : .noreply()
    }
  }

  func testTemporaryChildrenOfADynamicSupervisorComeAndGo() async throws {
    try await withNode { node in
      let directory = try await node.start(Directory())!
      let sup = try await node.start(
        DynamicSupervisor(
          template: DynamicChildSpec<Int>(restart: .temporary) { ctx, _ in
            try await ctx.startLink(Session(directory: directory))?.pid
          }))!
      let n = 3000
      let outcome = try await checkChurn(node, items: n) {
        try await node.run(Never.self) { ctx in
          for i in 0..<n {
            guard let child = try await ctx.startChild(sup, i) else { return XCTFail("the child did not start") }
            ctx.monitor(child)
            let session = GenServerRef(child.address(as: ServerMessage<Session>.self)!)
            if i % 2 == 0 {
              session.cast(.askAndStop)
            } else {
              session.cast(.ask)
              try await ctx.terminateChild(sup, pid: child)
            }
          }
          try await awaitDowns(ctx, n)
          let counts = try await ctx.countChildren(sup)
          XCTAssertEqual(counts.active, 0)
        }
      }
      XCTAssertTrue(outcome.settled, outcome.description)
    }
  }
}

/// Waits for `count` DOWN messages.
func awaitDowns<M>(_ ctx: Context<M>, _ count: Int) async throws {
  for ended in 0..<count {
    let down = try await ctx.receive(timeout: .seconds(30)) { message -> Bool? in
      if case .down = message { return true }
      return nil
    }
    guard down != nil else { return XCTFail("only \(ended) of \(count) processes ended") }
  }
}
