import Foundation
import XCTest
@testable import Actors

/// Runs `body` with a fresh node of `schedulers` threads and shuts it down afterwards.
func withNode<R>(
  schedulers: Int = 2, _ body: (Node) async throws -> R
) async throws -> R {
  let node = try Node(schedulers: schedulers)
  do {
    let r = try await body(node)
    node.shutdown(timeout: .milliseconds(300))
    return r
  } catch {
    node.shutdown(timeout: .milliseconds(300))
    throw error
  }
}

/// Polls `condition` until it holds or `timeout` passes.
func eventually(
  timeout: Duration = .seconds(5), _ message: @autoclosure () -> String = "condition never held",
  file: StaticString = #filePath, line: UInt = #line, _ condition: () -> Bool
) async {
  let deadline = ContinuousClock.now + timeout
  while !condition() {
    if ContinuousClock.now > deadline {
      XCTFail(message(), file: file, line: line)
      return
    }
    try? await Task.sleep(for: .milliseconds(1))
  }
}

/// A message type used by many tests.
enum TestMsg: Sendable, Equatable {
  case int(Int)
  case text(String)
  case ping(Address<TestMsg>)
  case pong
  case stop
}

/// Collects what a watcher process saw, for assertions from the test.
final class Recorder<T: Sendable>: @unchecked Sendable {
  // Guarded by `lock`.
  private let lock = NSLock()
  private var items: [T] = []

  func add(_ item: T) { lock.lock(); items.append(item); lock.unlock() }
  var all: [T] { lock.lock(); defer { lock.unlock() }; return items }
  var count: Int { lock.lock(); defer { lock.unlock() }; return items.count }
}

struct Boom: Error, Equatable, CustomStringConvertible {
  let code: Int
  var description: String { "boom \(code)" }
}
