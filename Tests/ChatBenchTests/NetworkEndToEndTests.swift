// Networks for real: chatbench starts two linked InspIRCd (and two linked ngIRCd), checks
// that they are linked, spreads a short chat run's clients over both and gets every copy
// once, with the CPU of both processes summed; and the readiness check refuses two
// servers that are not linked, saying so. Skipped where the peer is not installed.
import Actors
import Foundation
import XCTest

@testable import chatbench

final class NetworkEndToEndTests: XCTestCase {
  private func shortRun(on kind: ManagedKind) async throws {
    guard ServerLauncher.installed(kind.single.rawValue) != nil else { throw XCTSkip("\(kind.single.rawValue) is not installed") }
    let log = Log(quiet: true)
    let network = try NetworkLauncher.start(kind, web: false, chatdPath: nil, chatdArguments: [], log: log)
    defer { network.stop() }
    XCTAssertEqual(network.servers.count, 2)
    // 300 clients in one room (S1's), 150 on each server: past ngIRCd's first connection
    // table of 100, and a burst of joins across the link.
    var p = ChatParameters(clients: 300, rooms: 1, senders: 6, rate: 20, duration: 2)
    p.settle = 1
    p.drainIdle = 1
    let node = try Node(schedulers: 1, name: "chatbench-network-test")
    defer { node.shutdown(timeout: .seconds(10)) }
    let r = try await ChatRun.run(p, target: network.target(transport: .irc), inflight: kind.defaultInflight, node: node, log: log)
    let summary = "\(kind.rawValue): \(r.tally), first error \(r.counters.firstError ?? "-")"
    XCTAssertFalse(r.aborted, summary)
    XCTAssertEqual(r.sent, 40, summary)
    // Each message is owed to the 299 other members, 149 of them on the other server.
    XCTAssertEqual(r.tally.expected, 40 * 299, summary)
    XCTAssertEqual(r.tally.lost, 0, summary)
    XCTAssertEqual(r.tally.duplicates, 0, summary)
    XCTAssertEqual(r.tally.received, 40 * 299, summary)
    XCTAssertEqual(r.serverCPUByProcess.map(\.name), [kind.rawValue + "/a", kind.rawValue + "/b"])
    XCTAssertNotNil(r.serverCPUSeconds)
    XCTAssertTrue(network.exited.isEmpty)
  }

  func testLinkedNgircdAllocatesItsWholeConnectionTableAtStart() throws {
    guard ServerLauncher.installed("ngircd") != nil else { throw XCTSkip("ngircd is not installed") }
    let network = try NetworkLauncher.start(.ngircdNet, web: false, chatdPath: nil, chatdArguments: [], log: Log(quiet: true))
    defer { network.stop() }
    for server in network.servers {
      let config = try String(contentsOfFile: server.directory + "/ngircd.conf", encoding: .utf8)
      XCTAssertTrue(config.contains("MaxConnections = \(NetworkLauncher.openFileLimit())\n"), config)
    }
  }

  func testLinkedInspircdCarriesEveryCopyAcrossItsLink() async throws { try await shortRun(on: .inspircdNet) }

  func testLinkedNgircdCarriesEveryCopyAcrossItsLink() async throws { try await shortRun(on: .ngircdNet) }

  func testServersThatAreNotLinkedAreRefusedWithAReason() throws {
    guard ServerLauncher.installed("ngircd") != nil else { throw XCTSkip("ngircd is not installed") }
    let log = Log(quiet: true)
    let first = try ServerLauncher.start(.ngircd, chatdPath: nil, log: log)
    defer { first.stop() }
    let second = try ServerLauncher.start(.ngircd, chatdPath: nil, log: log)
    defer { second.stop() }
    let endpoints = [first, second].map { Endpoint(host: "127.0.0.1", port: $0.port) }
    XCTAssertThrowsError(try NetworkProbe.waitUntilLinked(endpoints, name: "two-ngircd", timeout: 2, log: log)) { error in
      let text = "\(error)"
      XCTAssertTrue(text.contains("two-ngircd: server 2 (\(endpoints[1])) does not see a client of server 1"), text)
      XCTAssertTrue(text.contains("not linked"), text)
    }
  }
}
