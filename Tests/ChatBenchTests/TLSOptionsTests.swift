// chatbench over TLS without a server: the flags, the TLS listener each managed server
// is given (chatd's flags, ngIRCd's [SSL] section, InspIRCd's sslprofile), the tls/irc
// ratio, and the idle run's connect rate.
import XCTest

@testable import chatbench

final class TLSOptionsTests: XCTestCase {
  func testTLSIsATransport() throws {
    XCTAssertEqual(try Options.parse(["--transport", "tls"]).transports, [.tls])
    XCTAssertEqual(try Options.parse(["--transports", "irc,tls"]).transports, [.irc, .tls])
    XCTAssertEqual(try Options.parse(["--tls"]).transports, [.irc, .tls])
    XCTAssertEqual(try Options.parse(["S4", "--tls", "--tls-key-type", "rsa"]).tlsRSA, true)
    XCTAssertEqual(try Options.parse(["S4", "--tls"]).tlsRSA, false)
    XCTAssertEqual(try Options.parse(["--transport", "tls", "--server", "127.0.0.1:6697"]).transports, [.tls])
    for bad in [
      ["--tls-key-type", "dsa"], ["--transports", "irc,tls", "--server", "127.0.0.1:1"],
      ["--transport", "tls", "--servers-addrs", "127.0.0.1:1,127.0.0.1:2"],
    ] {
      XCTAssertThrowsError(try Options.parse(bad), "\(bad)")
    }
  }

  func testEachManagedServerGetsATLSListenerWithTheBenchCertificate() throws {
    let certificate = BenchCertificate(certificateFile: "/c/bench.crt", keyFile: "/c/bench.key", directory: "/c")
    let chatd = try XCTUnwrap(
      ServerLauncher.chatdPlan(executable: "/bin/true", port: 7000, tls: (7001, certificate), directory: "/d", extra: ["--x"]))
    XCTAssertEqual(
      Array(chatd.arguments.suffix(7)), ["--tls", "127.0.0.1:7001", "--tls-cert", "/c/bench.crt", "--tls-key", "/c/bench.key", "--x"])
    let tls = ServerTLS(port: 7001, certificateFile: "/c/bench.crt", keyFile: "/c/bench.key")
    XCTAssertTrue(
      ServerConfigs.ngircd(port: 7000, runDirectory: "/d", tls: tls).contains(
        "[SSL]\n    CertFile = /c/bench.crt\n    KeyFile = /c/bench.key\n    Ports = 7001\n"))
    XCTAssertFalse(ServerConfigs.ngircd(port: 7000, runDirectory: "/d").contains("[SSL]"))
    let inspircd = ServerConfigs.inspircd(port: 7000, runDirectory: "/d", tls: tls)
    XCTAssertTrue(inspircd.contains("<module name=\"ssl_gnutls\">"), inspircd)
    XCTAssertTrue(inspircd.contains("certfile=\"/c/bench.crt\" keyfile=\"/c/bench.key\""), inspircd)
    XCTAssertTrue(inspircd.contains("<bind address=\"127.0.0.1\" port=\"7001\" type=\"clients\" sslprofile=\"bench\">"), inspircd)
  }

  func testRatiosAndColumnsOverTLS() {
    let skip = Measurement.Outcome.skipped("-")
    let ms = [
      Measurement(scenario: .s4, server: "chatd", transport: .irc, outcome: skip),
      Measurement(scenario: .s4, server: "chatd", transport: .tls, outcome: skip),
      Measurement(scenario: .s4, server: "ngircd", transport: .irc, outcome: skip),
      Measurement(scenario: .s4, server: "ngircd", transport: .tls, outcome: skip),
    ]
    XCTAssertEqual(ms[1].column, "chatd tls")
    XCTAssertEqual(Report.ratioPairs(ms).map(\.title), ["chatd/ngircd", "chatd/ngircd tls", "chatd tls/irc", "ngircd tls/irc"])
  }

  func testTheIdleRunsConnectRateIsItsFirstStepsNewConnectionsPerSecond() {
    var result = IdleResult(parameters: IdleParameters())
    XCTAssertNil(result.connectPerSecond)
    result.steps = [
      IdleStep(
        target: 1000, alive: 1000, rssKB: 1, ok: true, elapsedSeconds: 9, connectSeconds: 4, aliveBefore: 0, connectCPUSeconds: 1.5),
      IdleStep(target: 5000, alive: 5000, rssKB: 1, ok: true, elapsedSeconds: 20, connectSeconds: 8, aliveBefore: 1000),
    ]
    XCTAssertEqual(result.connectPerSecond, 250)
    // The handshake's cost: server CPU over the first step's new connections.
    XCTAssertEqual(result.cpuMicrosPerConnection, 1500)
    XCTAssertEqual(Report.idleFigures(result).prefix(2).map(\.0.key), ["connect_per_s", "cpu_us_per_conn"])
  }
}
