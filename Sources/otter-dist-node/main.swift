// otter-dist-node: a small Otter node for the distribution tests and benchmarks. It joins
// a cluster and takes commands on standard input, one per line, printing what happens on
// standard output, one event per line (flushed), so a test in another OS process can
// drive it:
//
//   otter-dist-node --name a --secret s [--listen-port P] [--redis URL --cluster C]
//   > echo NAME              start an echo process registered as NAME
//   > counter NAME           start a Counter server registered as NAME
//   > connect NODE HOST:PORT connect to a node by hand (without Redis)
//   > pings NODE NAME N      send N pings to NAME on NODE; prints "pongs N ordered|disordered"
//   > call NODE NAME ADD     prints "call VALUE" or "call-error REASON"
//   > monitor NODE NAME      prints "down REASON" when the monitor fires
//   > link NODE NAME         a trapping process links; prints "exit REASON"
//   > crash NAME             the local echo NAME crashes
//   > nodes                  prints "nodes a,b"
//   > keep NODE NAME         looks NAME up on NODE and keeps its address
//   > kept                   pings the kept address: prints "kept-reply" or "kept-timeout"
//   > quit
// Events: "ready NAME HOST:PORT INCARNATION", "up NODE", "down NODE REASON",
// "rejoined OLD NEW" (this node lost its lease and took a new incarnation),
// "redis unreachable ERROR" and "redis reachable" (the membership's calls to Redis).
import Actors
import Control
import Distribution
import DistributionExamples
import Foundation
import GenServer
import Redis
import Synchronization

let out = Locked(())
/// An address kept by `keep` (to check that a stale one gets nothing).
let kept = Mutex<Address<Echo>?>(nil)
/// The echo processes started here, by name.
let echoes = Locked<[String: Address<Echo>]>([:])
func say(_ line: String) {
  out.withLock { _ in
    FileHandle.standardOutput.write(Data((line + "\n").utf8))
  }
}

var name = ""
var secret = ""
var listenPort = 0
var redisURL: String?
var cluster = "otter"
var arguments = CommandLine.arguments.dropFirst()
while let flag = arguments.popFirst() {
  switch flag {
  case "--name": name = arguments.popFirst() ?? ""
  case "--secret": secret = arguments.popFirst() ?? ""
  case "--listen-port": listenPort = Int(arguments.popFirst() ?? "") ?? 0
  case "--redis": redisURL = arguments.popFirst()
  case "--cluster": cluster = arguments.popFirst() ?? "otter"
  default:
    FileHandle.standardError.write(Data("otter-dist-node: unknown flag \(flag)\n".utf8))
    exit(2)
  }
}

let node = try Node(name: name)
// A control endpoint, published in the membership: `observer --cluster URL --node NAME`.
let control = try await Control.start(on: node, path: nil)
var config = DistributionConfiguration(name: name, secret: secret)
config.listenPort = listenPort
config.cluster = cluster
let dist: Distribution
do {
  if let redisURL {
    let redis = try await RedisClient.start(RedisConfiguration(url: redisURL), poolSize: 1, on: node)
    dist = try await Distribution.start(config, redis: redis, metadata: ["os_pid": "\(getpid())", "control": control.path], on: node)
  } else {
    dist = try await Distribution.start(config, on: node)
  }
} catch {
  FileHandle.standardError.write(Data("otter-dist-node: \(error)\n".utf8))
  exit(1)
}
dist.watchNodes { event in
  switch event {
  case .nodeUp(let n): say("up \(n)")
  case .nodeDown(let n, let reason): say("down \(n) \(reason)")
  case .rejoined(let old, let new): say("rejoined \(old) \(new)")
  }
}
dist.watchHealth { health in
  switch health {
  case .reachable: say("redis reachable")
  case .unreachable(_, let error): say("redis unreachable \(error)")
  }
}
say("ready \(name) \(dist.address) \(dist.incarnation)")

func run(_ words: [String]) async {
  do {
    switch words.first {
    case "echo":
      let echo = node.spawn(Echo.self) { ctx in try await Echo.serve(ctx) }
      try dist.register(words[1], echo)
      echoes.withLock { $0[words[1]] = echo }
      say("ok")
    case "counter":
      guard let counter = try await node.start(Counter()) else { return }
      try dist.register(words[1], counter.address)
      say("ok")
    case "connect":
      let (peer, address) = (words[1], words[2])
      try await dist.connect(to: peer, at: address)
      say("ok")
    case "pings":
      let (peer, target, n) = (words[1], words[2], Int(words[3]) ?? 0)
      let started = ContinuousClock.now
      let ordered = try await node.run(Echo.self) { ctx -> Bool in
        for i in 0..<n { dist.send(Echo.ping(i, replyTo: ctx.address), to: target, on: peer) }
        var next = 0
        var ordered = true
        while next < n, let m = try await ctx.next(timeout: .seconds(20)) {
          if case .pong(let k) = m {
            if k != next { ordered = false }
            next += 1
          }
        }
        return ordered && next == n
      }
      say("pongs \(n) \(ordered ? "ordered" : "disordered") \(Int((ContinuousClock.now - started) / .microseconds(1)))us")
    case "call":
      let ref = try await dist.server(words[2], on: words[1], Counter.self)
      do {
        say("call \(try await node.call(ref, Int(words[3]) ?? 0, timeout: .seconds(30)))")
      } catch {
        say("call-error \(error)")
      }
    case "monitor":
      let target = try await dist.lookup(words[2], on: words[1], as: Echo.self)
      node.spawn(Never.self) { ctx in
        let ref = ctx.monitor(target.pid)
        say("monitoring")
        let reason = try await ctx.receive { m -> ExitReason? in
          if case .down(let r, _, let reason) = m, r == ref { return reason }
          return nil
        }
        say("down-message \(reason.map { "\($0)" } ?? "?")")
      }
    case "link":
      let target = try await dist.lookup(words[2], on: words[1], as: Echo.self)
      node.spawn(Never.self) { ctx in
        ctx.trapExit = true
        ctx.link(target.pid)
        say("linked")
        let reason = try await ctx.receive { m -> ExitReason? in
          if case .exit(_, let reason) = m { return reason }
          return nil
        }
        say("exit-message \(reason.map { "\($0)" } ?? "?")")
      }
    case "crash":
      echoes.withLock { $0[words[1]] }?.send(.text("crash"))
      say("ok")
    case "keep":
      let target = try await dist.lookup(words[2], on: words[1], as: Echo.self)
      kept.withLock { $0 = target }
      say("ok")
    case "kept":
      guard let target = kept.withLock({ $0 }) else { return say("error nothing kept") }
      let replied = try await node.run(Echo.self) { ctx -> Bool in
        target.send(.ping(1, replyTo: ctx.address))
        return try await ctx.next(timeout: .seconds(1)) != nil
      }
      say(replied ? "kept-reply" : "kept-timeout")
    case "nodes":
      say("nodes \(dist.connectedNodes.joined(separator: ","))")
    case "quit":
      exit(0)
    default:
      say("error unknown command \(words.first ?? "")")
    }
  } catch {
    say("error \(error)")
  }
}

while let line = readLine() {
  let words = line.split(separator: " ").map(String.init)
  if words.isEmpty { continue }
  await run(words)
}
