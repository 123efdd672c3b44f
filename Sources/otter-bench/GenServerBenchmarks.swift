// gen_server benchmarks: synchronous calls on a trivial counter server.
import Actors
import GenServer

let genServerBenchmarks: [Benchmark] = [
  Benchmark(name: "gencall", summary: "1M synchronous calls on a counter server: ns per call (Erlang, Swift actor)", run: genCallBench)
]

enum CounterRequest: Sendable { case incr }

/// The trivial counter of Benchmarks/erlang/bench_counter.erl. Its callbacks never await,
/// so it is a SyncGenServer: its process runs straight on a scheduler thread.
struct CounterServer: SyncGenServer {
  func initialize(_ ctx: ServerContext<Self>) throws -> InitResult<Self> { .ok(0) }
  func handleCall(_ request: CounterRequest, from: From<Int>, state: inout Int, _ ctx: ServerContext<Self>) throws -> CallResult<Self> {
    state += 1
    return .reply(state)
  }
}

/// The same counter with async callbacks (a GenServer may await in them).
struct AsyncCounterServer: GenServer {
  func initialize(_ ctx: ServerContext<Self>) async throws -> InitResult<Self> { .ok(0) }
  func handleCall(_ request: CounterRequest, from: From<Int>, state: inout Int, _ ctx: ServerContext<Self>) async throws -> CallResult<Self>
  {
    state += 1
    return .reply(state)
  }
}

/// The Swift Concurrency comparison: an actor method (runs on the caller's thread when
/// the actor is free — not message passing, but what Swift users reach for).
actor CounterActor {
  var n = 0
  func incr() -> Int {
    n += 1
    return n
  }
}

func genCallBench(_ options: BenchOptions) async throws -> [Row] {
  let n = options.quick ? 200_000 : 1_000_000
  let node = try Node()
  defer { node.shutdown() }
  let ns = try await node.run(Never.self) { ctx -> Double in
    guard let server = try await ctx.start(CounterServer()) else { return 0 }
    let t0 = MonotonicClock.nanoseconds()
    var last = 0
    for _ in 0..<n { last = try await ctx.call(server, .incr) }
    let dt = Double(MonotonicClock.nanoseconds() - t0)
    precondition(last == n)
    return dt / Double(n)
  }
  let asyncNs = try await node.run(Never.self) { ctx -> Double in
    guard let server = try await ctx.start(AsyncCounterServer()) else { return 0 }
    let t0 = MonotonicClock.nanoseconds()
    var last = 0
    for _ in 0..<n { last = try await ctx.call(server, .incr) }
    let dt = Double(MonotonicClock.nanoseconds() - t0)
    precondition(last == n)
    return dt / Double(n)
  }
  // From a detached Task, as the anchors measured it (from the main actor every call
  // would hop threads twice).
  let actorNs = await Task.detached { () -> Double in
    let counter = CounterActor()
    let t0 = MonotonicClock.nanoseconds()
    var last = 0
    for _ in 0..<n { last = await counter.incr() }
    precondition(last == n)
    return Double(MonotonicClock.nanoseconds() - t0) / Double(n)
  }.value
  let e = erlang(options, ["gencall", String(n)])
  return [
    Row(
      bench: "gencall.ns_per_call", value: ns, unit: "ns", peer: e?["ns_per_call"], peerName: e.map { _ in "erlang" }, goal: "≤ 700",
      note: "SyncGenServer counter"),
    Row(
      bench: "gencall.ns_per_call_async", value: asyncNs, unit: "ns", peer: e?["ns_per_call"], peerName: e.map { _ in "erlang" },
      note: "GenServer counter (async callbacks)"),
    Row(
      bench: "gencall.ns_per_call_vs_actor", value: ns, unit: "ns", peer: actorNs, peerName: "swift-actor",
      note: "actor method: no mailbox, runs on the caller's thread"),
  ]
}
