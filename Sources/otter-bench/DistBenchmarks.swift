// The `dist` benchmark: Otter's distribution between two OS processes on this machine,
// against two Erlang nodes (`erl -name`, same machine) doing the same work in the same
// run.
//
// Otter: otter-bench is node A; a child `otter-bench --serve-dist` is node B (echo,
// control and counter servers, DistServe.swift). Erlang: Benchmarks/erlang/dist_bench.erl
// as both nodes (DistErlangPeer.swift). Every node has one scheduler (+S 1), as two
// nodes share the two cores. Measured from A, with B's processes as the targets:
//   - ping-pong: one process sends `.ping(n, self)` to B's echo and waits for the pong,
//     N times (µs per round trip);
//   - throughput: 1 or 4 senders on A send Ints (M in all) to one sink on B, which says
//     when it has counted them all (messages/s from the senders' start);
//   - remote GenServer call: N calls to B's counter (µs per call);
//   - node down: B is killed with SIGKILL; the time until A's `watchNodes` (Erlang:
//     `net_kernel:monitor_nodes`) reports it down, and until a monitor on B's echo
//     fires `noconnection` (ms).
// Three interleaved rounds (otter, erlang, otter, erlang, ...), a fresh B each round
// (the last measurement kills it); medians, the spread in the notes. The driver owns
// the child processes and A's node, and stops them on every path.
import Actors
import Distribution
import DistributionExamples
import Foundation
import GenServer

let distBenchmarks: [Benchmark] = [
  Benchmark(
    name: "dist",
    summary: "two nodes, two OS processes: ping-pong, 1→1 and 4→1 throughput, remote call, node-down detection; vs Erlang",
    run: distBench)
]

/// How much work each measurement does.
struct DistSizes: Sendable {
  var pings: Int
  var messages: Int
  var calls: Int
}

/// One side's figures for one round.
struct DistSideResult: Sendable {
  var pingMicros: Double
  var throughput1: Double
  var throughput4: Double
  var callMicros: Double
  /// Kill to "node down" (watchNodes / monitor_nodes), ms.
  var nodeDownMillis: Double
  /// Kill to the monitor's DOWN, ms.
  var monitorDownMillis: Double
  var downReason: String
}

/// One round on the Otter side: a fresh child node, every measurement, then its kill.
func otterDistRound(_ round: Int, _ sizes: DistSizes) async throws -> DistSideResult {
  let peer = "otter-bench-b\(round)"
  let child = try ServerChild(
    name: "otter dist node", executable: ownExecutable(), arguments: ["--serve-dist", peer], environment: ["OTTER_SCHEDULERS": "1"])
  defer { child.stop() }
  let node = try Node(schedulers: 1, name: "otter-bench-a\(round)")
  defer { node.shutdown(timeout: .seconds(2)) }
  let dist = try await Distribution.start(DistributionConfiguration(name: "otter-bench-a\(round)", secret: DistBenchNames.secret), on: node)
  defer { dist.stop() }
  try await dist.connect(to: peer, at: "127.0.0.1:\(child.port)")

  let echo = try await dist.lookup(DistBenchNames.echo, on: peer, as: Echo.self)
  let pingMicros = try await node.run(Echo.self) { ctx -> Double in
    func pingpong(_ n: Int) async throws {
      for i in 0..<n {
        echo.send(.ping(i, replyTo: ctx.address))
        guard case .pong(let k)? = try await ctx.next(timeout: .seconds(10)), k == i else {
          throw PeerError.failed("ping \(i) got no pong")
        }
      }
    }
    try await pingpong(sizes.pings / 10)
    let t0 = MonotonicClock.nanoseconds()
    try await pingpong(sizes.pings)
    return Double(MonotonicClock.nanoseconds() - t0) / 1000 / Double(sizes.pings)
  }

  let control = try await dist.server(DistBenchNames.control, on: peer, DistControl.self)
  func throughput(senders: Int) async throws -> Double {
    try await node.run(Int.self) { ctx -> Double in
      let total = sizes.messages
      let sink = try await ctx.call(control, DistSinkRequest(total: total, reportTo: ctx.address), timeout: .seconds(10))
      let each = total / senders
      var workers: [Address<Bool>] = []
      for _ in 0..<senders {
        workers.append(
          ctx.spawn(Bool.self) { c in
            guard try await c.next() == true else { return }
            for i in 0..<each { sink.send(i) }
          })
      }
      let t0 = MonotonicClock.nanoseconds()
      for w in workers { w.send(true) }
      guard let counted = try await ctx.next(timeout: .seconds(120)) else {
        throw PeerError.failed("the sink did not count \(total) messages within 120 s")
      }
      guard counted == total else { throw PeerError.failed("the sink counted \(counted) of \(total)") }
      return Double(total) / (Double(MonotonicClock.nanoseconds() - t0) / 1e9)
    }
  }
  let throughput1 = try await throughput(senders: 1)
  let throughput4 = try await throughput(senders: 4)

  let counter = try await dist.server(DistBenchNames.counter, on: peer, Counter.self)
  let callMicros = try await node.run { ctx -> Double in
    for _ in 0..<sizes.calls / 10 { _ = try await ctx.call(counter, 1, timeout: .seconds(10)) }
    let t0 = MonotonicClock.nanoseconds()
    for _ in 0..<sizes.calls { _ = try await ctx.call(counter, 1, timeout: .seconds(10)) }
    return Double(MonotonicClock.nanoseconds() - t0) / 1000 / Double(sizes.calls)
  }

  // Node down: a watcher of nodes and a monitor on B's echo, then SIGKILL.
  let nodeDownAt = Shared<UInt64?>(nil)
  let token = dist.watchNodes { event in
    if case .nodeDown(let n, _) = event, n == peer {
      let now = MonotonicClock.nanoseconds()
      nodeDownAt.withLock { if $0 == nil { $0 = now } }
    }
  }
  defer { dist.stopWatchingNodes(token) }
  let monitorDown = Shared<(at: UInt64, reason: String)?>(nil)
  let (armed, armedRequest) = node.makeReply(Bool.self)
  node.spawn(Never.self) { ctx in
    let ref = ctx.monitor(echo.pid)
    armed.reply(true)
    let reason = try await ctx.receive { m -> ExitReason? in
      if case .down(let r, _, let reason) = m, r == ref { return reason }
      return nil
    }
    let now = MonotonicClock.nanoseconds()
    monitorDown.withLock { $0 = (now, reason.map { "\($0)" } ?? "?") }
  }
  _ = try await node.receiveResponse(armedRequest, timeout: .seconds(5))
  let killedAt = MonotonicClock.nanoseconds()
  kill(child.process.processIdentifier, SIGKILL)
  let deadline = killedAt + 15_000_000_000
  while nodeDownAt.withLock({ $0 }) == nil || monitorDown.withLock({ $0 }) == nil {
    if MonotonicClock.nanoseconds() > deadline { throw PeerError.failed("no node down or monitor DOWN within 15 s of the kill") }
    usleep(100)
  }
  let down = monitorDown.withLock { $0 }!
  return DistSideResult(
    pingMicros: pingMicros, throughput1: throughput1, throughput4: throughput4, callMicros: callMicros,
    nodeDownMillis: Double(nodeDownAt.withLock { $0 }! - killedAt) / 1e6, monitorDownMillis: Double(down.at - killedAt) / 1e6,
    downReason: down.reason)
}

func distBench(_ options: BenchOptions) async throws -> [Row] {
  let sizes =
    options.quick ? DistSizes(pings: 2_000, messages: 100_000, calls: 2_000) : DistSizes(pings: 20_000, messages: 1_000_000, calls: 20_000)
  let roundCount = options.quick ? 1 : 3
  let erlangAvailable = options.peers && Erlang.erl != nil && Erlang.erlc != nil
  let peerNote: String? = !options.peers ? "no peer (--no-peers)" : erlangAvailable ? nil : "no peer: erl/erlc not installed"
  var rounds = RedisRounds(peerName: "erlang")
  var reasons: [String] = []
  func add(_ r: DistSideResult, otter: Bool) {
    let figures: [(String, Double)] = [
      ("dist.pingpong.rtt_us", r.pingMicros), ("dist.send.1to1.msgs_per_s", r.throughput1),
      ("dist.send.4to1.msgs_per_s", r.throughput4), ("dist.call.rtt_us", r.callMicros),
      ("dist.nodedown.detect_ms", r.nodeDownMillis), ("dist.nodedown.monitor_ms", r.monitorDownMillis),
    ]
    for (name, value) in figures {
      if otter { rounds.add(name, otter: value) } else { rounds.add(name, peer: value) }
    }
    reasons.append("\(otter ? "otter" : "erlang"): \(r.downReason)")
  }
  for round in 1...roundCount {
    progress("  round \(round): otter")
    add(try await otterDistRound(round, sizes), otter: true)
    if erlangAvailable {
      progress("  round \(round): erlang")
      guard let theirs = try ErlangDistPeer.round(round, sizes) else { continue }
      add(theirs, otter: false)
    }
  }
  let setting = "two OS processes, 1 scheduler each (erl +S 1)"
  let downReasons = Set(reasons).sorted().joined(separator: ", ")
  let rows: [Row?] = [
    rounds.row(
      "dist.pingpong.rtt_us", unit: "µs", goal: "≤ erlang", lowerIsBetter: true, peerNote: peerNote,
      note: "\(sizes.pings) round trips of an Int and a reply address; \(setting)"),
    rounds.row(
      "dist.send.1to1.msgs_per_s", unit: "msgs/s", goal: "≥ 1.5× erlang", lowerIsBetter: false, peerNote: peerNote,
      note: "\(sizes.messages) Ints, 1 sender → 1 remote sink"),
    rounds.row(
      "dist.send.4to1.msgs_per_s", unit: "msgs/s", goal: "≥ 1.5× erlang", lowerIsBetter: false, peerNote: peerNote,
      note: "\(sizes.messages) Ints, 4 senders → 1 remote sink"),
    rounds.row(
      "dist.call.rtt_us", unit: "µs", goal: "≤ erlang", lowerIsBetter: true, peerNote: peerNote,
      note: "\(sizes.calls) GenServer calls (gen_server:call) to a counter on the other node"),
    rounds.row(
      "dist.nodedown.detect_ms", unit: "ms", goal: "≤ 3000", lowerIsBetter: true, peerNote: peerNote,
      note: "SIGKILL of the other node → watchNodes nodeDown (net_kernel:monitor_nodes nodedown)"),
    rounds.row(
      "dist.nodedown.monitor_ms", unit: "ms", goal: "≤ 3000", lowerIsBetter: true, peerNote: peerNote,
      note: "SIGKILL → a monitor on its echo fires (reasons: \(downReasons))"),
  ]
  return rows.compactMap { $0 }
}
