// The messages of the `dist` benchmark as they cross between otter-bench and its
// `--serve-dist` child: the control server's request for a sink (the echo and the
// counter are DistributionExamples', shared with the tests). Values only; the
// processes that use them own their state.
import Actors
import Distribution
import GenServer

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

/// The names the child registers its processes under, and the cluster secret.
enum DistBenchNames {
  static let echo = "echo"
  static let control = "control"
  static let counter = "counter"
  static let secret = "otter-bench-dist"
}
