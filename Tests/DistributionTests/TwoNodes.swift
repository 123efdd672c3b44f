// Two nodes in this test process, each with its distribution on a loopback port: enough
// for the link layer (the multi-process tests run real OS processes).
import Actors
import GenServer
import OtterTestSupport
import XCTest

@testable import Distribution

/// A message that crosses: a number, and where to answer.
enum Echo: Transportable, Equatable {
  case ping(Int, replyTo: Address<Echo>)
  case pong(Int)
  case text(String)

  func encode(to w: inout WireEncoder) {
    switch self {
    case .ping(let n, let to):
      w.tag(0)
      w.write(n)
      w.write(to)
    case .pong(let n):
      w.tag(1)
      w.write(n)
    case .text(let s):
      w.tag(2)
      w.write(s)
    }
  }

  init(from r: inout WireDecoder) throws {
    switch try r.tag() {
    case 0: self = .ping(try r.read(), replyTo: try r.read())
    case 1: self = .pong(try r.read())
    case 2: self = .text(try r.read())
    case let t: throw WireError.unknownTag(t, in: "Echo")
    }
  }
}

/// A counter server whose calls can come from another node.
struct Counter: SyncGenServer {
  typealias Request = Int
  typealias Reply = Int
  func initialize(_ ctx: ServerContext<Self>) throws -> InitResult<Self> { .ok(0) }
  func handleCall(_ add: Int, from: From<Int>, state: inout Int, _ ctx: ServerContext<Self>) throws -> CallResult<Self> {
    if add < 0 { throw TestError("a negative add") }
    state += add
    return .reply(state)
  }
}

/// Runs `body` with two connected nodes `a` and `b`.
func withTwoNodes(
  secretA: String = "s3cret", secretB: String = "s3cret", _ body: (Node, Distribution, Node, Distribution) async throws -> Void
) async throws {
  try await withNode(name: "a") { a in
    try await withNode(name: "b") { b in
      let da = try await Distribution.start(DistributionConfiguration(name: "a", secret: secretA), on: a)
      let db = try await Distribution.start(DistributionConfiguration(name: "b", secret: secretB), on: b)
      defer {
        da.stop()
        db.stop()
      }
      try await body(a, da, b, db)
    }
  }
}

/// Spawns an echo process on `node`, registered for other nodes as `name`.
@discardableResult
func startEcho(_ node: Node, _ dist: Distribution, name: String = "echo") throws -> Address<Echo> {
  let echo = node.spawn(Echo.self) { ctx in
    while let m = try await ctx.next() {
      if case .ping(let n, let to) = m { to.send(.pong(n)) }
      if case .text("crash") = m { throw TestError("asked to crash") }
    }
  }
  try dist.register(name, echo)
  return echo
}
