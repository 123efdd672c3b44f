// A registered nick is its account's: a client that takes it without logging in is
// warned, then renamed to a guest nick when the grace period (here 1 s) is over — which
// everyone sharing a channel with it sees — unless it logs in first.
import IRCTestSupport
import OtterTestSupport
import XCTest

@testable import ChatApp

final class NickReservationTests: XCTestCase {
  private func config() -> ChatConfig {
    var config = testConfig()
    config.nickGrace = .seconds(1)
    return config
  }

  func testAnImpostorIsRenamedAfterTheGracePeriod() async throws {
    try await withChatServer(config()) { server in
      let owner = try IRCTestClient(port: server.ircPort)
      try owner.registerAccount("owner", password: "owner-password")
      owner.send("QUIT")
      try owner.expectClosed()

      let witness = try IRCTestClient(port: server.ircPort)
      try witness.register("witness")
      try witness.join("#hall")
      let impostor = try IRCTestClient(port: server.ircPort)
      try impostor.register("owner")
      try impostor.expectNotice(from: "NickServ", containing: "owner is registered to the account owner")
      try impostor.join("#hall")
      let renamed = try impostor.expect("NICK", within: 10)
      XCTAssertTrue(renamed.source!.hasPrefix("owner!"))
      XCTAssertTrue(renamed.params[0].hasPrefix("Guest"), renamed.params[0])
      try impostor.expectNotice(from: "NickServ", containing: "You were renamed to \(renamed.params[0])")
      XCTAssertEqual(try witness.expect("NICK").params, renamed.params)
    }
  }

  func testLoggingInWithinTheGracePeriodKeepsTheNick() async throws {
    try await withChatServer(config()) { server in
      let first = try IRCTestClient(port: server.ircPort)
      try first.registerAccount("keeper", password: "keeper-password")
      first.send("QUIT")
      try first.expectClosed()

      let late = try IRCTestClient(port: server.ircPort)
      try late.register("keeper")
      try late.expectNotice(from: "NickServ", containing: "registered to the account keeper")
      late.send("PRIVMSG NickServ :IDENTIFY keeper-password")
      try late.expect("900")
      XCTAssertTrue(late.never(within: 2) { $0.command == "NICK" }, "renamed though logged in")

      // Logged in with SASL before registering: no warning at all.
      let sasl = try IRCTestClient(port: server.ircPort)
      XCTAssertEqual(try sasl.saslPlain("keeper", "keeper-password").command, "903")
      late.send("QUIT")
      try late.expectClosed()
      try sasl.finishRegistration("keeper")
      XCTAssertTrue(sasl.never(within: 1.5) { $0.command == "NOTICE" || $0.command == "NICK" })
    }
  }
}
