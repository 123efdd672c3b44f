// The runtime benchmarks: the same work as the Erlang anchors
// (Benchmarks/erlang/bench.erl), run on Otter and, when `erl` is installed, on Erlang in
// the same run.
import Actors
import Foundation

let runtimeBenchmarks: [Benchmark] = [
  Benchmark(name: "spawn", summary: "spawn 1M idle processes: µs per spawn, bytes of RSS per idle process", run: spawnBench),
  Benchmark(name: "ring", summary: "ring of 10k processes, 1M hops: ns per hop", run: ringBench),
  Benchmark(name: "pingpong", summary: "1M round trips between two processes: ns per round trip", run: pingPongBench),
  Benchmark(name: "fanin", summary: "4 producers x 1M messages -> 1 consumer: messages per second", run: faninBench),
  Benchmark(name: "timers", summary: "100k processes x 10 ms timeouts: lateness p50/p99", run: timerBench),
]

/// Runs the Erlang side if wanted and possible; logs and returns nil on failure.
func erlang(_ options: BenchOptions, _ args: [String]) -> [String: Double]? {
  guard options.peers, Erlang.erl != nil else { return nil }
  do {
    return try Erlang.bench("bench", args)
  } catch {
    progress("  erlang \(args.joined(separator: " ")) failed: \(error)")
    return nil
  }
}

// MARK: - spawn

func spawnBench(_ options: BenchOptions) async throws -> [Row] {
  let n = options.quick ? 100_000 : 1_000_000
  let node = try Node()
  defer { node.shutdown() }
  var rounds: [(spawnUs: Double, lifecycleUs: Double, rssPerProc: Double)] = []
  for _ in 0..<2 {
    let r = try await node.run(Never.self) { ctx -> (Double, Double, Double) in
      // The pid list is allocated and touched before the baseline, as Erlang subtracts
      // the growth of the parent's heap.
      var procs = [Address<Int>?](repeating: nil, count: n)
      let base = node.processCount
      let rss0 = node.stats().residentBytes
      let t0 = MonotonicClock.nanoseconds()
      for i in 0..<n {
        procs[i] = ctx.spawn(Int.self, state: ()) { _, _, _ in .stop(.normal) }
      }
      let t1 = MonotonicClock.nanoseconds()
      // Handler processes are parked (idle at their receive) as soon as they exist.
      let rss1 = node.stats().residentBytes
      for p in procs { p!.send(0) }
      procs = []
      while node.processCount > base { try await ctx.sleep(for: .milliseconds(1)) }
      let t2 = MonotonicClock.nanoseconds()
      return (
        Double(t1 - t0) / Double(n) / 1000, Double(t2 - t0) / Double(n) / 1000,
        Double(Int64(rss1) - Int64(rss0)) / Double(n)
      )
    }
    rounds.append(r)
  }
  let e = erlang(options, ["spawn", String(n), "2"])
  return [
    Row(
      bench: "spawn.us_per_spawn", value: rounds[0].spawnUs, unit: "µs", peer: e?["spawn_us"], peerName: e.map { _ in "erlang" },
      goal: "≤ 1.0", note: "cold memory, round 1"),
    Row(
      bench: "spawn.us_per_spawn_warm", value: rounds[1].spawnUs, unit: "µs", peer: e?["warm_spawn_us"], peerName: e.map { _ in "erlang" },
      note: "round 2"),
    Row(
      bench: "spawn.us_per_lifecycle", value: rounds[0].lifecycleUs, unit: "µs", peer: e?["lifecycle_us"],
      peerName: e.map { _ in "erlang" }, note: "spawn + park + one message + exit"),
    Row(
      bench: "spawn.rss_bytes_per_idle_process", value: rounds[0].rssPerProc, unit: "B", peer: e?["rss_bytes_per_proc"],
      peerName: e.map { _ in "erlang" }, goal: "≤ 1000"),
  ]
}

// MARK: - ring

enum RingMsg: Sendable {
  case next(Address<RingMsg>)
  case token(Int)
}

func ringBench(_ options: BenchOptions) async throws -> [Row] {
  let n = 10_000
  let hops = options.quick ? 200_000 : 1_000_000
  let node = try Node()
  defer { node.shutdown() }
  let ns = try await node.run(Int.self) { ctx -> Double in
    let parent = ctx.address
    var nodes: [Address<RingMsg>] = []
    for _ in 0..<n {
      nodes.append(
        ctx.spawn(RingMsg.self, state: Optional<Address<RingMsg>>.none) { next, msg, _ in
          switch msg {
          case .message(.next(let a)): next = a
          case .message(.token(let k)):
            if k == 0 { parent.send(0) } else { next.unsafelyUnwrapped.send(.token(k - 1)) }
          default: break
          }
          return .continue
        })
    }
    for i in 0..<n { nodes[i].send(.next(nodes[(i + 1) % n])) }
    try await ctx.sleep(for: .milliseconds(20))
    let t0 = MonotonicClock.nanoseconds()
    nodes[0].send(.token(hops))
    _ = try await ctx.next()
    return Double(MonotonicClock.nanoseconds() - t0) / Double(hops)
  }
  let e = erlang(options, ["ring", String(n), String(hops)])
  return [Row(bench: "ring.ns_per_hop", value: ns, unit: "ns", peer: e?["ns_per_hop"], peerName: e.map { _ in "erlang" }, goal: "≤ 150")]
}

// MARK: - ping-pong

func pingPongBench(_ options: BenchOptions) async throws -> [Row] {
  let n = options.quick ? 200_000 : 1_000_000
  let node = try Node()
  defer { node.shutdown() }
  // Handler processes on both sides: ping sends K, waits for K back, N times.
  let handlers = try await node.run(Double.self) { ctx -> Double in
    let parent = ctx.address
    struct Ping {
      var pong: Address<Int>?
      var left: Int
      var t0: UInt64
    }
    ctx.spawn(
      Int.self, state: Ping(pong: nil, left: n, t0: 0),
      start: { st, c in
        let me = c.address
        st.pong = c.spawn(Int.self, state: ()) { _, msg, _ in
          if case .message(let k) = msg { me.send(k) }
          return .continue
        }
        st.t0 = MonotonicClock.nanoseconds()
        st.pong!.send(st.left)
        return .continue
      }
    ) { st, msg, _ in
      guard case .message(let k) = msg, k == st.left else { return .continue }
      st.left -= 1
      if st.left == 0 {
        parent.send(Double(MonotonicClock.nanoseconds() - st.t0) / Double(n))
        return .stop(.normal)
      }
      st.pong!.send(st.left)
      return .continue
    }
    return try await ctx.next()!
  }
  // Erlang-style ping: an async body that blocks in receive for each reply.
  let body = try await node.run(Int.self) { ctx -> Double in
    let me = ctx.address
    let pong = ctx.spawn(Int.self, state: ()) { _, msg, _ in
      if case .message(let k) = msg { me.send(k) }
      return .continue
    }
    let t0 = MonotonicClock.nanoseconds()
    for k in stride(from: n, to: 0, by: -1) {
      pong.send(k)
      _ = try await ctx.receive { $0.value == k ? true : nil }
    }
    return Double(MonotonicClock.nanoseconds() - t0) / Double(n)
  }
  let e = erlang(options, ["pingpong", String(n)])
  return [
    Row(
      bench: "pingpong.ns_per_round_trip", value: handlers, unit: "ns", peer: e?["ns_per_round_trip"], peerName: e.map { _ in "erlang" },
      goal: "≤ 250", note: "handler processes"),
    Row(
      bench: "pingpong.ns_per_round_trip_receive", value: body, unit: "ns", peer: e?["ns_per_round_trip"],
      peerName: e.map { _ in "erlang" }, note: "ping blocks in receive (async body)"),
  ]
}

// MARK: - fan-in

func faninBench(_ options: BenchOptions) async throws -> [Row] {
  let producers = 4
  let perProducer = options.quick ? 250_000 : 1_000_000
  let total = producers * perProducer
  let node = try Node()
  defer { node.shutdown() }
  let (rate, ns) = try await node.run(UInt64.self) { ctx -> (Double, Double) in
    let parent = ctx.address
    let consumer = ctx.spawn(Int.self, state: 0) { count, msg, _ in
      if case .message = msg {
        count += 1
        if count == total {
          parent.send(MonotonicClock.nanoseconds())
          return .stop(.normal)
        }
      }
      return .continue
    }
    let t0 = MonotonicClock.nanoseconds()
    for _ in 0..<producers {
      // Sends in chunks of 1,000, then yields the thread by messaging itself.
      ctx.spawn(
        Int.self, state: perProducer,
        start: { _, c in
          c.address.send(0)
          return .continue
        }
      ) { left, _, c in
        let chunk = min(1000, left)
        for i in 0..<chunk { consumer.send(i) }
        left -= chunk
        if left == 0 { return .stop(.normal) }
        c.address.send(0)
        return .continue
      }
    }
    let t1 = try await ctx.next()!
    let dt = Double(t1 - t0)
    return (Double(total) / (dt / 1e9), dt / Double(total))
  }
  let e = erlang(options, ["fanin", String(producers), String(perProducer)])
  return [
    Row(
      bench: "fanin.msgs_per_s", value: rate / 1e6, unit: "M msg/s", peer: e.map { $0["msgs_per_s"]! / 1e6 },
      peerName: e.map { _ in "erlang" }, goal: "≥ 15", lowerIsBetter: false),
    Row(bench: "fanin.ns_per_msg", value: ns, unit: "ns", peer: e?["ns_per_msg"], peerName: e.map { _ in "erlang" }),
  ]
}

// MARK: - timers

func timerBench(_ options: BenchOptions) async throws -> [Row] {
  var rows = try await timerRun(options.quick ? 20_000 : 100_000, options, prefix: "timers")
  rows += try await timerRun(1_000, options, prefix: "timers_1k")
  return rows
}

/// `n` processes each wait 10 ms (an idle timeout) and report how long they waited.
func timerRun(_ n: Int, _ options: BenchOptions, prefix: String) async throws -> [Row] {
  let ms = 10
  let node = try Node()
  defer { node.shutdown() }
  let (lateness, wall) = try await node.run(UInt64.self) { ctx -> ([Double], Double) in
    let parent = ctx.address
    let t0 = MonotonicClock.nanoseconds()
    for _ in 0..<n {
      ctx.spawn(
        Int.self, state: UInt64(0),
        start: { started, _ in
          started = MonotonicClock.nanoseconds()
          return .continueWithTimeout(.milliseconds(ms))
        }
      ) { started, msg, _ in
        if case .timeout = msg {
          parent.send(MonotonicClock.nanoseconds() - started)
          return .stop(.normal)
        }
        return .continue
      }
      // Spawning costs reductions: give the thread up every `budget` spawns, as an
      // Erlang spawner is preempted, so the timers already set can fire on time.
      try await ctx.yield()
    }
    var slept: [Double] = []
    slept.reserveCapacity(n)
    for _ in 0..<n { slept.append(Double(try await ctx.next()!)) }
    let wall = Double(MonotonicClock.nanoseconds() - t0) / 1e6
    return (slept.map { ($0 - Double(ms) * 1e6) / 1e6 }.sorted(), wall)
  }
  func q(_ x: Double) -> Double { lateness[max(0, min(n - 1, Int((x * Double(n)).rounded()) - 1))] }
  let e = erlang(options, ["timer", String(n), String(ms)])
  let early = lateness.filter { $0 < 0 }.count
  let peer = e.map { _ in "erlang" }
  let label = "\(n) x \(ms) ms"
  return [
    Row(bench: "\(prefix).late_p50_ms", value: q(0.5), unit: "ms", peer: e?["late_p50_ms"], peerName: peer, note: label),
    Row(
      bench: "\(prefix).late_p99_ms", value: q(0.99), unit: "ms", peer: e?["late_p99_ms"], peerName: peer, goal: n >= 100_000 ? "≤ 2" : nil,
      note: label),
    Row(bench: "\(prefix).late_max_ms", value: lateness.last!, unit: "ms", peer: e?["late_max_ms"], peerName: peer, note: label),
    Row(bench: "\(prefix).wall_ms", value: wall, unit: "ms", peer: e?["wall_ms"], peerName: peer, note: label),
    Row(bench: "\(prefix).fired_early", value: Double(early), unit: "count", peer: e?["early_count"], peerName: peer, note: label),
  ]
}
