// Who waits for Redis: a process (its Context: it waits in a selective receive, never on
// a thread) or code outside any process (a Node: tests, main).
import Actors

/// Something that can send a request to a process and wait for the reply: a process's
/// `Context`, or a `Node` from outside any process.
public protocol RedisCaller {
  func request<T: Sendable, R: Sendable>(_ target: Address<T>, timeout: Timeout, _ make: (ReplyTo<R>) -> T) async throws -> R
}

extension Context: RedisCaller {}
extension Node: RedisCaller {}
