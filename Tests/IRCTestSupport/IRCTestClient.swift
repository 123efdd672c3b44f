// A plain blocking IRC client for the tests: its own socket, no Otter, so it sees the
// server exactly as irssi would. Every wait is bounded.
import ChatApp
import Foundation
import OtterTestSupport

/// An IRC client for tests: sends lines, and waits (bounded) for the messages it expects,
/// keeping the others for later expectations.
public final class IRCTestClient {
  private let connection: TestConnection
  /// Messages read but not yet taken by an `expect`.
  public private(set) var backlog: [IRCMessage] = []
  /// Whether the server closed the connection.
  public var closed: Bool { connection.closed }
  /// The nick registered (named in timeout messages).
  public var nick = ""

  /// Connects to chatd's IRC port on 127.0.0.1; `receiveBuffer` makes a slow reader.
  public init(port: Int, receiveBuffer: Int? = nil) throws(TestError) {
    connection = try TestConnection(port: port, receiveBuffer: receiveBuffer)
  }

  /// Talks over `connection` (a TLS tunnel's, say).
  public init(connection: TestConnection) {
    self.connection = connection
  }

  /// Sends raw bytes (a line must carry its own CR LF); stops quietly if the server has
  /// gone (what follows then expects the close).
  public func sendRaw(_ bytes: [UInt8]) { try? connection.send(bytes) }

  /// Sends `line` and CR LF.
  public func send(_ line: String) { sendRaw(Array((line + "\r\n").utf8)) }

  /// Reads what is there (waiting at most ~50 ms). False once the server closed.
  @discardableResult
  private func fill() -> Bool {
    guard connection.receive(waiting: 0.05) else { return false }
    while let line = connection.takeLine() {
      if let m = try? IRCMessage.parse(line) { backlog.append(m) }
    }
    return true
  }

  /// The first message (in order) that `match` accepts; earlier ones stay in the backlog.
  @discardableResult
  public func expect(_ what: String, within seconds: Double = 5, _ match: (IRCMessage) -> Bool) throws(TestError) -> IRCMessage {
    let deadline = Date().addingTimeInterval(seconds)
    while true {
      if let i = backlog.firstIndex(where: match) { return backlog.remove(at: i) }
      if Date() > deadline || (closed && connection.buffer.isEmpty) {
        throw TestError(
          "timed out waiting for \(what) (\(nick); got: \(backlog.suffix(8).map { $0.command + " " + $0.params.joined(separator: " ") }))")
      }
      if !fill() && backlog.firstIndex(where: match) == nil {
        throw TestError("timed out waiting for \(what): connection closed (\(nick))")
      }
    }
  }

  /// The first message with `command` (and, if given, whose parameters contain `containing`).
  @discardableResult
  public func expect(_ command: String, containing: String? = nil, within seconds: Double = 5) throws(TestError) -> IRCMessage {
    try expect(command + (containing.map { " " + $0 } ?? ""), within: seconds) { m in
      m.command == command && (containing.map { c in m.params.contains { $0.contains(c) } } ?? true)
    }
  }

  /// True if no message `match` accepts arrives within `seconds`.
  public func never(within seconds: Double, _ match: (IRCMessage) -> Bool) -> Bool {
    (try? expect("nothing", within: seconds, match)) == nil
  }

  /// Waits until the server closes the connection.
  public func expectClosed(within seconds: Double = 5) throws(TestError) {
    let deadline = Date().addingTimeInterval(seconds)
    while !closed {
      if Date() > deadline { throw TestError("timed out waiting for the server to close (\(nick))") }
      fill()
    }
  }

  /// Drops every message read so far.
  public func drain() {
    _ = never(within: 0.1) { _ in false }
    backlog.removeAll()
  }

  /// NICK + USER, then waits for the end of the welcome (376/422).
  public func register(_ nick: String, caps: [String] = []) throws(TestError) {
    self.nick = nick
    if !caps.isEmpty {
      send("CAP LS 302")
      send("CAP REQ :" + caps.joined(separator: " "))
    }
    send("NICK \(nick)")
    send("USER \(nick) 0 * :Test user \(nick)")
    if !caps.isEmpty {
      try expect("CAP", containing: "ACK")
      send("CAP END")
    }
    try expect("001")
    try expect("end of MOTD") { $0.command == "376" || $0.command == "422" }
  }

  /// JOINs `channel` and waits for the end of its names list (366); what joining says
  /// (own JOIN, topic, names) is dropped.
  public func join(_ channel: String) throws(TestError) {
    send("JOIN \(channel)")
    try expect("366", containing: channel)
    // Not news for later expects.
    backlog.removeAll { m in
      (m.command == "JOIN" && m.source?.hasPrefix(nick + "!") == true) || ["332", "333", "353", "329"].contains(m.command)
    }
  }
}
