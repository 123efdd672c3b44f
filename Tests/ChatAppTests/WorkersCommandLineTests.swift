// `--workers [N]` (a master of N workers) and `chatd reload` on the command line and in a
// config file: the optional count, the bounds, the errors.
import Foundation
import XCTest

@testable import ChatApp

final class WorkersCommandLineTests: XCTestCase {
  func config(_ arguments: [String]) throws -> ChatConfig {
    guard case .run(let c) = try ChatCommandLine.parse(arguments) else { throw XCTSkip("not a run") }
    return c
  }

  func testTheCountIsOptionalAndZeroMeansNone() throws {
    XCTAssertNil(try config([]).workers)
    XCTAssertEqual(try config(["--workers", "3"]).workers, 3)
    XCTAssertEqual(try config(["--workers=2"]).workers, 2)
    XCTAssertEqual(try config(["--workers"]).workers, max(1, ProcessInfo.processInfo.activeProcessorCount))
    // Without a count, the next flag is not taken for one.
    let c = try config(["--workers", "--port", "7000"])
    XCTAssertEqual(c.workers, max(1, ProcessInfo.processInfo.activeProcessorCount))
    XCTAssertEqual(c.port, 7000)
    XCTAssertNil(try config(["--workers", "4", "--workers=0"]).workers, "a later --workers=0 (what a worker is given) turns it off")
    XCTAssertEqual(try ChatConfigFile.parse("workers = 5", file: "chatd.conf").workers, 5)
  }

  func testABadCountIsNamed() {
    for bad in [["--workers", "many"], ["--workers=-1"], ["--workers", "257"]] {
      XCTAssertThrowsError(try ChatCommandLine.parse(bad), "\(bad)") { error in
        XCTAssertTrue("\(error)".contains("--workers: expected a number of workers in 0...256"), "\(error)")
      }
    }
  }

  func testReloadFindsTheMastersSocket() throws {
    XCTAssertEqual(
      try ChatCommandLine.parse(["reload"]), .reload(ReloadRequest(socket: URL(fileURLWithPath: "./chatd-data/control.sock").path)))
    XCTAssertEqual(
      try ChatCommandLine.parse(["reload", "--data-dir", "/var/lib/chatd", "--timeout", "30"]),
      .reload(ReloadRequest(socket: "/var/lib/chatd/control.sock", timeout: .seconds(30))))
    XCTAssertEqual(try ChatCommandLine.parse(["reload", "--control-socket", "/run/m.sock"]), .reload(ReloadRequest(socket: "/run/m.sock")))
    XCTAssertEqual(try ChatCommandLine.parse(["reload", "--help"]), .reloadHelp)
    XCTAssertThrowsError(try ChatCommandLine.parse(["reload", "--now"])) {
      XCTAssertTrue("\($0)".contains("reload: unknown argument --now"), "\($0)")
    }
    XCTAssertThrowsError(try ChatCommandLine.parse(["reload", "--timeout", "0"]))
  }

  /// `chatd reload` where no master listens: a clear line and the network status.
  func testReloadWithoutAMasterSaysSo() throws {
    var lines: [String] = []
    let status = ChatReload.run(ReloadRequest(socket: "/nonexistent/control.sock", timeout: .seconds(2)), print: { lines.append($0) }) {
      lines.append($0)
    }
    XCTAssertEqual(status, ChatExitStatus.network.rawValue)
    XCTAssertTrue(lines.joined().contains("reload:"), "\(lines)")
  }
}
