import OtterTestSupport
import XCTest

@testable import Actors
@testable import ChatApp

/// chatd's history store says how much memory SQLite holds, so that the node's memory
/// report (the observer's memory view) can place it.
final class MemoryReportTests: XCTestCase {
  func testTheHistoryStoreReportsSQLitesMemory() async throws {
    try await withChatServer { server in
      let node = server.application.node
      let part = try await eventuallyValue("the history store's report") {
        node.memoryReport().parts.first { $0.name == "history store" }
      }
      XCTAssertGreaterThan(part.bytes, 0)
      XCTAssertTrue(part.counted.contains("sqlite3_memory_used"), part.counted)
      // It goes with the store's process, and comes back with its restart.
      let store = try XCTUnwrap(node.whereis(ChatServices.historyName))
      node.exit(store, reason: .kill)
      try await eventually("the restarted store's report") {
        node.whereis(ChatServices.historyName).map { $0 != store } == true
          && node.memoryReport().parts.filter { $0.name == "history store" }.count == 1
      }
    }
  }
}
