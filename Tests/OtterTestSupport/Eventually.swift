// Waiting for something a test cannot be told about (a supervisor's restart, a process
// gone): poll, with a bound, so tests need no fixed sleeps and a broken runtime fails a
// test instead of hanging it.

/// Waits until `condition` holds, checking it every 2 ms or so, for at most `timeout`.
///
/// Throws `TestError` ("timed out after 5.0 seconds waiting for `what`", and where it was
/// called from) if `timeout` passes first: the test fails with that message, or, under
/// `try?`, the wait was optional. The condition may be synchronous or async; an error it
/// throws ends the wait and is passed on.
public func eventually(
  _ what: @autoclosure () -> String = "the condition to hold", timeout: Duration = .seconds(5),
  file: StaticString = #fileID, line: UInt = #line, _ condition: () async throws -> Bool
) async throws {
  _ = try await eventuallyValue(what(), timeout: timeout, file: file, line: line) { try await condition() ? true : nil }
}

/// Waits until `probe` gives a value, and returns it: `eventually` for a state a test must
/// also read, such as the pid of a restarted process.
@discardableResult
public func eventuallyValue<T>(
  _ what: @autoclosure () -> String, timeout: Duration = .seconds(5),
  file: StaticString = #fileID, line: UInt = #line, _ probe: () async throws -> T?
) async throws -> T {
  let deadline = ContinuousClock.now + timeout
  while true {
    if let value = try await probe() { return value }
    if ContinuousClock.now >= deadline { throw TestError("timed out after \(timeout) waiting for \(what()) (\(file):\(line))") }
    try await Task.sleep(for: .milliseconds(2))
  }
}
