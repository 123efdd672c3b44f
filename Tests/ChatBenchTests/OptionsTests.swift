// chatbench's command line: overrides reach the scenarios, bad input is an error.
import XCTest

@testable import chatbench

final class OptionsTests: XCTestCase {
  func testDefaultsRunEveryScenarioOnEveryManagedServer() throws {
    let o = try Options.parse([])
    XCTAssertEqual(o.scenarios, Scenario.allCases)
    XCTAssertEqual(o.target, .managed(ManagedKind.singles))
    XCTAssertEqual(o.chat(.s3)?.clients, 10_000)
    XCTAssertNil(o.chat(.s4))
  }

  func testOverridesAndExternalServer() throws {
    let o = try Options.parse([
      "s2", "--duration=5", "--clients", "50", "--server", "localhost:6667", "--server-pid", "1", "--max-time", "60",
    ])
    XCTAssertEqual(o.scenarios, [.s2])
    XCTAssertEqual(o.chat(.s2)?.duration, 5)
    XCTAssertEqual(o.chat(.s2)?.clients, 50)
    XCTAssertEqual(o.target, .external(endpoints: [Endpoint(host: "127.0.0.1", port: 6667)], pids: [1], name: "server"))
    XCTAssertEqual(o.maxTime, 60)
  }

  func testChatdArgumentsGoLastOnChatdsCommandLine() throws {
    let o = try Options.parse(["S2", "--servers", "chatd", "--chatd-args", "--send-window  50"])
    XCTAssertEqual(o.chatdArguments, ["--send-window", "50"])
    let plan = ServerLauncher.chatdPlan(executable: "/bin/true", port: 7000, directory: "/tmp/x", extra: o.chatdArguments)
    XCTAssertEqual(plan?.arguments.suffix(3), ["--no-flood-limit", "--send-window", "50"])
  }

  func testIdleStepsEndAtMaxConns() throws {
    let o = try Options.parse(["S4", "--steps", "10,20,500", "--max-conns", "100"])
    XCTAssertEqual(o.idle().effectiveSteps, [10, 20, 100])
  }

  func testBadInputIsAnError() {
    let bad: [[String]] = [
      ["--server", "10.0.0.1:6667"], ["--src", "192.168.0.1"], ["--rate", "0"], ["S9"],
      ["--servers", "ergo"], ["--server-pid", "5"], ["--clients"], ["--rooms", "5", "--clients", "2", "S1"],
      ["--json=1"], ["--prefix", "9a"], ["--room-prefix", "r"],
    ]
    for args in bad { XCTAssertThrowsError(try Options.parse(args), "\(args)") }
  }

  func testNetworksByNameAndAlreadyRunning() throws {
    let managed = try Options.parse(["S2", "--servers", "chatd,chatd-net,inspircd-net,ngircd-net"])
    XCTAssertEqual(managed.target, .managed([.chatd, .chatdNet, .inspircdNet, .ngircdNet]))
    let external = try Options.parse([
      "S1", "--servers-addrs", "127.0.0.1:7000, localhost:7001", "--server-pids", "10,11", "--server-pid", "12",
    ])
    XCTAssertEqual(
      external.target,
      .external(
        endpoints: [Endpoint(host: "127.0.0.1", port: 7000), Endpoint(host: "127.0.0.1", port: 7001)], pids: [10, 11, 12],
        name: "network"))
    XCTAssertEqual(external.serverPids, [10, 11, 12])
    let named = try Options.parse(["--servers-addrs=127.0.0.2:1,127.0.0.3:1", "--server-name", "inspircd-net"])
    XCTAssertEqual(
      named.target,
      .external(endpoints: [Endpoint(host: "127.0.0.2", port: 1), Endpoint(host: "127.0.0.3", port: 1)], pids: [], name: "inspircd-net"))
  }

  func testBadNetworkFlagsAreErrors() {
    let bad: [[String]] = [
      ["--servers-addrs", "127.0.0.1:7000"],  // one server is --server
      ["--servers-addrs", "127.0.0.1:7000,127.0.0.1:7000"],
      ["--servers-addrs", "127.0.0.1:7000,10.0.0.1:7001"],
      ["--servers-addrs", "127.0.0.1:7000,127.0.0.1:x"],
      ["--servers-addrs", "127.0.0.1:1,127.0.0.1:2", "--server", "127.0.0.1:3"],
      ["--servers-addrs", "127.0.0.1:1,127.0.0.1:2", "--servers", "chatd"],
      ["--servers-addrs", "127.0.0.1:1,127.0.0.1:2", "--transport", "websocket"],
      ["--servers-addrs", "127.0.0.1:1,127.0.0.1:2", "--server-pids", "1,x"],
      ["--servers-addrs", "127.0.0.1:1,127.0.0.1:2", "--server-pids", "1,1"],
      ["--server-pids", "1,2"],
      ["--servers", "chatd-net,chatd-net"],
      ["--servers", "ergo-net"],
    ]
    for args in bad { XCTAssertThrowsError(try Options.parse(args), "\(args)") }
    XCTAssertThrowsError(try Options.parse(["--servers-addrs", "127.0.0.1:7000"])) { error in
      XCTAssertTrue("\(error)".contains("--server HOST:PORT"), "\(error)")
    }
  }

  func testLoopbackSourceRanges() throws {
    XCTAssertEqual(try Options.parseSources("127.0.0.2-127.0.0.4"), ["127.0.0.2", "127.0.0.3", "127.0.0.4"])
  }

  func testTransports() throws {
    XCTAssertEqual(try Options.parse([]).transports, [.irc])
    XCTAssertEqual(try Options.parse(["--transport", "websocket"]).transports, [.websocket])
    XCTAssertEqual(try Options.parse(["--transports=irc,ws", "--servers", "chatd"]).transports, [.irc, .websocket])
    for bad in [["--transport", "http"], ["--transports", "irc,irc"], ["--transports", "irc,websocket", "--server", "127.0.0.1:1"]] {
      XCTAssertThrowsError(try Options.parse(bad), "\(bad)")
    }
  }

  func testRatioColumnsPairEachServerAcrossTransports() {
    let skip = Measurement.Outcome.skipped("-")
    let ms = [
      Measurement(scenario: .s2, server: "chatd", transport: .irc, outcome: skip),
      Measurement(scenario: .s2, server: "chatd", transport: .websocket, outcome: skip),
      Measurement(scenario: .s2, server: "ngircd", transport: .irc, outcome: skip),
    ]
    XCTAssertEqual(Report.ratioPairs(ms).map(\.title), ["chatd/ngircd", "chatd ws/irc"])
    XCTAssertEqual(Report.ratioPairs(ms).last, Report.RatioPair(numerator: "chatd ws", denominator: "chatd", title: "chatd ws/irc"))
    XCTAssertEqual(Report.ratioPairs(Array(ms.prefix(1))), [])
  }
}
