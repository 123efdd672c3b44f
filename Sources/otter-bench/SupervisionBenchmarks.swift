// Supervision benchmarks: crash + restart cost, measured as Erlang's bench_sup.erl
// measures it (Benchmarks/erlang runs the same work).
import Actors
import GenServer
import Supervision
import Synchronization

let supervisionBenchmarks: [Benchmark] = [
  Benchmark(name: "suprestart", summary: "one_for_one child that exits at once: µs per crash + restart, 1k and 10k", run: supRestartBench)
]

func supRestartBench(_ options: BenchOptions) async throws -> [Row] {
  var rows: [Row] = []
  for n in [1_000, 10_000] {
    let us = try await supRestartRun(n)
    let e = erlang(options, ["sup_restart", String(n)])
    rows.append(
      Row(
        bench: "suprestart.us_per_restart_\(n / 1000)k", value: us, unit: "µs", peer: e?["us_per_restart"],
        peerName: e.map { _ in "erlang" }, goal: "≤ 5, flat", note: "\(n) restarts"))
  }
  return rows
}

/// Time from starting the supervisor until the (n+1)-th start of its child.
func supRestartRun(_ n: Int) async throws -> Double {
  let node = try Node()
  defer { node.shutdown() }
  final class Starts: Sendable { let count = Atomic<Int>(0) }
  let starts = Starts()
  return try await node.run(UInt64.self) { ctx -> Double in
    let parent = ctx.address
    let target = n + 1
    let child = ChildSpec(id: "crasher", shutdown: .brutalKill) { sup in
      let k = starts.count.wrappingAdd(1, ordering: .relaxed).newValue
      if k == target {
        parent.send(MonotonicClock.nanoseconds())
        return sup.spawnLink(Int.self, state: ()) { _, _, _ in .continue }.pid
      }
      // Exits with `crash` as soon as it runs.
      return sup.spawnLink(Int.self, state: (), start: { _, _ in .stop(.custom("crash")) }) { _, _, _ in .continue }.pid
    }
    let t0 = MonotonicClock.nanoseconds()
    guard
      let sup = try await ctx.start(
        Supervisor(
          SupervisorFlags(strategy: .oneForOne, intensity: 100_000_000, period: .seconds(1)), children: [child]))
    else { return 0 }
    let t1 = try await ctx.next()!
    ctx.exit(sup.pid, reason: .kill)
    return Double(t1 - t0) / Double(n) / 1000
  }
}
