import XCTest
@testable import Actors

final class SmokeTests: XCTestCase {
  func testSpawnAndRun() async throws {
    let node = try Node(schedulers: 2)
    defer { node.shutdown() }
    let r = try await node.run(Int.self) { ctx in 42 }
    XCTAssertEqual(r, 42)
  }

  func testShutdownIdle() async throws {
    let node = try Node(schedulers: 2)
    for _ in 0..<100 {
      node.spawn(Int.self, state: 0) { _, _, _ in .continue }
    }
    XCTAssertEqual(node.table.count, 100)
    let t0 = monotonicNanos()
    node.shutdown()
    print("shutdown took ms", Double(monotonicNanos() - t0) / 1e6, node.table.count)
  }

  func testShutdownIdleFromRun() async throws {
    let node = try Node(schedulers: 2)
    try await node.run(Int.self) { ctx in
      for _ in 0..<100 {
        ctx.spawn(Int.self, state: 0) { _, _, _ in .continue }
      }
    }
    let t0 = monotonicNanos()
    node.shutdown()
    print("shutdown2 took ms", Double(monotonicNanos() - t0) / 1e6, node.table.count)
  }
}
