// PrometheusText: whatever families it is given, it writes text that a strict reader of
// the exposition format accepts, with the values, labels and help it was given.
import OtterTestSupport
import XCTest

@testable import Control

final class PrometheusTextTests: XCTestCase {
  func testFamiliesComeBackAsTheyWereGiven() throws {
    let text = PrometheusText.render([
      MetricFamily("app_jobs_total", .counter, help: "Jobs done.", value: 42),
      MetricFamily(
        "app_queue_length", .gauge, help: "Jobs waiting, by queue.",
        samples: [MetricSample(3, labels: [("queue", "fast")]), MetricSample(0.25, labels: [("queue", "slow")])]),
    ])
    XCTAssertEqual(
      text,
      """
      # HELP app_jobs_total Jobs done.
      # TYPE app_jobs_total counter
      app_jobs_total 42
      # HELP app_queue_length Jobs waiting, by queue.
      # TYPE app_queue_length gauge
      app_queue_length{queue="fast"} 3
      app_queue_length{queue="slow"} 0.25

      """)
    let parsed = try PrometheusExposition(parsing: text)
    XCTAssertEqual(parsed.families.map(\.name), ["app_jobs_total", "app_queue_length"])
    XCTAssertEqual(parsed.value("app_queue_length", ["queue": "slow"]), 0.25)
  }

  func testLabelValuesAndHelpAreEscaped() throws {
    let awkward = "a \"quoted\" \\ back\nslash, {braces}=, ünïcødé"
    let text = PrometheusText.render([
      MetricFamily(
        "app_things", .gauge, help: "Help with a \\ and a\nsecond line.", samples: [MetricSample(1, labels: [("name", awkward)])])
    ])
    XCTAssertTrue(text.contains(#"# HELP app_things Help with a \\ and a\nsecond line."#), text)
    XCTAssertTrue(text.contains(#"name="a \"quoted\" \\ back\nslash, {braces}=, ünïcødé""#), text)
    let parsed = try PrometheusExposition(parsing: text)
    XCTAssertEqual(parsed.family("app_things")?.help, "Help with a \\ and a\nsecond line.")
    XCTAssertEqual(parsed.samples("app_things").first?.labels["name"], awkward)
  }

  func testBadNamesAreRepairedAndCountersEndInTotal() throws {
    let text = PrometheusText.render([
      MetricFamily(
        "app requests", .counter, help: "Requests.", samples: [MetricSample(7, labels: [("the-path", "/"), ("__reserved", "x")])]),
      MetricFamily("9lives", .gauge, help: "Lives.", value: 9),
      MetricFamily("app:rate:sum", .gauge, help: "Colons are allowed in metric names.", value: 1),
    ])
    let parsed = try PrometheusExposition(parsing: text)
    XCTAssertEqual(parsed.families.map(\.name), ["app_requests_total", "_9lives", "app:rate:sum"])
    XCTAssertEqual(parsed.samples("app_requests_total").first?.labels, ["the_path": "/", "_reserved": "x"])
  }

  func testOneNameIsOneFamilyAndOneSeriesIsWrittenOnce() throws {
    let text = PrometheusText.render([
      MetricFamily("app_up", .gauge, help: "First.", samples: [MetricSample(1, labels: [("a", "1"), ("b", "2")])]),
      MetricFamily("app_other", .gauge, help: "Between.", value: 0),
      MetricFamily(
        "app_up", .gauge, help: "Second.",
        samples: [MetricSample(2, labels: [("b", "2"), ("a", "1")]), MetricSample(3, labels: [("a", "3")])]),
      MetricFamily("app_up", .counter, help: "Another type.", value: 4),
    ])
    let parsed = try PrometheusExposition(parsing: text)
    XCTAssertEqual(parsed.families.map(\.name), ["app_up", "app_other", "app_up_total"])
    XCTAssertEqual(parsed.family("app_up")?.help, "First.")
    XCTAssertEqual(parsed.samples("app_up").map(\.value), [1, 3])
  }

  func testValuesAreWrittenAsGoReadsThem() {
    XCTAssertEqual(PrometheusText.format(0), "0")
    XCTAssertEqual(PrometheusText.format(-12), "-12")
    XCTAssertEqual(PrometheusText.format(1_234_567_890_123), "1234567890123")
    XCTAssertEqual(PrometheusText.format(0.5), "0.5")
    XCTAssertEqual(PrometheusText.format(.nan), "NaN")
    XCTAssertEqual(PrometheusText.format(.infinity), "+Inf")
    XCTAssertEqual(PrometheusText.format(-.infinity), "-Inf")
    XCTAssertEqual(PrometheusText.format(1e20), "1e+20")
    for v in [0.1, 1e-9, 123.456, 1e20, Double(UInt64.max)] {
      XCTAssertEqual(PrometheusExposition.parseValue(PrometheusText.format(v)), v)
    }
  }

  /// The reader the endpoint tests rely on refuses what breaks the format's rules.
  func testTheReaderRefusesBrokenText() {
    let broken: [(String, String)] = [
      ("no final line feed", "# HELP a A.\n# TYPE a gauge\na 1"),
      ("bad metric name", "# HELP 1a A.\n# TYPE 1a gauge\n1a 1\n"),
      ("bad label name", "# HELP a A.\n# TYPE a gauge\na{1x=\"v\"} 1\n"),
      ("reserved label name", "# HELP a A.\n# TYPE a gauge\na{__x=\"v\"} 1\n"),
      ("unquoted label value", "# HELP a A.\n# TYPE a gauge\na{x=v} 1\n"),
      ("unknown escape", "# HELP a A.\n# TYPE a gauge\na{x=\"\\t\"} 1\n"),
      ("label twice", "# HELP a A.\n# TYPE a gauge\na{x=\"1\",x=\"2\"} 1\n"),
      ("value not a float", "# HELP a A.\n# TYPE a gauge\na one\n"),
      ("TYPE after samples", "# HELP a A.\na 1\n# TYPE a gauge\n"),
      ("unknown type", "# HELP a A.\n# TYPE a meter\na 1\n"),
      ("two TYPEs", "# HELP a A.\n# TYPE a gauge\n# TYPE a gauge\na 1\n"),
      ("interleaved families", "# HELP a A.\n# TYPE a gauge\na 1\n# HELP b B.\n# TYPE b gauge\nb 1\na{x=\"1\"} 2\n"),
      ("series twice", "# HELP a A.\n# TYPE a gauge\na{x=\"1\"} 1\na{x=\"1\"} 2\n"),
      ("counter without _total", "# HELP a A.\n# TYPE a counter\na 1\n"),
      ("no HELP", "# TYPE a gauge\na 1\n"),
      ("no TYPE", "# HELP a A.\na 1\n"),
      ("text after the value", "# HELP a A.\n# TYPE a gauge\na 1 2 3\n"),
    ]
    for (rule, text) in broken {
      XCTAssertThrowsError(try PrometheusExposition(parsing: text), rule)
    }
    XCTAssertNoThrow(try PrometheusExposition(parsing: "# HELP a A.\n# TYPE a gauge\n# a comment\n\na{x=\"1\",} 1 1700000000000\n"))
  }
}
