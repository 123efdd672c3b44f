// swift-format-ignore-file
// (The README's example, verbatim: its aligned comments included.)
import XCTest
import Actors

/// The example in README.md, verbatim, so that it keeps compiling and doing what it says.
final class ReadmeExampleTests: XCTestCase {
  func testReadmeExample() async throws {
    enum Counter: Sendable { case add(Int), get(ReplyTo<Int>) }

    let node = try Node()                                   // one scheduler per core
    let counter = node.spawn(Counter.self, state: 0) { total, message, _ in
      switch message.value {                                // a handler per message
      case .add(let n)?: total += n
      case .get(let reply)?: reply.reply(total)
      case nil: break                                       // EXIT, DOWN, timers...
      }
      return .continue
    }
    let result = try await node.run(Never.self) { ctx in   // a process, from outside
      let ref = ctx.monitor(counter.pid)                    // DOWN when it ends
      for i in 1...10 { counter.send(.add(i)) }
      let total = try await ctx.request(counter) { Counter.get($0) }
      ctx.exit(counter.pid, reason: .kill)
      _ = try await ctx.receive { if case .down(ref, _, .killed) = $0 { true } else { nil } }
      return total                                          // 55
    }
    node.shutdown()
    XCTAssertEqual(result, 55)
  }
}
