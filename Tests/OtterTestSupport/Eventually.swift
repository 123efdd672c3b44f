// Waiting for something a test cannot be told about: poll a condition, with a bound, so
// tests need no fixed sleeps and a broken runtime fails a test instead of hanging it.
import XCTest

/// Waits until `condition` holds, checking it every 2 ms or so, for at most `timeout`.
///
/// Returns true as soon as it holds. If `timeout` passes first, the test fails at the
/// caller's line ("timed out after 5.0 seconds waiting for `what`") and the result is false.
/// The condition may be synchronous or async; an error it throws ends the wait and is
/// passed on.
@discardableResult
public func eventually(
  _ what: @autoclosure () -> String = "the condition to hold", timeout: Duration = .seconds(5),
  file: StaticString = #filePath, line: UInt = #line, _ condition: () async throws -> Bool
) async rethrows -> Bool {
  let deadline = ContinuousClock.now + timeout
  while true {
    if try await condition() { return true }
    if ContinuousClock.now >= deadline {
      XCTFail("timed out after \(timeout) waiting for \(what())", file: file, line: line)
      return false
    }
    try? await Task.sleep(for: .milliseconds(2))
  }
}
