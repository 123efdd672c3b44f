// Making accounts: IRCv3 draft/account-registration (REGISTER, VERIFY) and NickServ,
// against a real chatd over TCP — each way in, and each refusal with the code or words a
// client sees.
import IRCTestSupport
import OtterTestSupport
import XCTest

@testable import ChatApp

final class AccountRegistrationTests: XCTestCase {
  func testRegisterLogsInAndIsShownByWhois() async throws {
    try await withChatServer { server in
      let alice = try IRCTestClient(port: server.ircPort)
      try alice.register("alice", caps: ["draft/account-registration"])
      alice.send("REGISTER * * correct-horse")
      let success = try alice.expect("REGISTER")
      XCTAssertEqual(Array(success.params.prefix(2)), ["SUCCESS", "alice"])
      XCTAssertEqual(try alice.expect("900").params[2], "alice")
      let bob = try IRCTestClient(port: server.ircPort)
      try bob.register("bob")
      bob.send("WHOIS alice")
      let whois = try bob.expect("330")
      XCTAssertEqual(whois.params, ["bob", "alice", "alice", "is logged in as"])
      // Not logged in: no 330.
      bob.send("WHOIS bob")
      try bob.expect("318")
      XCTAssertFalse(bob.backlog.contains { $0.command == "330" })
    }
  }

  func testRegisterRefusals() async throws {
    var config = testConfig()
    config.minimumPasswordLength = 10
    try await withChatServer(config) { server in
      // Before the connection is registered, with the default policy.
      let early = try IRCTestClient(port: server.ircPort)
      early.send("NICK early")
      early.send("REGISTER * * long-enough-password")
      XCTAssertEqual(try early.expect("FAIL").params.prefix(3), ["REGISTER", "COMPLETE_CONNECTION_REQUIRED", "*"])

      let carol = try IRCTestClient(port: server.ircPort)
      try carol.register("carol")
      carol.send("REGISTER dave * long-enough-password")
      XCTAssertEqual(try carol.expect("FAIL").params.prefix(3), ["REGISTER", "ACCOUNT_NAME_MUST_BE_NICK", "dave"])
      carol.send("REGISTER carol * short")
      let weak = try carol.expect("FAIL")
      XCTAssertEqual(weak.params.prefix(2), ["REGISTER", "WEAK_PASSWORD"])
      XCTAssertTrue(weak.params.last!.contains("at least 10 characters"), weak.params.last!)
      carol.send("REGISTER early * long-enough-password")
      XCTAssertEqual(try carol.expect("FAIL").params.prefix(3), ["REGISTER", "ACCOUNT_EXISTS", "early"], "someone holds that nick")
      carol.send("REGISTER carol * long-enough-password")
      try carol.expect("REGISTER", containing: "SUCCESS")
      carol.send("REGISTER carol * long-enough-password")
      XCTAssertEqual(try carol.expect("FAIL").params.prefix(2), ["REGISTER", "ALREADY_AUTHENTICATED"])
      carol.send("VERIFY carol 12345")
      let verify = try carol.expect("FAIL")
      XCTAssertEqual(verify.params.prefix(3), ["VERIFY", "INVALID_CODE", "carol"])
      XCTAssertTrue(verify.params.last!.contains("no email"), verify.params.last!)

      // The account exists now: another client with that nick cannot register it again.
      carol.send("QUIT")
      try carol.expectClosed()
      let second = try IRCTestClient(port: server.ircPort)
      try second.register("carol")
      second.send("REGISTER * * another-long-password")
      XCTAssertEqual(try second.expect("FAIL").params.prefix(3), ["REGISTER", "ACCOUNT_EXISTS", "carol"])
    }
  }

  func testCapabilityValueSaysNoEmailAndBeforeConnectWhenAllowed() async throws {
    var config = testConfig()
    config.accountRegistration = .beforeConnect
    try await withChatServer(config) { server in
      let client = try IRCTestClient(port: server.ircPort)
      client.send("CAP LS 302")
      let ls = try client.expect("CAP", containing: "LS").params.last!.split(separator: " ")
      XCTAssertTrue(ls.contains("draft/account-registration=before-connect"), "\(ls)")
      XCTAssertTrue(ls.contains("sasl=PLAIN,SCRAM-SHA-256,EXTERNAL"), "\(ls)")
      XCTAssertFalse(ls.contains { $0.contains("email-required") })
      // Without a nick there is no name for the account.
      client.send("REGISTER * * long-enough-password")
      XCTAssertEqual(try client.expect("FAIL").params.prefix(3), ["REGISTER", "NEED_NICK", "*"])
      // Registered before NICK/USER complete: logged in, then welcomed.
      client.send("NICK early")
      client.send("REGISTER * * long-enough-password")
      try client.expect("REGISTER", containing: "SUCCESS")
      try client.expect("900")
      try client.finishRegistration("early")
    }
  }

  func testRegistrationOffRefusesAndHidesTheCapability() async throws {
    var config = testConfig()
    config.accountRegistration = .off
    try await withChatServer(config) { server in
      let client = try IRCTestClient(port: server.ircPort)
      client.send("CAP LS 302")
      let ls = try client.expect("CAP", containing: "LS").params.last!
      XCTAssertFalse(ls.contains("draft/account-registration"), ls)
      client.send("CAP REQ :draft/account-registration")
      try client.expect("CAP", containing: "NAK")
      client.send("CAP END")
      try client.register("off")
      client.send("REGISTER * * long-enough-password")
      XCTAssertEqual(try client.expect("FAIL").params.prefix(2), ["REGISTER", "TEMPORARILY_UNAVAILABLE"])
      client.send("PRIVMSG NickServ :REGISTER long-enough-password")
      try client.expectNotice(from: "NickServ", containing: "turned off")
    }
  }

  func testNickServRegisterIdentifyInfoLogoutAndDrop() async throws {
    try await withChatServer { server in
      let alice = try IRCTestClient(port: server.ircPort)
      try alice.registerAccount("alice", password: "sesame-sesame")
      try alice.expectNotice(from: "NickServ", containing: "registered")
      alice.send("NS INFO")
      try alice.expectNotice(from: "NickServ", containing: "Account alice, registered")
      try alice.expectNotice(from: "NickServ", containing: "Certificates: none")
      alice.send("PRIVMSG NickServ :LOGOUT")
      try alice.expect("901")
      try alice.expectNotice(from: "NickServ", containing: "You are now logged out")
      alice.send("PRIVMSG NickServ :LOGOUT")
      try alice.expectNotice(from: "NickServ", containing: "You are not logged in")
      alice.send("PRIVMSG NickServ :IDENTIFY wrong-password")
      XCTAssertEqual(try alice.expectNotice(from: "NickServ"), "Login failed: invalid account or password")
      alice.send("PRIVMSG NickServ :IDENTIFY sesame-sesame")
      try alice.expect("900")
      try alice.expectNotice(from: "NickServ", containing: "logged in as alice")

      // IDENTIFY with an account name, from another nick.
      let other = try IRCTestClient(port: server.ircPort)
      try other.register("other")
      other.send("PRIVMSG NickServ :IDENTIFY alice sesame-sesame")
      XCTAssertEqual(try other.expect("900").params[2], "alice")
      other.send("PRIVMSG NickServ :REGISTER something-else")
      try other.expectNotice(from: "NickServ", containing: "already logged in as alice")

      alice.send("PRIVMSG NickServ :DROP wrong-password")
      try alice.expectNotice(from: "NickServ", containing: "Cannot drop alice: invalid account or password")
      alice.send("PRIVMSG NickServ :DROP sesame-sesame")
      try alice.expect("901")
      try alice.expectNotice(from: "NickServ", containing: "Account alice dropped")
      // The other session logged in to it is logged out too.
      try other.expect("901")
      alice.send("PRIVMSG NickServ :INFO alice")
      try alice.expectNotice(from: "NickServ", containing: "There is no account alice")
      // Nobody may be NickServ.
      other.send("NICK NickServ")
      XCTAssertEqual(try other.expect("432").params.last, "Erroneous nickname: reserved for services")
    }
  }
}
