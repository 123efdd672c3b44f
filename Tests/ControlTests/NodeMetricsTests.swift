// NodeMetrics on a node started here: the figures describe the node, the text parses by
// the format's rules, and supervisors' restarts are counted per supervisor path — and a
// supervisor that cannot answer is left out instead of holding the scrape up.
import OtterTestSupport
import XCTest

@testable import Actors
@testable import Control
@testable import GenServer
@testable import Supervision

final class NodeMetricsTests: XCTestCase {
  /// Scrapes `node` as an endpoint would and reads the text back strictly.
  private func scrape(_ node: Node, root: TreeRoot = .automatic, caller: Pid? = nil, timeout: Duration = .seconds(2)) async throws
    -> PrometheusExposition
  {
    let text = PrometheusText.render(await NodeMetrics.collect(node, root: root, caller: caller, timeout: timeout))
    return try PrometheusExposition(parsing: text)
  }

  func testTheNodesFiguresParseAndDescribeIt() async throws {
    let dir = temporaryDirectory()
    defer { removeDirectory(dir) }
    try await withNode(name: "metered") { node in
      _ = try await KnownTree.start(on: node, path: "\(dir)/control.sock")
      _ = try await node.call("vault", Vault.self, 1)  // a message handled: a reduction
      let m = try await scrape(node, root: .named("app"))
      XCTAssertEqual(m.value("otter_schedulers"), 2)
      XCTAssertEqual(m.samples("otter_scheduler_run_queue_length").map { $0.labels["scheduler"] }, ["0", "1"])
      XCTAssertEqual(m.samples("otter_scheduler_busy_seconds_total").count, 2)
      XCTAssertEqual(m.value("otter_processes") ?? 0, Double(node.processCount), accuracy: 3)
      XCTAssertGreaterThan(m.value("otter_processes_spawned_total") ?? 0, 8)
      XCTAssertGreaterThan(m.value("otter_reductions_total") ?? 0, 0)
      XCTAssertGreaterThanOrEqual(m.value("otter_registered_names") ?? 0, 3)  // app, vault, sessions
      XCTAssertEqual(m.value("otter_sockets", ["kind": "unix_listener"]), 1)  // the control endpoint
      XCTAssertGreaterThan(m.value("process_resident_memory_bytes") ?? 0, 1_000_000)
      XCTAssertGreaterThan(m.value("otter_malloc_in_use_bytes") ?? 0, 0)
      XCTAssertGreaterThan(m.value("process_cpu_seconds_total") ?? 0, 0)
      XCTAssertGreaterThan(m.value("process_open_fds") ?? 0, 0)
      XCTAssertEqual(m.value("process_max_fds"), Double(node.fileDescriptorLimit))

      let supervisors = m.samples("otter_supervisor_restarts_total").map { $0.labels["supervisor"] ?? "" }
      XCTAssertEqual(Set(supervisors), ["app", "app/rooms", "app/sessions"])
      XCTAssertEqual(m.value("otter_supervisor_restarts_total", ["supervisor": "app"]), 0)
      XCTAssertEqual(m.value("otter_supervisor_children", ["supervisor": "app/sessions"]), 3)
      XCTAssertEqual(m.value("otter_supervisor_children", ["supervisor": "app"]), 4)
    }
  }

  func testRestartsAreCountedPerSupervisor() async throws {
    let dir = temporaryDirectory()
    defer { removeDirectory(dir) }
    try await withNode { node in
      _ = try await KnownTree.start(on: node, path: "\(dir)/control.sock")
      node.exit(try XCTUnwrap(node.whereis("vault")), reason: .kill)
      let lobby = try XCTUnwrap(node.snapshot().first { $0.label == "lobby" }?.pid)
      node.exit(lobby, reason: .kill)
      try await eventually("both restarts to be counted") {
        let m = try await scrape(node, root: .named("app"))
        return m.value("otter_supervisor_restarts_total", ["supervisor": "app"]) == 1
          && m.value("otter_supervisor_restarts_total", ["supervisor": "app/rooms"]) == 1
      }
      let m = try await scrape(node, root: .named("app"))
      XCTAssertEqual(m.value("otter_supervisor_restarts_total", ["supervisor": "app/sessions"]), 0)
    }
  }

  /// `.automatic` starts from the topmost supervisor above the process that asks (an
  /// endpoint's session, in an application's tree).
  func testTheAutomaticRootIsTheTopSupervisorAboveTheCaller() async throws {
    let dir = temporaryDirectory()
    defer { removeDirectory(dir) }
    try await withNode { node in
      let known = try await KnownTree.start(on: node, path: "\(dir)/control.sock")
      let children = try await node.whichChildren(known.sessions)
      let session = try XCTUnwrap(children.first?.pid)
      let m = try await scrape(node, caller: session)
      XCTAssertEqual(
        Set(m.samples("otter_supervisor_children").map { $0.labels["supervisor"] ?? "" }), ["app", "app/rooms", "app/sessions"])
      // Without a caller: every top-level supervisor, here the same one.
      let top = try await scrape(node)
      XCTAssertEqual(top.value("otter_supervisor_children", ["supervisor": "app"]), 4)
    }
  }

  /// A supervisor busy starting a slow child is left out of the scrape, with what is
  /// below it; the others are there.
  func testABusySupervisorIsLeftOutNotWaitedFor() async throws {
    try await withNode { node in
      let slow = DynamicSupervisor<Int>(
        template: DynamicChildSpec(restart: .temporary) { ctx, seconds in
          try await ctx.sleep(for: .seconds(seconds))
          return ctx.spawnLink(Never.self) { ctx in _ = try await ctx.receive { _ in true } }.pid
        })
      let root = Supervisor(
        .init(strategy: .oneForOne, intensity: 3, period: .seconds(5)),
        children: [
          ChildSpec(id: "slow", type: .supervisor) { ctx in try await ctx.startLink(slow, name: "slow")?.pid },
          plainWorker("worker"),
        ])
      _ = try await node.start(root, name: "top")
      let busy = try XCTUnwrap(node.whereis("slow", as: ServerMessage<DynamicSupervisor<Int>>.self))
      let starting = Task { try? await node.startChild(GenServerRef(busy), 3) }
      defer { starting.cancel() }
      try await eventually("the supervisor to be busy") { node.processInfo(busy.pid)?.status != .waiting }
      let m = try await scrape(node, root: .named("top"), timeout: .milliseconds(300))
      XCTAssertEqual(m.value("otter_supervisor_children", ["supervisor": "top"]), 2)
      XCTAssertNil(m.value("otter_supervisor_children", ["supervisor": "top/slow"]))
    }
  }
}
