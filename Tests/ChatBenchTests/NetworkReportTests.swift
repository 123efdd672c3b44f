// Networks in chatbench's pure parts: clients spread over the servers, the linked peers'
// configs (the single server's text plus the link), and the report comparing the first
// network with the other networks and with its own kind of single server.
import Foundation
import XCTest

@testable import chatbench

final class NetworkReportTests: XCTestCase {
  func testEveryRoomHasMembersOnEveryServer() {
    let servers = [Endpoint(host: "127.0.0.1", port: 7000), Endpoint(host: "127.0.0.1", port: 7001)]
    XCTAssertTrue(ServerTarget(endpoints: servers).isNetwork)
    XCTAssertFalse(ServerTarget(endpoints: [servers[0]]).isNetwork)
    func run(rooms: Int) -> RunContext {
      RunContext(
        endpoints: servers, rooms: rooms, sources: [], nickPrefix: "b", roomPrefix: "#r", size: 10, maxMessages: 10, connectTimeout: 1,
        verbose: false)
    }
    // One room: client i on server i % 2.
    XCTAssertEqual((0..<5).map { run(rooms: 1).endpoint(for: $0).port }, [7000, 7001, 7000, 7001, 7000])
    // 100 rooms (S3): i % 2 would put each room on one server; room r's members r,
    // r + 100, r + 200... take the servers in turn instead.
    let s3 = run(rooms: 100)
    for room in [0, 1, 57] {
      let ports = (0..<4).map { s3.endpoint(for: room + 100 * $0).port }
      XCTAssertEqual(ports, [7000, 7001, 7000, 7001], "room \(room)")
    }
  }

  func testLinkedPeersKeepTheSingleServersLimits() {
    let single = ServerConfigs.inspircd(port: 7000, runDirectory: "/d")
    let link = InspircdLink(
      name: "a.inspircd.local", id: "0AA", serverPort: 7100, peerName: "b.inspircd.local", peerServerPort: 7101, connects: true,
      sendPassword: "x", receivePassword: "y")
    let linked = ServerConfigs.inspircd(port: 7000, runDirectory: "/d", link: link)
    let renamed = single.replacingOccurrences(of: #"name="bench.inspircd.local""#, with: #"name="a.inspircd.local""#)
      .replacingOccurrences(of: #"id="0BE""#, with: #"id="0AA""#)
    XCTAssertTrue(linked.hasPrefix(renamed), linked)
    for part in [
      #"<module name="spanningtree">"#, #"<bind address="127.0.0.1" port="7100" type="servers">"#,
      #"<link name="b.inspircd.local" ipaddr="127.0.0.1" port="7101""#, #"sendpass="x" recvpass="y""#,
      #"<autoconnect period="1" server="b.inspircd.local">"#,
    ] {
      XCTAssertTrue(linked.contains(part), part)
    }
    XCTAssertFalse(single.contains("spanningtree"))

    let ngSingle = ServerConfigs.ngircd(port: 7000, runDirectory: "/d")
    let waits = NgircdLink(
      name: "b.ngircd.local", peerName: "a.ngircd.local", peerPort: nil, myPassword: "p", peerPassword: "q", connectionTable: 20_000)
    let ngLinked = ServerConfigs.ngircd(port: 7000, runDirectory: "/d", link: waits)
    let withoutLink = ngLinked.components(separatedBy: "[Server]")[0]
      .replacingOccurrences(of: "    ConnectRetry = 5\n", with: "")
      .replacingOccurrences(of: "Name = b.ngircd.local", with: "Name = bench.ngircd.local")
      .replacingOccurrences(of: "MaxConnections = 20000", with: "MaxConnections = 0")
    XCTAssertEqual(withoutLink, ngSingle)
    XCTAssertTrue(ngLinked.contains("Name = a.ngircd.local\n    Host = 127.0.0.1\n    MyPassword = p\n    PeerPassword = q"), ngLinked)
    XCTAssertFalse(ngLinked.contains("Port = "), "the side that waits has no Port: ngIRCd would connect")
    var connects = waits
    connects.peerPort = 7001
    XCTAssertTrue(ServerConfigs.ngircd(port: 7000, runDirectory: "/d", link: connects).contains("    Port = 7001\n"))
  }

  func testChatdNodesGetTheSingleChatdsFlagsAndTheClusters() throws {
    let plan = try XCTUnwrap(
      ServerLauncher.chatdPlan(
        executable: "/bin/true", port: 7000, directory: "/d/a",
        extra: NetworkLauncher.chatdNodeArguments(redisPort: 6399, node: "a", directory: "/d/a") + ["--send-window", "5"]))
    let single = try XCTUnwrap(ServerLauncher.chatdPlan(executable: "/bin/true", port: 7000, directory: "/d/a"))
    XCTAssertEqual(Array(plan.arguments.prefix(single.arguments.count)), single.arguments)
    XCTAssertEqual(
      Array(plan.arguments.dropFirst(single.arguments.count)),
      [
        "--cluster", "redis://127.0.0.1:6399", "--node", "a", "--cluster-listen", "127.0.0.1:0", "--control-socket",
        "/d/a/data/control.sock", "--send-window", "5",
      ])
    let redis = NetworkLauncher.redisPlan(executable: "/usr/bin/redis-server", port: 6399, directory: "/d/redis")
    XCTAssertEqual(
      redis.arguments,
      ["--port", "6399", "--bind", "127.0.0.1", "--dir", "/d/redis", "--save", "", "--appendonly", "yes", "--daemonize", "no"])
  }

  /// A chat result with `cpu` server seconds over 1,000 received copies.
  private func chat(cpu: Double, p99: Double = 5, lost: Int = 0) -> chatbench.Measurement.Outcome {
    var r = ChatResult(parameters: Scenario.s3.chat!)
    r.tally = DeliveryTally(
      received: 1000, expected: 1000 + lost, fullyDelivered: 10,
      latency: LatencySummary(p50: 1, p99: p99, p999: p99, max: p99, mean: 1, count: 1000), lost: lost)
    r.serverCPUSeconds = cpu
    r.spanSeconds = 1
    r.sendSeconds = 1
    return .chat(r)
  }

  private var mixedRun: [chatbench.Measurement] {
    [
      chatbench.Measurement(scenario: .s3, server: "chatd", outcome: chat(cpu: 0.010)),
      chatbench.Measurement(scenario: .s3, server: "chatd-net", outcome: chat(cpu: 0.012, p99: 120), servers: 2, single: "chatd"),
      chatbench.Measurement(scenario: .s3, server: "inspircd-net", outcome: chat(cpu: 0.020), servers: 2, single: "inspircd"),
      chatbench.Measurement(scenario: .s3, server: "ngircd-net", outcome: chat(cpu: 0.010, lost: 3), servers: 2, single: "ngircd"),
    ]
  }

  func testTheFirstNetworkIsComparedWithTheOtherNetworksAndItsSingleServer() {
    XCTAssertEqual(Report.ratioPairs(mixedRun).map(\.title), ["chatd-net/inspircd-net", "chatd-net/ngircd-net", "chatd-net/chatd"])
    var singles = mixedRun
    singles.insert(chatbench.Measurement(scenario: .s3, server: "ngircd", outcome: chat(cpu: 0.02)), at: 1)
    XCTAssertEqual(
      Report.ratioPairs(singles).map(\.title), ["chatd/ngircd", "chatd-net/inspircd-net", "chatd-net/ngircd-net", "chatd-net/chatd"])
    let table = Report.table(mixedRun, heading: "S3")
    XCTAssertTrue(table.contains("network goal"), table)
    XCTAssertTrue(table.contains("duplicate copies"), table)
  }

  func testJSONHasPeerRowsWithRatiosAndTheNetworkGoals() throws {
    let rows = try Report.json(mixedRun).map { try XCTUnwrap(JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]) }
    func row(_ server: String, _ bench: String, peer: String? = nil) -> [String: Any]? {
      rows.first { $0["server"] as? String == server && $0["bench"] as? String == bench && $0["peer"] as? String == peer }
    }
    let cpu = "S3.server_cpu_us_per_delivery"
    let plain = try XCTUnwrap(row("chatd-net", cpu))
    XCTAssertEqual(plain["value"] as? Double ?? 0, 12, accuracy: 1e-9)
    XCTAssertEqual(plain["servers"] as? Int, 2)
    let vsSingle = try XCTUnwrap(row("chatd-net", cpu, peer: "chatd"))
    XCTAssertEqual(vsSingle["peer_value"] as? Double ?? 0, 10, accuracy: 1e-9)
    XCTAssertEqual(vsSingle["ratio"] as? Double ?? 0, 1.2, accuracy: 1e-9)
    XCTAssertEqual(vsSingle["goal"] as? String, "≤ 1.3")
    XCTAssertEqual(vsSingle["ok"] as? Bool, true)
    let vsInspircd = try XCTUnwrap(row("chatd-net", cpu, peer: "inspircd-net"))
    XCTAssertEqual(vsInspircd["ratio"] as? Double ?? 0, 0.6, accuracy: 1e-9)
    XCTAssertEqual(vsInspircd["ok"] as? Bool, true)
    let vsNgircd = try XCTUnwrap(row("chatd-net", cpu, peer: "ngircd-net"))
    XCTAssertEqual(vsNgircd["goal"] as? String, "< 1")
    XCTAssertEqual(vsNgircd["ok"] as? Bool, false, "equal is not below")
    XCTAssertEqual(row("chatd-net", "S3.p99_ms")?["ok"] as? Bool, false, "120 ms is over the network's 100")
    XCTAssertEqual(row("ngircd-net", "S3.lost")?["ok"] as? Bool, false)
    XCTAssertNil(row("inspircd-net", cpu, peer: "chatd-net"), "only the first network gets peer rows")
    XCTAssertNil(row("chatd", cpu)?["peers"], "a single server alone has no single peers")
  }
}
