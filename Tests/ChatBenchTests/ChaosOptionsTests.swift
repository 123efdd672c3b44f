// `chatbench chaos` flags, and the pieces of a session's reading: server lines and nicks.
import XCTest

@testable import chatbench

final class ChaosOptionsTests: XCTestCase {
  func testDefaultsAndOverrides() throws {
    let d = try ChaosOptions.parse([])
    XCTAssertEqual(d.target, .managed)
    XCTAssertEqual(d.duration, 30)
    XCTAssertEqual(d.kinds, ["rooms/room-supervisor", "rooms", "presence", "history", "connections", "connection+room"])
    XCTAssertFalse(d.ignoreBudget)
    XCTAssertEqual(d.killInterval, 0.1, accuracy: 1e-9)
    let o = try ChaosOptions.parse([
      "--duration=5", "--clients", "10", "--channels", "3", "--joins", "3", "--kill", "rooms,sweeper",
      "--kill-every", "250", "--seed", "42", "--server", "localhost:6667", "--server-pid", "7", "--json",
    ])
    XCTAssertEqual(o.target, .external(host: "127.0.0.1", port: 6667, pid: 7))
    XCTAssertEqual(o.kinds, ["rooms", "sweeper"])
    XCTAssertEqual(o.killInterval, 0.25, accuracy: 1e-9)
    XCTAssertEqual(o.seed, 42)
    XCTAssertTrue(o.json)
  }

  func testBadInputIsAnError() {
    let bad: [[String]] = [
      ["--kill", "control"], ["--kill", "rooms,rooms"], ["--joins", "3", "--channels", "2"], ["--server", "127.0.0.1:6667"],
      ["--server-pid", "5"], ["--clients", "1"], ["S3"], ["--rate", "0"], ["--prefix", "a_b"],
      ["--server", "127.0.0.1:1", "--server-pid", "2", "--chatd", "/x"],
    ]
    for args in bad { XCTAssertThrowsError(try ChaosOptions.parse(args), "\(args)") }
  }

  func testServerLines() throws {
    let privmsg = try XCTUnwrap(ServerLine.parse("@time=x :k1_0!k1_0@127.0.0.1 PRIVMSG #chaos2 :chaos 17"))
    XCTAssertEqual(privmsg.nick, "k1_0")
    XCTAssertEqual(privmsg.command, "PRIVMSG")
    XCTAssertEqual(privmsg.params, ["#chaos2", "chaos 17"])
    let names = try XCTUnwrap(ServerLine.parse(":irc.local 353 k0_0 = #chaos0 :@k0_0 k3_1"))
    XCTAssertEqual(names.numeric, 353)
    XCTAssertEqual(names.params.last, "@k0_0 k3_1")
    XCTAssertEqual(ServerLine.parse("PING :abc")?.params, ["abc"])
    XCTAssertNil(ServerLine.parse(":only-a-prefix"))
    XCTAssertNil(ServerLine.parse("QUIT").flatMap(\.numeric))
  }

  func testSessionNicks() {
    let key = SessionKey(slot: 12, generation: 3)
    XCTAssertEqual(key.nick(prefix: "k"), "k12_3")
    XCTAssertEqual(SessionKey(nick: "k12_3", prefix: "k"), key)
    XCTAssertNil(SessionKey(nick: "k12", prefix: "k"))
    XCTAssertNil(SessionKey(nick: "alice", prefix: "k"))
  }
}
