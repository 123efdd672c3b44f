// The messages of the `dist` benchmark as they cross between otter-bench and its
// `--serve-dist` child: the echo's ping and pong, the control server's request for a
// sink, the counter's calls. Values only; the processes that use them own their state.
import Actors
import Distribution
import GenServer

/// Ping-pong: the echo answers `.ping(n, to)` with `.pong(n)` to `to`.
enum DistEcho: Transportable {
  case ping(Int, replyTo: Address<DistEcho>)
  case pong(Int)

  func encode(to w: inout WireEncoder) {
    switch self {
    case .ping(let n, let to):
      w.tag(0)
      w.write(n)
      w.write(to)
    case .pong(let n):
      w.tag(1)
      w.write(n)
    }
  }

  init(from r: inout WireDecoder) throws {
    switch try r.tag() {
    case 0: self = .ping(try r.read(), replyTo: try r.read())
    case 1: self = .pong(try r.read())
    case let t: throw WireError.unknownTag(t, in: "DistEcho")
    }
  }
}

/// A request for a new sink: it counts `total` Ints, then sends the count to `reportTo`.
struct DistSinkRequest: Transportable {
  var total: Int
  var reportTo: Address<Int>

  func encode(to w: inout WireEncoder) {
    w.write(total)
    w.write(reportTo)
  }

  init(total: Int, reportTo: Address<Int>) {
    self.total = total
    self.reportTo = reportTo
  }

  init(from r: inout WireDecoder) throws {
    total = try r.read()
    reportTo = try r.read()
  }
}

/// The child's control server: makes a sink process per throughput run and answers
/// its address (which the parent's senders then send their Ints to).
struct DistControl: SyncGenServer {
  typealias Request = DistSinkRequest
  typealias Reply = Address<Int>
  let node: Node

  func initialize(_ ctx: ServerContext<Self>) throws -> InitResult<Self> { .ok(()) }

  func handleCall(_ request: DistSinkRequest, from: From<Address<Int>>, state: inout Void, _ ctx: ServerContext<Self>) throws
    -> CallResult<Self>
  {
    let (total, reportTo) = (request.total, request.reportTo)
    let sink = node.spawn(Int.self) { c in
      var received = 0
      while received < total, try await c.next() != nil { received += 1 }
      reportTo.send(received)
    }
    return .reply(sink)
  }
}

/// The remote GenServer of the call benchmark: adds what it is given, answers the sum.
struct DistCounter: SyncGenServer {
  typealias Request = Int
  typealias Reply = Int

  func initialize(_ ctx: ServerContext<Self>) throws -> InitResult<Self> { .ok(0) }

  func handleCall(_ add: Int, from: From<Int>, state: inout Int, _ ctx: ServerContext<Self>) throws -> CallResult<Self> {
    state += add
    return .reply(state)
  }
}

/// The names the child registers its processes under, and the cluster secret.
enum DistBenchNames {
  static let echo = "echo"
  static let control = "control"
  static let counter = "counter"
  static let secret = "otter-bench-dist"
}
