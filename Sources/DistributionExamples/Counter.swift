// A counter server whose calls can come from another node: the distribution tests',
// otter-dist-node's and the benchmark's. Its state is the sum, owned by its process.
import Actors
import Distribution
import GenServer

/// Adds what it is called with and answers the sum; a negative number crashes it (to
/// see a remote caller get the real reason).
public struct Counter: SyncGenServer {
  public typealias Request = Int
  public typealias Reply = Int

  public init() {}

  public func initialize(_ ctx: ServerContext<Self>) throws -> InitResult<Self> { .ok(0) }

  public func handleCall(_ add: Int, from: From<Int>, state: inout Int, _ ctx: ServerContext<Self>) throws -> CallResult<Self> {
    if add < 0 { throw CounterCrash() }
    state += add
    return .reply(state)
  }
}

/// How a counter called with a negative number ends.
public struct CounterCrash: Error, CustomStringConvertible {
  public var description: String { "a negative add" }
}
