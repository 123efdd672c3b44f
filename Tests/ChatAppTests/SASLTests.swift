// SASL against a real chatd over TCP: PLAIN, SCRAM-SHA-256 (the client side computed
// by the tests' own RFC 5802 implementation), EXTERNAL's refusal without a certificate,
// chunking at 400 bytes, abort, re-authentication, and each failure's numeric.
import IRCTestSupport
import OtterTestSupport
import XCTest

@testable import Actors
@testable import ChatApp
@testable import GenServer

final class SASLTests: XCTestCase {
  /// A server with the account `jilles` (password `sesame-sesame`), registered by a
  /// client that then quits.
  private func withAccount(_ config: ChatConfig = testConfig(), _ body: (ChatServer) async throws -> Void) async throws {
    try await withChatServer(config) { server in
      let owner = try IRCTestClient(port: server.ircPort)
      try owner.registerAccount("jilles", password: "sesame-sesame")
      owner.send("QUIT")
      try owner.expectClosed()
      try await body(server)
    }
  }

  func testPlainLogsInBeforeRegistration() async throws {
    try await withAccount { server in
      let client = try IRCTestClient(port: server.ircPort)
      let outcome = try client.saslPlain("jilles", "sesame-sesame")
      XCTAssertEqual(outcome.command, "903")
      try client.finishRegistration("bar")
      client.send("WHOIS bar")
      XCTAssertEqual(try client.expect("330").params[2], "jilles")
    }
  }

  func testPlainRefusals() async throws {
    try await withAccount { server in
      let client = try IRCTestClient(port: server.ircPort)
      XCTAssertEqual(
        try client.saslPlain("jilles", "wrong-password").params.last, "SASL authentication failed: invalid account or password")
      XCTAssertEqual(
        try client.saslPlain("nobody", "sesame-sesame", negotiate: false).params.last,
        "SASL authentication failed: invalid account or password")
      // Acting as another account.
      client.send("AUTHENTICATE PLAIN")
      try client.expect("AUTHENTICATE")
      client.sendAuthenticate(Array("other\0jilles\0sesame-sesame".utf8))
      XCTAssertTrue(try client.expect("904").params.last!.contains("may not act as other"))
      // Not base64.
      client.send("AUTHENTICATE PLAIN")
      try client.expect("AUTHENTICATE")
      client.send("AUTHENTICATE !!!")
      XCTAssertTrue(try client.expect("904").params.last!.contains("not valid base64"))
      // One chunk over 400 bytes.
      client.send("AUTHENTICATE PLAIN")
      try client.expect("AUTHENTICATE")
      client.send("AUTHENTICATE " + String(repeating: "A", count: 401))
      XCTAssertEqual(try client.expect("905").params.last, "SASL message too long")
      // More than ten full chunks: the response is refused whole.
      client.send("AUTHENTICATE PLAIN")
      try client.expect("AUTHENTICATE")
      for _ in 0..<11 { client.send("AUTHENTICATE " + String(repeating: "A", count: 400)) }
      XCTAssertEqual(try client.expect("904").params.last, "SASL authentication failed: response too long")
      // An unknown mechanism: the list, then the failure.
      client.send("AUTHENTICATE FOO")
      XCTAssertEqual(try client.expect("908").params[1], "PLAIN,SCRAM-SHA-256,EXTERNAL")
      try client.expect("904")
      // Aborted.
      client.send("AUTHENTICATE PLAIN")
      try client.expect("AUTHENTICATE")
      client.send("AUTHENTICATE *")
      try client.expect("906")
      // After all that, the right password still works.
      XCTAssertEqual(try client.saslPlain("jilles", "sesame-sesame", negotiate: false).command, "903")
    }
  }

  func testPlainResponsesAreGatheredFromChunks() async throws {
    // A password whose response is longer than 400 bytes of base64 (so it is sent in
    // chunks), and one whose response is exactly 400 (then `AUTHENTICATE +`).
    var config = testConfig()
    config.minimumPasswordLength = 1
    try await withChatServer(config) { server in
      // "\0foo\0" and 295 bytes make 300 bytes: 400 of base64.
      for password in [String(repeating: "long", count: 100), String(repeating: "x", count: 295)] {
        let owner = try IRCTestClient(port: server.ircPort)
        try owner.registerAccount("foo", password: password)
        let client = try IRCTestClient(port: server.ircPort)
        XCTAssertEqual(try client.saslPlain("foo", password).command, "903")
        owner.send("PRIVMSG NickServ :DROP \(password)")
        try owner.expect("901")
        owner.send("QUIT")
        client.send("QUIT")
      }
    }
  }

  func testScramSHA256LogsInAndRefusesAWrongPassword() async throws {
    try await withAccount { server in
      let client = try IRCTestClient(port: server.ircPort)
      let ok = try client.saslScram(ScramClient(username: "jilles", password: "sesame-sesame"))
      XCTAssertEqual(ok.command, "903")
      try client.finishRegistration("scrammer")
      client.send("WHOIS scrammer")
      XCTAssertEqual(try client.expect("330").params[2], "jilles")

      let wrong = try IRCTestClient(port: server.ircPort)
      let refused = try wrong.saslScram(ScramClient(username: "jilles", password: "not-the-password"))
      XCTAssertEqual(refused.command, "904")
      XCTAssertEqual(refused.params.last, "SASL authentication failed: invalid account or password")
      // Channel binding is not offered.
      wrong.send("AUTHENTICATE SCRAM-SHA-256")
      try wrong.expect("AUTHENTICATE")
      wrong.sendAuthenticate(Array("p=tls-unique,,n=jilles,r=abc".utf8))
      XCTAssertTrue(try wrong.expect("904").params.last!.contains("channel binding"))
    }
  }

  func testExternalNeedsACertificate() async throws {
    try await withAccount { server in
      let client = try IRCTestClient(port: server.ircPort)
      client.send("CAP LS 302")
      client.send("CAP REQ :sasl")
      try client.expect("CAP", containing: "ACK")
      client.send("AUTHENTICATE EXTERNAL")
      let refused = try client.expect("904")
      XCTAssertTrue(refused.params.last!.contains("no client certificate"), refused.params.last!)
    }
  }

  func testExternalLogsInWithARegisteredClientCertificate() async throws {
    guard TLSTunnel.available else { throw XCTSkip("no openssl tool (apt-get install openssl)") }
    let dir = temporaryDirectory("sasl-external")
    defer { removeDirectory(dir) }
    let serverCertificate = try TestCertificate.make(in: dir)
    let mine = try TestCertificate.make(in: dir, name: "jilles", commonName: "jilles")
    let stranger = try TestCertificate.make(in: dir, name: "stranger", commonName: "stranger")
    try await withChatServer(tlsConfig(serverCertificate, plainPort: true)) { server in
      // Over TLS with her certificate, the account's owner registers this connection's.
      let owner = try IRCTestClient(tlsPort: server.ircTLSPort, certificate: mine)
      try owner.registerAccount("jilles", password: "sesame-sesame")
      owner.send("PRIVMSG NickServ :CERT ADD")
      try owner.expectNotice(from: "NickServ", containing: "Certificate \(mine.fingerprint) added to jilles")
      owner.send("QUIT")
      try owner.expectClosed()

      func external(_ certificate: TestCertificate, authzid: String = "") throws -> IRCTestClient {
        let client = try IRCTestClient(tlsPort: server.ircTLSPort, certificate: certificate)
        client.send("CAP LS 302")
        client.send("CAP REQ :sasl")
        try client.expect("CAP", containing: "ACK")
        client.send("AUTHENTICATE EXTERNAL")
        try client.expect("AUTHENTICATE") { $0.command == "AUTHENTICATE" && $0.params == ["+"] }
        client.sendAuthenticate(Array(authzid.utf8))
        return client
      }
      // The certificate alone logs in: no password.
      let client = try external(mine)
      XCTAssertEqual(try client.expect("900").params[2], "jilles")
      try client.expect("903")
      try client.finishRegistration("jilles")
      // Naming the account it belongs to is fine; naming another is not.
      XCTAssertEqual(try external(mine, authzid: "jilles").expect("903").command, "903")
      let other = try external(mine, authzid: "someone")
      XCTAssertTrue(try other.expect("904").params.last!.contains("registered to another account"))
      // A certificate no account has.
      let unknown = try external(stranger)
      XCTAssertEqual(try unknown.expect("904").params.last, "SASL authentication failed: no account has that certificate")
    }
  }

  func testCertificatesAreKeptByFingerprint() async throws {
    // CERT ADD and DEL with a fingerprint given (for a certificate used from elsewhere),
    // checked in the account store — what AUTHENTICATE EXTERNAL asks.
    let fingerprint = String(repeating: "ab", count: 32)
    try await withAccount { server in
      let client = try IRCTestClient(port: server.ircPort)
      _ = try client.saslPlain("jilles", "sesame-sesame")
      try client.finishRegistration("jilles")
      client.send("PRIVMSG NickServ :CERT ADD not-a-fingerprint")
      try client.expectNotice(from: "NickServ", containing: "is not a SHA-256 fingerprint")
      client.send("PRIVMSG NickServ :CERT ADD")
      try client.expectNotice(from: "NickServ", containing: "This connection has no client certificate")
      client.send("PRIVMSG NickServ :CERT ADD \(fingerprint.uppercased())")
      try client.expectNotice(from: "NickServ", containing: "Certificate \(fingerprint) added to jilles")
      client.send("PRIVMSG NickServ :CERT LIST")
      try client.expectNotice(from: "NickServ", containing: fingerprint)

      let store = try XCTUnwrap(
        server.node.whereis(ChatServices.accountsName, as: ServerMessage<AccountStore>.self).map(GenServerRef.init))
      guard case .account(let found) = try await server.node.call(store, .certificate(fingerprint: fingerprint)) else {
        return XCTFail("the certificate's account was not found")
      }
      XCTAssertEqual(found.name, "jilles")
      guard
        case .refused(.noSuchCertificate) = try await server.node.call(store, .certificate(fingerprint: String(repeating: "cd", count: 32)))
      else { return XCTFail("an unknown certificate logged in") }

      client.send("PRIVMSG NickServ :CERT DEL \(fingerprint)")
      try client.expectNotice(from: "NickServ", containing: "removed")
      guard case .refused(.noSuchCertificate) = try await server.node.call(store, .certificate(fingerprint: fingerprint)) else {
        return XCTFail("a removed certificate still logs in")
      }
    }
  }

  func testReauthenticationAfterRegistrationTellsNeighbours() async throws {
    try await withAccount { server in
      let watcher = try IRCTestClient(port: server.ircPort)
      try watcher.register("watcher", caps: ["account-notify"])
      try watcher.join("#room")
      let client = try IRCTestClient(port: server.ircPort)
      try client.register("roamer", caps: ["sasl"])
      try client.join("#room")
      XCTAssertEqual(try client.saslPlain("jilles", "sesame-sesame", negotiate: false).command, "903")
      let account = try watcher.expect("ACCOUNT")
      XCTAssertEqual(account.params, ["jilles"])
      XCTAssertTrue(account.source!.hasPrefix("roamer!"))
      client.send("PRIVMSG NickServ :LOGOUT")
      XCTAssertEqual(try watcher.expect("ACCOUNT").params, ["*"])
    }
  }

  func testRegistrationDuringAnExchangeAbortsIt() async throws {
    try await withAccount { server in
      let client = try IRCTestClient(port: server.ircPort)
      client.send("CAP LS 302")
      client.send("CAP REQ :sasl")
      try client.expect("CAP", containing: "ACK")
      client.send("AUTHENTICATE PLAIN")
      try client.expect("AUTHENTICATE")
      client.send("NICK midway")
      client.send("USER midway 0 * :Midway")
      client.send("CAP END")
      try client.expect("906")
      try client.expect("001")
    }
  }
}
