// Operations an application adds to its node's control endpoint, beside the built-in
// ones the observer uses: a chatd master's `reload`, a worker's session hand-off. Given
// with the endpoint's options; the endpoint's connections run them. Owner: the options
// (values); nothing here holds state.
import Actors

/// An operation of the application's own on a control endpoint
/// (`EndpointOptions.operations`), called by name (`ControlClient.request(named:)`).
public struct ControlOperation: Sendable {
  /// One line for `hello`'s list of operations.
  public var summary: String
  /// Runs the operation for a connection of `node` (its process waits meanwhile):
  /// `parameters` are the request's fields less the envelope (`v`, `id`, `op`). A thrown
  /// `ControlError` is the reply.
  public var run: @Sendable (_ parameters: [(key: String, value: JSON)], _ node: Node) async throws(ControlError) -> JSON

  public init(
    summary: String,
    run: @escaping @Sendable (_ parameters: [(key: String, value: JSON)], _ node: Node) async throws(ControlError) -> JSON
  ) {
    self.summary = summary
    self.run = run
  }
}
