// The logging facility: levels filter before anything is built, metadata merges and
// behaves as a value, human and JSON lines are one line each (JSON lines parse), a log
// file takes whole lines from many threads and reopens under its path, the system's
// bootstrap chooses new loggers' handlers, and a node's reports go to its logger.
import Foundation
import OtterTestSupport
import XCTest

@testable import Actors

final class LoggingTests: XCTestCase {
  func testLinesBelowTheLevelAreDroppedUnbuilt() {
    let capture = LogCapture()
    let logger = capture.logger(level: .warning)
    let built = Recorder<String>()
    func text(_ s: String) -> String {
      built.add(s)
      return s
    }
    logger.debug("\(text("debug"))")
    logger.info("\(text("info"))", metadata: ["k": "\(text("info metadata"))"])
    logger.notice("\(text("notice"))")
    logger.warning("\(text("warning"))")
    logger.error("\(text("error"))")
    logger.critical("\(text("critical"))")
    XCTAssertEqual(capture.all.map(\.message), ["warning", "error", "critical"])
    XCTAssertEqual(built.all, ["warning", "error", "critical"], "a line below the level builds neither message nor metadata")
    XCTAssertEqual(capture.all.map(\.level), [.warning, .error, .critical])
    XCTAssertFalse(logger.isLogging(.notice))
    XCTAssertTrue(logger.isLogging(.warning))
  }

  func testLevelsAreOrderedAndNamed() {
    XCTAssertEqual(Logger.Level.allCases, [.trace, .debug, .info, .notice, .warning, .error, .critical])
    XCTAssertEqual(Logger.Level.allCases.sorted(), Logger.Level.allCases)
    XCTAssertEqual(Logger.Level(name: "WARN"), .warning)
    XCTAssertEqual(Logger.Level(name: "Debug"), .debug)
    XCTAssertNil(Logger.Level(name: "loud"))
  }

  func testMetadataMergesAndIsAValue() {
    let capture = LogCapture()
    var first = capture.logger(label: "orders")
    first[metadataKey: "shard"] = "3"
    first[metadataKey: "region"] = "eu"
    var second = first
    second[metadataKey: "shard"] = "4"
    second.logLevel = .error
    XCTAssertEqual(first[metadataKey: "shard"], "3", "changing a copy leaves the original alone")
    XCTAssertEqual(first.logLevel, .trace)
    first.info("placed", metadata: ["region": "us", "id": 7])
    let record = capture.all[0]
    XCTAssertEqual(record.label, "orders")
    XCTAssertEqual(record["shard"], "3")
    XCTAssertEqual(record["region"], "us", "the line's own metadata wins")
    XCTAssertEqual(record["id"], "7")
    XCTAssertEqual(record.source, "ActorsTests", "the module that logged, from #fileID")
  }

  func testJSONLinesParseWithEveryField() throws {
    let metadata: Logger.Metadata = [
      "text": "quote \" backslash \\ newline \n tab \t bell \u{7} é 🦦", "count": .stringConvertible(3),
      "ratio": .stringConvertible(0.5), "flag": .stringConvertible(true), "nested": ["a": "1", "list": ["x", 2]],
    ]
    let bytes = JSONLogHandler.line(level: .error, label: "chatd", message: "two\nlines \"quoted\"", metadata: metadata)
    XCTAssertEqual(bytes.last, 0x0A)
    XCTAssertEqual(bytes.filter { $0 == 0x0A }.count, 1, "one line, whatever the text holds")
    let object = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(bytes)) as? [String: Any])
    XCTAssertEqual(Set(object.keys), ["time", "level", "label", "message", "metadata"])
    XCTAssertEqual(object["level"] as? String, "error")
    XCTAssertEqual(object["label"] as? String, "chatd")
    XCTAssertEqual(object["message"] as? String, "two\nlines \"quoted\"")
    let time = try XCTUnwrap(object["time"] as? String)
    XCTAssertNotNil(time.wholeMatch(of: /\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z/), time)
    let fields = try XCTUnwrap(object["metadata"] as? [String: Any])
    XCTAssertEqual(fields["text"] as? String, "quote \" backslash \\ newline \n tab \t bell \u{7} é 🦦")
    XCTAssertEqual(fields["count"] as? Int, 3, "numbers stay numbers")
    XCTAssertEqual(fields["ratio"] as? Double, 0.5)
    XCTAssertEqual(fields["flag"] as? Bool, true)
    let nested = try XCTUnwrap(fields["nested"] as? [String: Any])
    XCTAssertEqual(nested["a"] as? String, "1")
    XCTAssertEqual((nested["list"] as? [Any])?.count, 2)
  }

  func testHumanLinesAreOneLineWithKeyValues() {
    let bytes = HumanLogHandler.line(
      level: .warning, label: "shop", message: "first\nsecond",
      metadata: ["plain": "word", "spaced": "two words", "quoted": "say \"hi\"", "empty": ""])
    let line = String(decoding: bytes, as: UTF8.self)
    XCTAssertEqual(bytes.filter { $0 == 0x0A }.count, 1)
    XCTAssertTrue(line.hasSuffix("\n"))
    let pattern =
      /\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z warning shop: first\\nsecond empty="" plain=word quoted="say \\"hi\\"" spaced="two words"\n/
    XCTAssertNotNil(line.wholeMatch(of: pattern), line)
  }

  func testAFileTakesWholeLinesFromManyThreads() throws {
    let path = temporaryDirectory("log") + "/lines.log"
    let output = try LogOutput(path: path)
    let threads = 8
    let perThread = 500
    DispatchQueue.concurrentPerform(iterations: threads) { t in
      let logger = Logger(label: "t\(t)", handler: JSONLogHandler(label: "t\(t)", output: output, level: .trace))
      for i in 0..<perThread {
        logger.info("line \(i) \(String(repeating: "x", count: 200 + i % 300))", metadata: ["thread": .stringConvertible(t)])
      }
    }
    let lines = try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n")
    XCTAssertEqual(lines.count, threads * perThread)
    for line in lines {
      XCTAssertNoThrow(try JSONSerialization.jsonObject(with: Data(line.utf8)), "a line cut or mixed with another: \(line.prefix(80))")
    }
  }

  func testReopenWritesToANewFileAfterARename() throws {
    let directory = temporaryDirectory("log")
    let path = directory + "/app.log"
    let output = try LogOutput(path: path)
    let logger = Logger(label: "app", handler: HumanLogHandler(label: "app", output: output))
    logger.info("before the rotation")
    XCTAssertEqual(rename(path, directory + "/app.log.1"), 0)
    logger.info("after the rename, before the reopen")
    try output.reopen()
    logger.info("after the reopen")
    let rotated = try String(contentsOfFile: directory + "/app.log.1", encoding: .utf8)
    let fresh = try String(contentsOfFile: path, encoding: .utf8)
    XCTAssertTrue(rotated.contains("before the rotation"))
    XCTAssertTrue(rotated.contains("after the rename, before the reopen"), "until the reopen, the renamed file gets the lines")
    XCTAssertFalse(rotated.contains("after the reopen"))
    XCTAssertTrue(fresh.contains("after the reopen"))
    XCTAssertEqual(fresh.split(separator: "\n").count, 1)
  }

  func testAFileThatCannotBeOpenedSaysWhichAndWhy() throws {
    let path = temporaryDirectory("log") + "/no/such/dir/app.log"
    XCTAssertThrowsError(try LogOutput(path: path)) { error in
      XCTAssertEqual("\(error)", "cannot open the log file \(path): No such file or directory")
    }
  }

  func testBootstrapChoosesTheHandlerOfNewLoggers() {
    let capture = LogCapture()
    let before = Logger(label: "before")
    LoggingSystem.bootstrap { label in CapturingLogHandler(label: label, capture: capture, level: .info) }
    defer { LoggingSystem.bootstrap { label in HumanLogHandler(label: label, level: .error) } }
    let after = Logger(label: "after")
    after.info("to the capture")
    after.debug("below its level")
    XCTAssertEqual(capture.all.map(\.message), ["to the capture"])
    XCTAssertEqual(capture.all.first?.label, "after")
    XCTAssertEqual(before.logLevel, .error, "without a bootstrap, loggers write errors and reports only")
  }

  func testANodeLogsToItsLogger() throws {
    let capture = LogCapture()
    let node = try Node(schedulers: 1, name: "logged", logger: capture.logger(label: "logged"))
    defer { node.shutdown() }
    node.logger.notice("hello")
    XCTAssertEqual(capture.all.map(\.label), ["logged"])
    let plain = try Node(schedulers: 1, name: "plain")
    defer { plain.shutdown() }
    XCTAssertEqual(plain.logger.label, "plain", "labelled with the node's name by default")
  }
}
