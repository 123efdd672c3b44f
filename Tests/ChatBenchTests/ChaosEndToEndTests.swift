// One short chaos run against the chatd built next to the tests: the tool starts it,
// loads it, kills each kind through the control endpoint, and every check holds: nothing
// lost, duplicated or reordered, every QUIT seen (connections killed with their room
// among them), channels answering, descriptors and threads back.
import Foundation
import XCTest

@testable import chatbench

final class ChaosEndToEndTests: XCTestCase {
  func testShortRunKillsEveryKindAndChatdRecovers() async throws {
    let chatd = ServerLauncher.chatdExecutable(override: nil)
    guard FileManager.default.isExecutableFile(atPath: chatd) else {
      throw XCTSkip("no chatd at \(chatd): build it first (swift build)")
    }
    var o = try ChaosOptions.parse([
      "--duration", "5", "--clients", "16", "--channels", "4", "--rate", "40", "--kill-every", "100",
      "--kill", "rooms/room-supervisor,presence,history,connections,connection+room", "--seed", "7", "--baseline-wait", "0",
      "--resource-wait", "5",
    ])
    o.chatdPath = chatd
    let outcome = try await ChaosRun.run(o, log: Log(quiet: true))
    let v = outcome.verdict
    let summary = ChaosReport.table(ChaosReport.figures(v), heading: "chaos", server: "chatd", failed: outcome.failed)
    for kind in ["rooms/room-supervisor", "presence", "history", "connections"] {
      XCTAssertGreaterThan(v.killsByKind[kind] ?? 0, 0, "no kill of \(kind)\n\(summary)")
    }
    XCTAssertGreaterThan(v.acked, 100, summary)
    XCTAssertGreaterThan(v.expectedCopies, v.acked, summary)
    XCTAssertGreaterThan(v.reconnects, 0, summary)
    XCTAssertGreaterThan((v.killsByKind["connection+room"] ?? 0) + (v.killsByKind["room+connection"] ?? 0), 0, summary)
    XCTAssertEqual(outcome.failed, [], summary)
  }
}
