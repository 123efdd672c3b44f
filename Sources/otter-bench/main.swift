import Actors
import Glibc
import Synchronization

func now() -> UInt64 { var ts = timespec(); clock_gettime(CLOCK_MONOTONIC, &ts); return UInt64(ts.tv_sec) * 1_000_000_000 + UInt64(ts.tv_nsec) }

enum RingMsg: Sendable { case next(Address<RingMsg>), token(Int) }

let node = try Node()
let only = CommandLine.arguments.count > 1 ? CommandLine.arguments[1] : ""
// ring
if only == "" || only == "ring" {
  let n = Int(getenv("RING_N").map { String(cString: $0) } ?? "10000")!, hops = 1_000_000
  let t = try await node.run(Int.self) { ctx in
    let me = ctx.address
    var first: Address<RingMsg>? = nil
    var prev: Address<RingMsg>? = nil
    var nodes: [Address<RingMsg>] = []
    for _ in 0..<n {
      let a = ctx.spawn(RingMsg.self, state: (next: Optional<Address<RingMsg>>.none, parent: me)) { st, msg, _ in
        switch msg {
        case .message(.next(let a)): st.next = a
        case .message(.token(let k)):
          if k == 0 { st.parent.send(0) } else { st.next!.send(.token(k - 1)) }
        default: break
        }
        return .continue
      }
      nodes.append(a)
    }
    for i in 0..<n { nodes[i].send(.next(nodes[(i + 1) % n])) }
    _ = first; _ = prev
    try await ctx.sleep(for: .milliseconds(50))
    let t0 = now()
    nodes[0].send(.token(hops))
    _ = try await ctx.next()
    return now() - t0
  }
  print("ring ns/hop:", Double(t) / Double(1_000_000))
}
// ping-pong
if only == "" || only == "pp" {
  let n = 1_000_000
  let t = try await node.run(Int.self) { ctx in
    let me = ctx.address
    let pong = ctx.spawn(Int.self, state: me) { st, msg, _ in
      if case .message(let k) = msg { st.send(k) }
      return .continue
    }
    let t0 = now()
    for i in 0..<n {
      pong.send(i)
      _ = try await ctx.next()
    }
    return now() - t0
  }
  print("pingpong body ns/rt:", Double(t) / Double(n))
}
// ping-pong handler-to-handler
if only == "" || only == "pph" {
  let n = 1_000_000
  let t = try await node.run(Int.self) { ctx in
    let me = ctx.address
    let pong = ctx.spawn(Int.self, state: ()) { _, msg, _ in return .continue }
    _ = pong
    struct PS { var pong: Address<(Int, Address<Int>)>?; var left: Int; var parent: Address<Int>; var t0: UInt64 }
    let ponger = ctx.spawn((Int, Address<Int>).self, state: ()) { _, msg, _ in
      if case .message(let (k, from)) = msg { from.send(k) }
      return .continue
    }
    let pinger = ctx.spawn(Int.self, state: PS(pong: ponger, left: n, parent: me, t0: 0)) { st, msg, c in
      if case .message(let k) = msg {
        if k == -1 { st.t0 = now() }
        st.left -= 1
        if st.left < 0 { st.parent.send(Int(now() - st.t0)); return .continue }
        st.pong!.send((k, c.address))
      }
      return .continue
    }
    pinger.send(-1)
    return try await ctx.next()!
  }
  print("pingpong handlers ns/rt:", Double(t) / Double(n))
}
// request/reply
if only == "" || only == "req" {
  let n = 1_000_000
  enum Req: Sendable { case incr(ReplyTo<Int>) }
  let t = try await node.run(Int.self) { ctx in
    let server = ctx.spawn(Req.self, state: 0) { st, msg, _ in
      if case .message(.incr(let r)) = msg { st += 1; r.reply(st) }
      return .continue
    }
    let t0 = now()
    var last = 0
    for _ in 0..<n { last = try await ctx.request(server) { Req.incr($0) } }
    precondition(last == n)
    return Int(now() - t0)
  }
  print("request ns/call:", Double(t) / Double(n))
}
node.shutdown()
