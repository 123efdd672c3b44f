// Two nodes in this test process, each with its distribution on a loopback port: enough
// for the link layer (the multi-process tests run real OS processes).
import Actors
@_exported import DistributionExamples
import GenServer
import OtterTestSupport
import XCTest

@testable import Distribution

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
  let echo = node.spawn(Echo.self) { ctx in try await Echo.serve(ctx) }
  try dist.register(name, echo)
  return echo
}
