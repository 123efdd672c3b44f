// A node for one test: started with a few schedulers, always shut down afterwards, so
// no test leaves threads or processes behind for the next.
import Actors

/// Runs `body` with a fresh node of `schedulers` threads named `name`, then shuts the node
/// down (its processes get 500 ms to end before they are killed), whether `body` returns or
/// throws. Its reports go to `logger` if given (a `LogCapture`'s, to read them).
public func withNode<R>(
  schedulers: Int = 2, name: String = "testnode", logger: Logger? = nil, _ body: (Node) async throws -> R
) async throws -> R {
  let node = try Node(schedulers: schedulers, name: name, logger: logger)
  defer { node.shutdown(timeout: .milliseconds(500)) }
  return try await body(node)
}
