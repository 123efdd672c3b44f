// Accounts as others see them: the `account` tag on messages (account-tag), JOIN with
// the account (extended-join), WHOX's `a` field — and nothing for a client that is not
// logged in or did not ask.
import IRCTestSupport
import OtterTestSupport
import XCTest

@testable import ChatApp

final class AccountPropagationTests: XCTestCase {
  func testAccountTagExtendedJoinAndWhox() async throws {
    try await withChatServer { server in
      let reader = try IRCTestClient(port: server.ircPort)
      try reader.register("reader", caps: ["account-tag", "extended-join"])
      try reader.join("#tags")
      let plain = try IRCTestClient(port: server.ircPort)
      try plain.register("plain")
      try plain.join("#tags")
      XCTAssertEqual(try reader.expect("JOIN").params, ["#tags", "*", "Test user plain"], "not logged in: *")

      let writer = try IRCTestClient(port: server.ircPort)
      try writer.registerAccount("writer", password: "writer-password")
      writer.send("JOIN #tags")
      XCTAssertEqual(
        try reader.expect("JOIN") { $0.command == "JOIN" && $0.source?.hasPrefix("writer!") == true }.params,
        ["#tags", "writer", "Test user writer"])
      let plainJoin = try plain.expect("JOIN") { $0.command == "JOIN" && $0.source?.hasPrefix("writer!") == true }
      XCTAssertEqual(plainJoin.params, ["#tags"])
      XCTAssertTrue(plainJoin.tags.isEmpty)

      writer.send("PRIVMSG #tags :to the channel")
      let tagged = try reader.expect("PRIVMSG", containing: "to the channel")
      XCTAssertEqual(tagged.tag("account"), .some("writer"))
      XCTAssertFalse(try plain.expect("PRIVMSG", containing: "to the channel").tags.contains { $0.key == "account" })
      writer.send("PRIVMSG reader :privately")
      XCTAssertEqual(try reader.expect("PRIVMSG", containing: "privately").tag("account"), .some("writer"))
      plain.send("PRIVMSG #tags :from nobody")
      XCTAssertFalse(try reader.expect("PRIVMSG", containing: "from nobody").tags.contains { $0.key == "account" })

      reader.send("WHO writer %na")
      XCTAssertEqual(try reader.expect("354").params, ["reader", "writer", "writer"])
      reader.send("WHO plain %na")
      XCTAssertEqual(try reader.expect("354").params, ["reader", "plain", "0"])
    }
  }
}
