// Observer benchmarks: what it costs a node of 100,000 processes to be
// watched. A supervision tree holds them (a dynamic supervisor of 100,000 workers next
// to a few static children and the control endpoint); a client asks over the Unix socket
// for what the interactive observer asks each refresh (system header, top 50 by
// reductions per interval, the tree), and for the whole snapshot `observer --json`
// prints. Meanwhile a process keeps calling a server and records its slowest round trip:
// watching must not stall the node.
import Actors
import Control
import Foundation
import GenServer
import Supervision
import Synchronization

let snapshotBenchmarks: [Benchmark] = [
  Benchmark(
    name: "observer", summary: "control endpoint on a node of 100k processes: refresh snapshot and full snapshot, ms", run: observerBench)
]

func observerBench(_ options: BenchOptions) async throws -> [Row] {
  let n = options.quick ? 20_000 : 100_000
  let label = "\(n / 1000)k"
  let node = try Node(name: "bench")
  defer { node.shutdown() }
  let dir = NSTemporaryDirectory() + "otter-bench-\(getpid())"
  try? FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
  defer { try? FileManager.default.removeItem(atPath: dir) }
  let path = dir + "/control.sock"

  let template = DynamicChildSpec<Int> { ctx, _ in
    ctx.spawnLink(Int.self, state: 0) { count, _, _ in
      count += 1
      return .continue
    }.pid
  }
  let sessions = ChildSpec(id: "sessions", type: .supervisor) { ctx in
    try await ctx.startLink(DynamicSupervisor(intensity: 10, period: .seconds(1), template: template), name: "sessions")?.pid
  }
  let app = Supervisor(children: [
    .server(id: "counter", CounterServer(), name: "counter"),
    sessions,
    Control.endpoint(EndpointOptions(path: path, discoveryDirectory: nil)),
  ])
  guard let root = try await node.start(app, name: "app"),
    let dynamic = node.whereis("sessions", as: ServerMessage<DynamicSupervisor<Int>>.self)
  else { throw ControlError(.internal, "the tree did not start") }
  progress("observer: starting \(n) workers")
  try await node.run(Never.self) { ctx in
    for i in 0..<n { _ = try await ctx.startChild(GenServerRef(dynamic), i) }
  }
  // Some traffic, so that reductions move between refreshes.
  let workers = try await node.whichChildren(GenServerRef(dynamic)).compactMap { $0.pid?.address(as: Int.self) }
  for (i, w) in workers.enumerated() where i % 10 == 0 { w.send(i) }

  // The slowest call round trip while snapshots are taken.
  final class Probe: Sendable {
    let stop = Atomic<Bool>(false)
    let worstNanos = Atomic<UInt64>(0)
    let calls = Atomic<Int>(0)
  }
  let probe = Probe()
  let counter = GenServerRef(node.whereis("counter", as: ServerMessage<CounterServer>.self)!)
  node.spawn(Never.self) { ctx in
    while !probe.stop.load(ordering: .relaxed) {
      let t0 = MonotonicClock.nanoseconds()
      _ = try await ctx.call(counter, .incr)
      let dt = MonotonicClock.nanoseconds() - t0
      if dt > probe.worstNanos.load(ordering: .relaxed) { probe.worstNanos.store(dt, ordering: .relaxed) }
      probe.calls.add(1, ordering: .relaxed)
      try await ctx.sleep(for: .microseconds(200))
    }
  }

  let client = try ControlClient(path: path, timeout: .seconds(30))
  func measure(_ runs: Int, _ body: () throws -> Void) throws -> (median: Double, worst: Double) {
    var times: [Double] = []
    for _ in 0..<runs {
      let t0 = MonotonicClock.nanoseconds()
      try body()
      times.append(Double(MonotonicClock.nanoseconds() - t0) / 1e6)
    }
    times.sort()
    return (times[times.count / 2], times.last!)
  }
  // The interactive observer's refresh: header, top 50 by reductions per interval, tree.
  _ = try client.snapshotJSON(top: (.reductionsRate, 50, 0), processes: false, sockets: false)
  var processesSeen = 0
  let refresh = try measure(options.quick ? 5 : 15) {
    let s = try client.snapshot(top: (.reductionsRate, 50, 0), processes: false, sockets: false)
    processesSeen = s.top?.total ?? 0
  }
  // Its parts, each on its own.
  let topOnly = try measure(options.quick ? 5 : 15) { _ = try client.top(sort: .reductionsRate, limit: 50) }
  let topMemory = try measure(options.quick ? 3 : 7) { _ = try client.top(sort: .memory, limit: 50) }
  let topQueue = try measure(options.quick ? 3 : 7) { _ = try client.top(sort: .messageQueue, limit: 50) }
  let treeOnly = try measure(options.quick ? 5 : 15) { _ = try client.tree() }
  let statsOnly = try measure(options.quick ? 5 : 15) { _ = try client.stats() }
  // `observer --json`: every process in full, the tree and the sockets.
  var bytes = 0
  let full = try measure(options.quick ? 2 : 5) {
    bytes = try client.snapshotJSON().description.utf8.count
  }
  probe.stop.store(true, ordering: .relaxed)
  let worstCall = Double(probe.worstNanos.load(ordering: .relaxed)) / 1e6
  progress(
    "observer: \(processesSeen) processes ranked; full snapshot \(bytes / 1_000_000) MB; \(probe.calls.load(ordering: .relaxed)) probe calls"
  )
  _ = root
  return [
    Row(
      bench: "observer.snapshot_ms_\(label)", value: refresh.median, unit: "ms", goal: "< 100",
      note: "header + top 50 (rr) + tree; worst \(Output.format(refresh.worst)) ms"),
    Row(
      bench: "observer.top_ms_\(label)", value: topOnly.median, unit: "ms",
      note: "top 50 by reductions per interval alone; worst \(Output.format(topOnly.worst)) ms"),
    Row(
      bench: "observer.top_m_ms_\(label)", value: topMemory.median, unit: "ms",
      note: "top 50 by memory (each process's lock and the allocator asked)"),
    Row(bench: "observer.top_mq_ms_\(label)", value: topQueue.median, unit: "ms", note: "top 50 by message queue (each process's lock)"),
    Row(
      bench: "observer.tree_ms_\(label)", value: treeOnly.median, unit: "ms",
      note: "the tree alone (100 children listed per supervisor); worst \(Output.format(treeOnly.worst)) ms"),
    Row(bench: "observer.stats_ms_\(label)", value: statsOnly.median, unit: "ms", note: "the system header alone"),
    Row(
      bench: "observer.full_snapshot_ms_\(label)", value: full.median, unit: "ms",
      note: "observer --json: every process, \(bytes / 1_000_000) MB; worst \(Output.format(full.worst)) ms"),
    Row(
      bench: "observer.worst_call_ms_\(label)", value: worstCall, unit: "ms",
      note: "slowest call round trip of another process while snapshots ran"),
  ]
}
