import OtterTestSupport
import XCTest

@testable import Actors
@testable import GenServer
@testable import Supervision

/// How an OS process's end becomes its owner's exit reason, and what the supervisor's
/// restart types then do with it.
final class OSProcessExitTests: XCTestCase {
  /// The reason the child `id`'s owner ends with, once its OS process does by itself.
  func reason(_ steps: [String], minUptime: Duration = .milliseconds(100)) async throws -> ExitReason {
    try await withNode { node in
      let sup = try await node.start(
        Supervisor(
          SupervisorFlags(intensity: 10), children: [.osProcess(id: "c", try testChild(steps, minUptime: minUptime), restart: .temporary)]))!
      let owner = try await pid(of: "c", in: sup, node)!
      let why = try await exitReason(of: owner, node)
      try await node.stop(sup, reason: .shutdown)
      return why
    }
  }

  func testStatusAndSignalsBecomeReadableReasons() async throws {
    let status = try await reason(["sleep", "150", "exit", "3"])
    XCTAssertEqual(status, .custom("exited with status 3"))
    let segv = try await reason(["sleep", "150", "raise", "SEGV"])
    XCTAssertEqual(segv, .custom("killed by SIGSEGV"))
    let ok = try await reason(["sleep", "150", "exit", "0"])
    XCTAssertEqual(ok, .normal)
  }
}
