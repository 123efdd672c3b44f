// Always-on sessions in a chatd network (real chatd processes, a real redis-server):
// a session detached on one node is ended there when its account logs in on any node,
// which joins the session's channels (kept in Redis); and a node killed with SIGKILL
// leaves no session behind — its users go in a netsplit QUIT, and the account's next
// login anywhere joins its channels again.
import Foundation
import IRCTestSupport
import OtterTestSupport
import XCTest

final class AlwaysOnNetworkTests: XCTestCase {
  private func login(_ node: ChatdNode, nick: String) throws -> IRCTestClient {
    let c = try node.connect()
    XCTAssertEqual(try c.saslPlain("alice", "alice-password").command, "903")
    try c.finishRegistration(nick)
    return c
  }

  func testADetachedSessionMovesToTheNodeItsAccountLogsInOn() throws {
    let net = try startNetwork(nodes: 2, options: .init(extraArguments: ["--always-on", "opt-out"]))
    let alice = try net[0].connect()
    try alice.registerAccount("alice", password: "alice-password")
    try alice.join("#net")
    let bob = try IRCTestClient.registered("bob", on: net[1], caps: ["away-notify"])
    try bob.join("#net")
    alice.send("QUIT")
    try alice.expectClosed()
    XCTAssertEqual(try bob.expect("AWAY").source?.hasPrefix("alice!"), true, "detached, not gone")

    // Back on n2: the session on n1 ends, the new connection joins its channels.
    let phone = try login(net[1], nick: "phone")
    try phone.expect("JOIN", containing: "#net")
    XCTAssertEqual(try bob.expect("QUIT").source?.hasPrefix("alice!"), true)
    try bob.expect("JOIN") { $0.command == "JOIN" && $0.source?.hasPrefix("phone!") == true }

    // Detached on n2, then n2 dies: nothing stays behind; the next login joins again.
    let carol = try IRCTestClient.registered("carol", on: net[0], caps: ["away-notify"])
    try carol.join("#net")
    // n2 knows carol is in #net (its copy of the channel) before phone's AWAY goes out.
    try phone.expect("JOIN") { $0.command == "JOIN" && $0.source?.hasPrefix("carol!") == true }
    phone.send("QUIT")
    try phone.expectClosed()
    try carol.expect("AWAY")
    net[1].kill()
    try carol.expect("QUIT", within: 20)
    try poll("no phone left on n1", timeout: 20) { try carol.ison(["phone"]).isEmpty }
    let laptop = try login(net[0], nick: "laptop")
    try laptop.expect("JOIN", containing: "#net")

    // Detached and back on the same node: ended and joined again there too.
    try carol.expect("JOIN") { $0.command == "JOIN" && $0.source?.hasPrefix("laptop!") == true }
    laptop.send("QUIT")
    try laptop.expectClosed()
    try carol.expect("AWAY") { $0.command == "AWAY" && $0.source?.hasPrefix("laptop!") == true }
    let tablet = try login(net[0], nick: "tablet")
    try tablet.expect("JOIN", containing: "#net")
    try carol.expect("QUIT") { $0.command == "QUIT" && $0.source?.hasPrefix("laptop!") == true }
    try poll("no laptop left", timeout: 10) { try carol.ison(["laptop", "tablet"]) == ["tablet"] }
  }

  func testADrainEndsADetachedSessionInsteadOfWaitingForIt() throws {
    let net = try startNetwork(nodes: 2, options: .init(extraArguments: ["--always-on", "opt-out"]))
    let alice = try net[0].connect()
    try alice.registerAccount("alice", password: "alice-password")
    try alice.join("#d")
    let bob = try IRCTestClient.registered("bob", on: net[1], caps: ["away-notify"])
    try bob.join("#d")
    alice.send("QUIT")
    try alice.expectClosed()
    try bob.expect("AWAY")

    let (status, output) = try HandOffRun(from: net[0], to: net[1]).wait()
    XCTAssertEqual(status, 0, output)
    XCTAssertFalse(output.contains("no word from its connection"), output)
    XCTAssertEqual(try bob.expect("QUIT").source?.hasPrefix("alice!"), true)
    let back = try login(net[1], nick: "alice")
    try back.expect("JOIN", containing: "#d")
  }

  func testAMovedSessionIsStillAlwaysOn() throws {
    let net = try startNetwork(nodes: 2, options: .init(extraArguments: ["--always-on", "opt-out"]))
    let alice = try net[0].connect()
    try alice.registerAccount("alice", password: "alice-password")
    try alice.join("#m")
    let bob = try IRCTestClient.registered("bob", on: net[1], caps: ["away-notify"])
    try bob.join("#m")
    let (status, output) = try HandOffRun(from: net[0], to: net[1]).wait()
    XCTAssertEqual(status, 0, output)
    XCTAssertTrue(output.hasPrefix("handed 1 of 1"), output)
    // Now on n2, its close detaches it there.
    alice.send("QUIT")
    try alice.expectClosed()
    XCTAssertEqual(try bob.expect("AWAY").source?.hasPrefix("alice!"), true)
    XCTAssertTrue(bob.never(within: 0.3) { $0.command == "QUIT" })
  }
}
