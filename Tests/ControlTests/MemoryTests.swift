import OtterTestSupport
import XCTest

@testable import Actors
@testable import Control
@testable import ObserverUI

/// The `memory` operation: the resident set and the allocator's bytes split into parts
/// that add up, each saying how it was counted; what processes report of their own
/// memory; and the memory view that shows it.
final class MemoryTests: XCTestCase {
  func testTheBreakdownAddsUpAndNamesItsParts() async throws {
    let dir = temporaryDirectory()
    defer { removeDirectory(dir) }
    try await withNode { node in
      let known = try await KnownTree.start(on: node, path: "\(dir)/control.sock")
      let client = try ControlClient(path: known.path)
      // A process holding memory the runtime cannot see reports it while it lives.
      let cache = node.spawn(Int.self, state: ()) { _, message, ctx in
        if case .message(1) = message { ctx.reportMemory("test cache", counted: "a made-up figure") { 12_345 } }
        return .continue
      }.pid
      cache.address(as: Int.self)?.send(1)
      try await eventually("the report") { node.memoryReport().parts.contains { $0.name == "test cache" } }

      let m = try client.memory()
      // The kernel's parts make its total; the allocator's parts and the rest make its bytes in use.
      XCTAssertEqual(m.residentTotal, m.residentFiles + m.residentAnonymous + m.residentShared)
      XCTAssertGreaterThan(m.residentFiles, 0)
      XCTAssertEqual(m.parts.reduce(0) { $0 + $1.bytes } + m.unattributed, m.mallocInUse)
      XCTAssertEqual(
        m.otherAnonymous, Int64(m.residentAnonymous) - Int64(m.mallocHeap) - Int64(m.schedulerStacksResident) - Int64(m.mainStack))
      XCTAssertGreaterThanOrEqual(m.mallocHeap, m.mallocInUse - min(m.mallocInUse, 1 << 20), "in use comes out of the heap")
      XCTAssertGreaterThan(m.schedulerStacksReserved, 0)
      XCTAssertGreaterThan(m.schedulerStacksResident, 0)
      XCTAssertLessThanOrEqual(m.schedulerStacksResident, m.schedulerStacksReserved)
      XCTAssertGreaterThan(m.threads, 2)

      let parts = Dictionary(uniqueKeysWithValues: m.parts.map { ($0.name, $0) })
      XCTAssertEqual(Set(parts.keys), ["processes", "schedulers", "sockets", "process table, names", "test cache"])
      XCTAssertEqual(parts["schedulers"]?.count, 2)
      XCTAssertGreaterThanOrEqual(parts["schedulers"]?.bytes ?? 0, 2 * 65_536, "a 64 KiB read buffer each")
      XCTAssertGreaterThanOrEqual(parts["processes"]?.count ?? 0, 10)
      XCTAssertGreaterThanOrEqual(parts["sockets"]?.count ?? 0, 2, "the endpoint's listener and our connection")
      XCTAssertEqual(parts["test cache"]?.bytes, 12_345)
      XCTAssertEqual(parts["test cache"]?.counted, "a made-up figure")
      for part in m.parts { XCTAssertFalse(part.counted.isEmpty, "\(part.name) says how it was counted") }
      XCTAssertEqual(m.parts.map(\.bytes), m.parts.map(\.bytes).sorted(by: >), "largest first")
      XCTAssertEqual(m.processTypes.first { $0.type == "ServerMessage<Vault>" }?.count, 1)
      XCTAssertEqual(m.processTypes.first { $0.type == "Int" }?.count, 6, "lobby, general, three sessions and the cache")

      // The report goes with the process that made it.
      node.exit(cache, reason: .kill)
      try await eventually("the report gone") { !(try client.memory().parts.contains { $0.name == "test cache" }) }

      // On screen, and as `observer --memory` prints it.
      var model = ObserverModel(target: "test")
      XCTAssertEqual(model.handle(.char("4"), now: 0), .refresh)
      XCTAssertEqual(model.view, .memory)
      XCTAssertTrue(model.plan.memory)
      model.height = 40
      model.width = 150
      model.update(Snapshot(system: try client.stats()), memory: m, now: 0)
      let lines = Screen.lines(&model, now: 0).map(\.text)
      for start in [
        "RSS ", "├─ mapped files ", "└─ anonymous ", "   ├─ malloc heap ", "malloc in use ", "└─ not attributed ", "processes by type",
      ] {
        XCTAssertTrue(lines.contains { $0.hasPrefix(start) }, "a line \"\(start)…\":\n\(lines.joined(separator: "\n"))")
      }
      XCTAssertTrue(lines.contains { $0.hasPrefix("├─ schedulers (2) ") })
      var options = ObserverOptions()
      options.mode = .memory
      let text = try OneShot.output(options, client: client)
      XCTAssertTrue(text.hasPrefix("memory of testnode (os pid \(getpid()))\nRSS "), text)
    }
  }

  func testAnOlderNodeWithoutTheOperationIsSaidSo() {
    var model = ObserverModel(target: "test", view: .memory)
    XCTAssertTrue(model.plan.memory)
    model.memoryNotOffered("this node does not offer a memory breakdown")
    XCTAssertFalse(model.plan.memory, "not asked again")
    model.update(Snapshot(system: ObserverModelTests.system), now: 0)
    XCTAssertEqual(Screen.lines(&model, now: 0).map(\.text)[2], "this node does not offer a memory breakdown")
  }
}
