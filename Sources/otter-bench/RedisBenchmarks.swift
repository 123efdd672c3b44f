// The `redis` benchmark: Otter's Redis client (Sources/Redis) against redis-benchmark,
// the C client that ships with Redis, on the same redis-server in the same run.
//
// SET and GET with 50 clients at pipeline 1 and 16: 50 Otter processes sharing one
// RedisClient, each doing its requests back to back (at pipeline 16, a `pipeline` of 16
// commands and a wait for the 16 replies, as `redis-benchmark -P 16` does per client);
// same request count, key (`key:__rand_int__`: redis-benchmark without -r uses that one
// key) and value (3 bytes, `xxx`). Throughput, and client CPU per command: ours from
// getrusage over the timed section less the node's idle CPU, redis-benchmark's from
// wait4 over its whole run.
//
// PUBLISH → subscriber: one subscriber process (`client.subscribe`) and 50 publishing
// processes; publish throughput, and delivery throughput and latency (the payload is
// the send time). The peer publishes with redis-benchmark while `redis-cli SUBSCRIBE`
// listens, so the server fans out to one subscriber in both cases.
//
// Three interleaved rounds (otter, peer, otter, peer, ...); each row is the median of
// its side, the spread in its note. The driver owns every child process and the node.
import Actors
import Foundation
import Redis

let redisBenchmarks: [Benchmark] = [
  Benchmark(
    name: "redis", summary: "Redis client vs redis-benchmark: SET/GET at -P 1 and 16, 50 clients; PUBLISH→subscriber", run: redisBench)
]

/// The pool size the rounds use. The sweep in every run shows the others: with one
/// scheduler, one connection makes the largest writes and used the least CPU per
/// command (Benchmarks/redis.md).
let redisBenchPoolSize = 1
/// The key and value redis-benchmark uses with `-d 3` and no `-r`.
let redisBenchKey = "key:__rand_int__"
let redisBenchValue = "xxx"
let redisBenchChannel = "otter-bench"

/// One side's figures for one measurement.
struct RedisSideResult: Sendable {
  var opsPerSecond: Double
  /// Client CPU per operation, µs.
  var cpuMicros: Double
}

/// The Otter side of a PUBLISH run.
struct RedisPubSubResult: Sendable {
  var publishedPerSecond: Double
  var receivedPerSecond: Double
  var p50Micros: Double
  var p99Micros: Double
  var cpuMicros: Double
}

/// The Otter client and the node it runs on, for one pool size.
struct RedisBenchClient {
  let node: Node
  let client: RedisClient
  /// CPU seconds the node burns per second when idle (subtracted from measurements).
  let idleCPURate: Double

  static func start(port: Int, poolSize: Int, node: Node) async throws -> RedisBenchClient {
    let client = try await RedisClient.start(RedisConfiguration(host: "127.0.0.1", port: port), poolSize: poolSize, on: node)
    let wall0 = MonotonicClock.seconds()
    let cpu0 = ownCPUSeconds()
    try await Task.sleep(for: .milliseconds(300))
    let rate = max(0, (ownCPUSeconds() - cpu0) / (MonotonicClock.seconds() - wall0))
    return RedisBenchClient(node: node, client: client, idleCPURate: rate)
  }

  func stop() async { await client.stop(node) }

  /// CPU per operation in µs for a section that took `wall` seconds and `cpu` CPU seconds.
  func cpuMicros(cpu: Double, wall: Double, operations: Int) -> Double {
    max(0, cpu - idleCPURate * wall) / Double(operations) * 1e6
  }
}

enum RedisBenchCommand: String, Sendable {
  case set = "SET"
  case get = "GET"
}

/// `requests` SETs or GETs from `clients` processes, `pipeline` at a time each.
func otterRedisCommands(_ bench: RedisBenchClient, _ command: RedisBenchCommand, requests: Int, clients: Int, pipeline: Int)
  async throws -> RedisSideResult
{
  let client = bench.client
  let rounds = requests / clients / pipeline
  let (wall, cpu) = try await bench.node.run { ctx -> (Double, Double) in
    var workers: [(Address<Bool>, RequestID<Result<Void, RedisError>>)] = []
    for _ in 0..<clients {
      let (done, doneRequest) = ctx.makeReply(Result<Void, RedisError>.self)
      let worker = ctx.spawn(Bool.self) { c in
        guard try await c.next() == true else { return }
        let redis = client.on(c)
        do {
          for _ in 0..<rounds {
            switch (command, pipeline) {
            case (.set, 1):
              try await redis.set(redisBenchKey, redisBenchValue)
            case (.get, 1):
              guard try await redis.get(redisBenchKey)?.bytes?.count == redisBenchValue.utf8.count else {
                throw RedisError.protocolError("GET did not return the value SET")
              }
            case (.set, _):
              let replies = try await redis.pipeline((0..<pipeline).map { _ in RedisCommand("SET", redisBenchKey, redisBenchValue) })
              guard case .simpleString = replies[0] else { throw RedisError.protocolError("SET answered \(replies[0])") }
            case (.get, _):
              let replies = try await redis.pipeline((0..<pipeline).map { _ in RedisCommand("GET", redisBenchKey) })
              guard replies.count == pipeline, replies[0].bytes?.count == redisBenchValue.utf8.count else {
                throw RedisError.protocolError("GET did not return the value SET")
              }
            }
          }
          done.reply(.success(()))
        } catch let e as RedisError {
          done.reply(.failure(e))
        }
      }
      workers.append((worker, doneRequest))
    }
    let cpu0 = ownCPUSeconds()
    let t0 = MonotonicClock.seconds()
    for (worker, _) in workers { worker.send(true) }
    for (_, done) in workers { try await ctx.receiveResponse(done, timeout: .seconds(600)).get() }
    return (MonotonicClock.seconds() - t0, ownCPUSeconds() - cpu0)
  }
  let n = rounds * clients * pipeline
  return RedisSideResult(opsPerSecond: Double(n) / wall, cpuMicros: bench.cpuMicros(cpu: cpu, wall: wall, operations: n))
}

/// Waits until `channel` has exactly `count` subscribers on the server.
func awaitSubscribers(_ bench: RedisBenchClient, _ channel: String, _ count: Int) async throws {
  let deadline = MonotonicClock.seconds() + 10
  while true {
    let reply = try await bench.client.on(bench.node).send(["PUBSUB", "NUMSUB", channel])
    let n = reply.array.flatMap { $0.count >= 2 ? $0[1].int : nil } ?? -1
    if n == count { return }
    if MonotonicClock.seconds() > deadline {
      throw PeerError.failed("\(channel) has \(n) subscribers, waited for \(count)")
    }
    try await Task.sleep(for: .milliseconds(10))
  }
}

/// `requests` PUBLISHes from `publishers` processes (`pipeline` at a time) to one
/// subscriber process, each payload the 8-byte time it was made.
func otterRedisPubSub(_ bench: RedisBenchClient, requests: Int, publishers: Int, pipeline: Int) async throws -> RedisPubSubResult {
  let client = bench.client
  let rounds = requests / publishers / pipeline
  let n = rounds * publishers * pipeline
  try await awaitSubscribers(bench, redisBenchChannel, 0)
  struct Received: Sendable {
    var samples: [UInt32]
    var last: UInt64
  }
  let (published, received, cpu) = try await bench.node.run { ctx -> (Double, Received, Double) in
    let (ready, readyRequest) = ctx.makeReply(Result<Void, RedisError>.self)
    let (got, gotRequest) = ctx.makeReply(Result<Received, RedisError>.self)
    ctx.spawn(RedisPubSubEvent.self) { c in
      do {
        try await client.subscribe([redisBenchChannel], c)
      } catch let e as RedisError {
        ready.reply(.failure(e))
        return
      }
      ready.reply(.success(()))
      var samples: [UInt32] = []
      samples.reserveCapacity(n)
      var last: UInt64 = 0
      while samples.count < n {
        guard let event = try await c.next(timeout: .seconds(60)) else {
          got.reply(.failure(.timeout("the subscriber received \(samples.count) of \(n) messages")))
          return
        }
        guard case .message(let m) = event else {
          got.reply(.failure(.connectionLost("the subscriber was told \(event)")))
          return
        }
        last = MonotonicClock.nanoseconds()
        guard m.payload.count == 8 else { continue }
        let sent = m.payload.withUnsafeBytes { UInt64(littleEndian: $0.loadUnaligned(as: UInt64.self)) }
        samples.append(UInt32(clamping: last &- sent))
      }
      got.reply(.success(Received(samples: samples, last: last)))
    }
    try await ctx.receiveResponse(readyRequest, timeout: .seconds(10)).get()

    var workers: [(Address<Bool>, RequestID<Result<Void, RedisError>>)] = []
    for _ in 0..<publishers {
      let (done, doneRequest) = ctx.makeReply(Result<Void, RedisError>.self)
      let worker = ctx.spawn(Bool.self) { c in
        guard try await c.next() == true else { return }
        let redis = client.on(c)
        func stamp() -> [UInt8] { withUnsafeBytes(of: MonotonicClock.nanoseconds().littleEndian, Array.init) }
        do {
          for _ in 0..<rounds {
            if pipeline == 1 {
              try await redis.publish(redisBenchChannel, stamp())
            } else {
              _ = try await redis.pipeline((0..<pipeline).map { _ in RedisCommand("PUBLISH", redisBenchChannel, stamp()) })
            }
          }
          done.reply(.success(()))
        } catch let e as RedisError {
          done.reply(.failure(e))
        }
      }
      workers.append((worker, doneRequest))
    }
    let cpu0 = ownCPUSeconds()
    let t0 = MonotonicClock.nanoseconds()
    for (worker, _) in workers { worker.send(true) }
    for (_, done) in workers { try await ctx.receiveResponse(done, timeout: .seconds(600)).get() }
    let t1 = MonotonicClock.nanoseconds()
    var r = try await ctx.receiveResponse(gotRequest, timeout: .seconds(120)).get()
    let cpu = ownCPUSeconds() - cpu0
    r.last = r.last &- t0
    return (Double(t1 - t0) / 1e9, r, cpu)
  }
  var samples = received.samples
  samples.sort()
  let receiveSeconds = Double(received.last) / 1e9
  return RedisPubSubResult(
    publishedPerSecond: Double(n) / published, receivedPerSecond: Double(n) / receiveSeconds,
    p50Micros: Double(samples[samples.count / 2]) / 1000, p99Micros: Double(samples[samples.count * 99 / 100]) / 1000,
    cpuMicros: bench.cpuMicros(cpu: cpu, wall: receiveSeconds, operations: n))
}

/// The figures of every round, by row name: each side's values in round order (the
/// `dist` benchmark uses it too, with Erlang as the peer).
struct RedisRounds {
  var peerName = "redis-benchmark"
  var otter: [String: [Double]] = [:]
  var peer: [String: [Double]] = [:]

  mutating func add(_ name: String, otter value: Double) { otter[name, default: []].append(value) }
  mutating func add(_ name: String, peer value: Double) { peer[name, default: []].append(value) }

  /// A row: the median of each side, and the spread of both in the note.
  func row(_ name: String, unit: String, goal: String? = nil, lowerIsBetter: Bool, peerNote: String?, note: String? = nil) -> Row? {
    guard let mine = otter[name], !mine.isEmpty else { return nil }
    let theirs = peer[name] ?? []
    func spread(_ v: [Double]) -> String { v.map(Output.format).joined(separator: "/") }
    var parts: [String] = []
    if let note { parts.append(note) }
    if theirs.isEmpty {
      parts.append(mine.count > 1 ? "rounds \(spread(mine))" : "once")
      if let peerNote { parts.append(peerNote) }
    } else {
      let ratios = zip(mine, theirs).map { String(format: "%.2f", $1 == 0 ? 0 : $0 / $1) }
      parts.append("rounds otter \(spread(mine)), peer \(spread(theirs)); ratios \(ratios.joined(separator: "/"))")
    }
    return Row(
      bench: name, value: median(mine), unit: unit, peer: theirs.isEmpty ? nil : median(theirs),
      peerName: theirs.isEmpty ? nil : peerName, goal: goal, lowerIsBetter: lowerIsBetter, note: parts.joined(separator: "; "))
  }
}

func median(_ values: [Double]) -> Double {
  let s = values.sorted()
  return s.count % 2 == 1 ? s[s.count / 2] : (s[s.count / 2 - 1] + s[s.count / 2]) / 2
}

func redisBench(_ options: BenchOptions) async throws -> [Row] {
  guard let serverPath = which("redis-server") else {
    progress("  redis: redis-server is not installed (apt-get install redis-server): skipped")
    return [Row(bench: "redis.skipped", value: 0, unit: "-", note: "redis-server not found on PATH: nothing measured")]
  }
  let benchmarkPath = options.peers ? which("redis-benchmark") : nil
  let cliPath = which("redis-cli")
  let peerNote: String? =
    !options.peers ? "no peer (--no-peers)" : benchmarkPath == nil ? "no peer: redis-benchmark not installed (redis-tools)" : nil
  let pubsubPeerNote: String? = peerNote ?? (cliPath == nil ? "no peer: redis-cli not installed (redis-tools)" : nil)

  let clients = 50
  let requestsP1 = options.quick ? 20_000 : 200_000
  let requestsP16 = options.quick ? 160_000 : 1_600_000
  let publishesP1 = options.quick ? 20_000 : 200_000
  let publishesP16 = options.quick ? 160_000 : 800_000
  let roundCount = options.quick ? 1 : 3

  let server = try RedisServerProcess(executable: serverPath)
  defer { server.stop() }
  var subscriberCLI: ChildProcess?
  defer { subscriberCLI?.stop() }
  progress("  redis-server on 127.0.0.1:\(server.port) (pid \(server.child.pid))")
  // One scheduler, as redis-benchmark has one thread (and as `echo` runs its sides): the
  // server needs the other core. The sweep shows what a second scheduler does.
  let node = try Node(schedulers: 1)
  defer { node.shutdown(timeout: .seconds(2)) }
  var rows: [Row] = []
  // Pool sizes, and a second scheduler, once: SET at both pipeline depths.
  for (size, schedulers) in [(1, 1), (2, 1), (4, 1), (redisBenchPoolSize, 2)] {
    let sweepNode = schedulers == 1 ? node : try Node(schedulers: schedulers)
    defer { if sweepNode !== node { sweepNode.shutdown(timeout: .seconds(2)) } }
    let bench = try await RedisBenchClient.start(port: server.port, poolSize: size, node: sweepNode)
    let tag = schedulers == 1 ? "pool\(size)" : "pool\(size).sched\(schedulers)"
    for p in [1, 16] {
      progress("  \(tag): SET -P \(p)")
      let r = try await otterRedisCommands(bench, .set, requests: p == 1 ? requestsP1 : requestsP16, clients: clients, pipeline: p)
      let chosen = size == redisBenchPoolSize && schedulers == 1 ? "; the rounds' setting" : ""
      rows.append(
        Row(
          bench: "redis.\(tag).set.p\(p).ops_per_s", value: r.opsPerSecond, unit: "ops/s", lowerIsBetter: false,
          note:
            "poolSize \(size), \(schedulers) scheduler\(schedulers == 1 ? "" : "s"), once; CPU \(String(format: "%.2f", r.cpuMicros)) µs/op\(chosen)"
        ))
    }
    await bench.stop()
  }

  var rounds = RedisRounds()
  let bench = try await RedisBenchClient.start(port: server.port, poolSize: redisBenchPoolSize, node: node)
  for round in 1...roundCount {
    for p in [1, 16] {
      let requests = p == 1 ? requestsP1 : requestsP16
      for command in [RedisBenchCommand.set, .get] {
        let name = "redis.\(command.rawValue.lowercased()).p\(p)"
        progress("  round \(round): otter \(command.rawValue) -P \(p)")
        let mine = try await otterRedisCommands(bench, command, requests: requests, clients: clients, pipeline: p)
        rounds.add("\(name).ops_per_s", otter: mine.opsPerSecond)
        rounds.add("\(name).cpu_us_per_op", otter: mine.cpuMicros)
        if let benchmarkPath {
          progress("  round \(round): redis-benchmark \(command.rawValue) -P \(p)")
          let theirs = try RedisBenchmarkPeer.run(
            benchmarkPath, port: server.port, clients: clients, requests: requests, pipeline: p,
            ["-t", command.rawValue.lowercased(), "-d", "3"])
          rounds.add("\(name).ops_per_s", peer: theirs.opsPerSecond)
          rounds.add("\(name).cpu_us_per_op", peer: theirs.cpuSeconds / Double(requests) * 1e6)
        }
      }
    }
    for p in [1, 16] {
      let requests = p == 1 ? publishesP1 : publishesP16
      let name = "redis.publish.p\(p)"
      progress("  round \(round): otter PUBLISH -P \(p)")
      let mine = try await otterRedisPubSub(bench, requests: requests, publishers: clients, pipeline: p)
      rounds.add("\(name).msgs_per_s", otter: mine.publishedPerSecond)
      rounds.add("redis.subscribe.p\(p).msgs_per_s", otter: mine.receivedPerSecond)
      rounds.add("redis.subscribe.p\(p).p50_us", otter: mine.p50Micros)
      rounds.add("redis.subscribe.p\(p).p99_us", otter: mine.p99Micros)
      rounds.add("\(name).cpu_us_per_msg", otter: mine.cpuMicros)
      if let benchmarkPath, let cliPath {
        progress("  round \(round): redis-benchmark PUBLISH -P \(p) (redis-cli subscribed)")
        subscriberCLI = try startRedisCLISubscriber(cliPath, port: server.port, channel: redisBenchChannel)
        try await awaitSubscribers(bench, redisBenchChannel, 1)
        let theirs = try RedisBenchmarkPeer.run(
          benchmarkPath, port: server.port, clients: clients, requests: requests, pipeline: p,
          ["PUBLISH", redisBenchChannel, "xxxxxxxx"])
        subscriberCLI?.stop()
        subscriberCLI = nil
        rounds.add("\(name).msgs_per_s", peer: theirs.opsPerSecond)
      }
    }
  }
  await bench.stop()

  let setting = "\(node.schedulerCount) scheduler, poolSize \(redisBenchPoolSize)"
  let commandRows: [Row?] = [1, 16].flatMap { p -> [Row?] in
    ["set", "get"].flatMap { c -> [Row?] in
      [
        rounds.row(
          "redis.\(c).p\(p).ops_per_s", unit: "ops/s", goal: p == 1 ? "≥ 0.8× peer" : "≥ 0.9× peer", lowerIsBetter: false,
          peerNote: peerNote, note: "50 clients, -P \(p), \(p == 1 ? requestsP1 : requestsP16) requests; \(setting)"),
        rounds.row(
          "redis.\(c).p\(p).cpu_us_per_op", unit: "µs", lowerIsBetter: true, peerNote: peerNote,
          note: "client CPU per command (otter: getrusage less idle; peer: wait4)"),
      ]
    }
  }
  let pubsubRows: [Row?] = [1, 16].flatMap { p -> [Row?] in
    [
      rounds.row(
        "redis.publish.p\(p).msgs_per_s", unit: "msgs/s", lowerIsBetter: false, peerNote: pubsubPeerNote,
        note: "50 publishers, -P \(p), one subscriber (peer: redis-cli)"),
      rounds.row(
        "redis.subscribe.p\(p).msgs_per_s", unit: "msgs/s", lowerIsBetter: false, peerNote: nil, note: "received by our subscriber"),
      rounds.row("redis.subscribe.p\(p).p50_us", unit: "µs", lowerIsBetter: true, peerNote: nil, note: "publish → subscriber's mailbox"),
      rounds.row("redis.subscribe.p\(p).p99_us", unit: "µs", lowerIsBetter: true, peerNote: nil, note: "publish → subscriber's mailbox"),
      rounds.row(
        "redis.publish.p\(p).cpu_us_per_msg", unit: "µs", lowerIsBetter: true, peerNote: nil,
        note: "our client CPU per message, publishing and receiving"),
    ]
  }
  return commandRows.compactMap { $0 } + pubsubRows.compactMap { $0 } + rows
}
