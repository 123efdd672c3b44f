// swift-format-ignore-file
// (The README's example of serving metrics from an application of one's own, verbatim
// between the markers — its imports in the README's order — compiled and run here; the
// test checks the README still shows exactly this.)
import OtterTestSupport
import XCTest

// README begin
import Actors
import Control
import Synchronization

let jobsDone = Atomic<Int>(0)  // the application's own counter

/// The body of a `GET /metrics`, made in the process that serves it.
func metricsText(_ ctx: Context<Never>) async -> String {
  var families = await NodeMetrics.collect(ctx.node, caller: ctx.pid)  // supervisors: the tree above ctx
  families.append(MetricFamily("app_jobs_total", .counter, help: "Jobs done.", value: jobsDone.load(ordering: .relaxed)))
  return PrometheusText.render(families)  // Content-Type: PrometheusText.contentType
}
// README end

final class ReadmeMetricsExampleTests: XCTestCase {
  func testTheReadmeShowsThisExample() throws {
    let source = try String(contentsOfFile: #filePath, encoding: .utf8)
    let example = try XCTUnwrap(
      source.components(separatedBy: "// README begin\n").dropFirst().first?.components(separatedBy: "// README end").first)
    let readme = try String(contentsOfFile: #filePath.components(separatedBy: "/Tests/")[0] + "/README.md", encoding: .utf8)
    XCTAssertTrue(readme.contains("```swift\n" + example + "```\n"), "README.md no longer shows the metrics example of \(#fileID)")
  }

  func testTheExampleServesTheRuntimeAndItsOwnFamilies() async throws {
    try await withNode { node in
      jobsDone.store(3, ordering: .relaxed)
      let text = try await node.run(Never.self) { ctx in await metricsText(ctx) }
      let parsed = try PrometheusExposition(parsing: text)
      XCTAssertEqual(parsed.value("app_jobs_total"), 3)
      XCTAssertNotNil(parsed.value("otter_processes"))
    }
  }
}
