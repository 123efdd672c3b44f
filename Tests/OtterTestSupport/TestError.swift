// The error test helpers throw when a wait or a connection fails: a message saying what
// the test was waiting for, shown by XCTest as the test's failure.

/// A test helper gave up: timed out, or the connection failed or closed.
public struct TestError: Error, CustomStringConvertible {
  /// What went wrong, e.g. "timed out waiting for 001 (alice)".
  public let description: String

  /// An error saying `description`.
  public init(_ description: String) { self.description = description }
}
