// Accounts from a test client's side: registering one through NickServ, logging in with
// SASL PLAIN or SCRAM-SHA-256 before registering (as irssi and WeeChat do), and reading
// what NickServ says. Every wait is bounded (IRCTestClient's expectations).
import ChatApp
import Foundation
import OtterTestSupport

extension IRCTestClient {
  /// Registers (NICK/USER) as `nick`, then creates the account `nick` with NickServ
  /// and waits until it is logged in (900).
  public func registerAccount(_ nick: String, password: String, caps: [String] = []) throws(TestError) {
    try register(nick, caps: caps)
    send("PRIVMSG NickServ :REGISTER \(password)")
    try expect("900")
  }

  /// NICK, USER and CAP END after a SASL exchange, then waits for the end of the welcome.
  public func finishRegistration(_ nick: String) throws(TestError) {
    self.nick = nick
    send("NICK \(nick)")
    send("USER \(nick) 0 * :Test user \(nick)")
    send("CAP END")
    try expect("001")
    try expect("end of MOTD") { $0.command == "376" || $0.command == "422" }
  }

  /// `AUTHENTICATE` with a response, base64, in 400-byte chunks (a `+` after a last
  /// full one), as SASL 3.1 asks of clients.
  public func sendAuthenticate(_ response: [UInt8]) {
    let text = Array(Data(response).base64EncodedString().utf8)
    if text.isEmpty {
      send("AUTHENTICATE +")
      return
    }
    var i = 0
    while i < text.count {
      send("AUTHENTICATE " + String(decoding: text[i..<min(i + 400, text.count)], as: UTF8.self))
      i += 400
    }
    if text.count % 400 == 0 { send("AUTHENTICATE +") }
  }

  /// CAP LS 302, CAP REQ sasl, AUTHENTICATE PLAIN with `account` and `password`; returns
  /// the numeric that ended the exchange (900 then 903 on success: the 903 is returned;
  /// 904 or 905 on failure). Registration is left to the caller (CAP END, NICK, USER).
  @discardableResult
  public func saslPlain(_ account: String, _ password: String, negotiate: Bool = true) throws(TestError) -> IRCMessage {
    if negotiate {
      send("CAP LS 302")
      send("CAP REQ :sasl")
      try expect("CAP", containing: "ACK")
    }
    send("AUTHENTICATE PLAIN")
    try expect("AUTHENTICATE") { $0.command == "AUTHENTICATE" && $0.params == ["+"] }
    sendAuthenticate(Array("\0\(account)\0\(password)".utf8))
    return try expect("SASL outcome") { ["903", "904", "905"].contains($0.command) }
  }

  /// SASL SCRAM-SHA-256 with `client` (the test's own implementation of the RFC);
  /// returns 903 on success (after checking the server's signature), else 904.
  @discardableResult
  public func saslScram(_ client: ScramClient, negotiate: Bool = true) throws -> IRCMessage {
    var scram = client
    if negotiate {
      send("CAP LS 302")
      send("CAP REQ :sasl")
      try expect("CAP", containing: "ACK")
    }
    send("AUTHENTICATE SCRAM-SHA-256")
    try expect("AUTHENTICATE") { $0.command == "AUTHENTICATE" && $0.params == ["+"] }
    sendAuthenticate(Array(scram.clientFirst.utf8))
    let challenge = try expect("server-first or failure") { $0.command == "AUTHENTICATE" || $0.command == "904" }
    guard challenge.command == "AUTHENTICATE" else { return challenge }
    let serverFirst = String(decoding: Data(base64Encoded: challenge.params[0]) ?? Data(), as: UTF8.self)
    sendAuthenticate(Array(try scram.clientFinal(serverFirst: serverFirst).utf8))
    let final = try expect("server-final or failure") { $0.command == "AUTHENTICATE" || $0.command == "904" }
    guard final.command == "AUTHENTICATE" else { return final }
    let serverFinal = String(decoding: Data(base64Encoded: final.params[0]) ?? Data(), as: UTF8.self)
    guard scram.verifies(serverFinal: serverFinal) else { throw TestError("the server's SCRAM signature is wrong: \(serverFinal)") }
    send("AUTHENTICATE +")
    return try expect("SASL outcome") { ["903", "904"].contains($0.command) }
  }

  /// The next NOTICE from NickServ or ChanServ (`bot`), its text.
  @discardableResult
  public func expectNotice(from bot: String, containing text: String? = nil, within seconds: Double = 5) throws(TestError) -> String {
    try expect("a NOTICE from \(bot)" + (text.map { " containing \"\($0)\"" } ?? ""), within: seconds) { m in
      m.command == "NOTICE" && m.source?.hasPrefix(bot + "!") == true && (text.map { t in m.params.last?.contains(t) == true } ?? true)
    }.params.last ?? ""
  }
}
