// Brute force: the documented limits (Accounts/LoginThrottle.swift) — 5 failed logins
// per account, 10 per address, then one token per 60 s / 10 s — as a client meets them
// over TCP, and the buckets' arithmetic with a clock the test moves by hand.
import IRCTestSupport
import OtterTestSupport
import XCTest

@testable import ChatApp

final class LoginThrottleTests: XCTestCase {
  func testFailedLoginsPerAccountAreLimited() async throws {
    try await withChatServer { server in
      let owner = try IRCTestClient(port: server.ircPort)
      try owner.registerAccount("target", password: "the-right-one")
      let guesser = try IRCTestClient(port: server.ircPort)
      for guess in 1...5 {
        let outcome = try guesser.saslPlain("target", "guess-\(guess)", negotiate: guess == 1)
        XCTAssertEqual(outcome.params.last, "SASL authentication failed: invalid account or password", "guess \(guess)")
      }
      // The sixth is refused before any password is looked at, the right one included.
      let refused = try guesser.saslPlain("target", "the-right-one", negotiate: false)
      XCTAssertEqual(refused.command, "904")
      let text = refused.params.last!
      XCTAssertTrue(text.hasPrefix("SASL authentication failed: too many failed logins for this account; try again in "), text)
      // NickServ says the same.
      owner.send("PRIVMSG NickServ :LOGOUT")
      owner.send("PRIVMSG NickServ :IDENTIFY the-right-one")
      try owner.expectNotice(from: "NickServ", containing: "too many failed logins for this account")
      // Another account is not affected.
      let other = try IRCTestClient(port: server.ircPort)
      try other.registerAccount("other", password: "other-password")
      other.send("PRIVMSG NickServ :LOGOUT")
      other.send("PRIVMSG NickServ :IDENTIFY other-password")
      try other.expect("900")
    }
  }

  func testFailedLoginsPerAddressAreLimited() async throws {
    try await withChatServer { server in
      let guesser = try IRCTestClient(port: server.ircPort)
      // Ten accounts that do not exist, two guesses each: the address runs out after ten.
      var outcomes: [String] = []
      for i in 0..<11 {
        outcomes.append(try guesser.saslPlain("nobody\(i)", "guess", negotiate: i == 0).params.last!)
      }
      XCTAssertEqual(Set(outcomes.prefix(10)), ["SASL authentication failed: invalid account or password"])
      XCTAssertTrue(outcomes[10].contains("too many failed logins from your address; try again in "), outcomes[10])
    }
  }

  func testBucketsRefillAndSuccessesGiveTokensBack() {
    var throttle = LoginThrottle()
    let second: UInt64 = 1_000_000_000
    var now: UInt64 = 1_000 * second
    for _ in 0..<5 { XCTAssertNil(throttle.attempt(account: "a", address: "10.0.0.1", now: now)) }
    XCTAssertEqual(throttle.attempt(account: "a", address: "10.0.0.1", now: now), .account(seconds: 60))
    now += 30 * second
    XCTAssertEqual(throttle.attempt(account: "a", address: "10.0.0.1", now: now), .account(seconds: 30))
    now += 30 * second
    XCTAssertNil(throttle.attempt(account: "a", address: "10.0.0.1", now: now), "one token back after 60 s")
    // A success returns what its attempt took.
    XCTAssertEqual(throttle.attempt(account: "a", address: "10.0.0.1", now: now), .account(seconds: 60))
    throttle.succeeded(account: "a", address: "10.0.0.1")
    XCTAssertNil(throttle.attempt(account: "a", address: "10.0.0.1", now: now))
    // An IPv6 client counts by its /64.
    XCTAssertEqual(LoginThrottle.addressKey("2001:db8:1:2::5"), LoginThrottle.addressKey("2001:db8:1:2:ffff::9"))
    XCTAssertNotEqual(LoginThrottle.addressKey("2001:db8:1:2::5"), LoginThrottle.addressKey("2001:db8:1:3::5"))
  }
}
