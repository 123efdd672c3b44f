// A plain blocking IRC client for the tests: its own socket, no Otter, so it sees the
// server exactly as irssi would. Every wait is bounded.
import Foundation
import Glibc
@testable import ChatApp

struct TestTimeout: Error, CustomStringConvertible {
  let what: String
  var description: String { "timed out waiting for \(what)" }
}

final class IRCTestClient {
  let fd: Int32
  private var buffer: [UInt8] = []
  /// Lines read but not yet taken by an `expect`.
  private(set) var backlog: [IRCMessage] = []
  private(set) var closed = false
  var nick = ""

  init(port: Int, receiveBuffer: Int? = nil) throws {
    fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    guard fd >= 0 else { throw TestTimeout(what: "socket") }
    if let size = receiveBuffer {
      var s = Int32(size)
      setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &s, socklen_t(MemoryLayout<Int32>.size))
    }
    var tv = timeval(tv_sec: 0, tv_usec: 50_000)
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
    var addr = sockaddr_in()
    addr.sin_family = sa_family_t(AF_INET)
    addr.sin_port = in_port_t(UInt16(port).bigEndian)
    addr.sin_addr.s_addr = inet_addr("127.0.0.1")
    let rc = withUnsafePointer(to: &addr) {
      $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
    }
    guard rc == 0 else {
      close(fd)
      throw TestTimeout(what: "connect to port \(port) (errno \(errno))")
    }
  }

  deinit { close(fd) }

  /// Sends raw bytes (a line must carry its own CR LF).
  func sendRaw(_ bytes: [UInt8]) {
    var off = 0
    while off < bytes.count {
      let n = bytes[off...].withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
      if n <= 0 { return }
      off += n
    }
  }

  func send(_ line: String) { sendRaw(Array((line + "\r\n").utf8)) }

  /// Reads what is there (waiting at most ~50 ms). False once the server closed.
  @discardableResult
  private func fill() -> Bool {
    var chunk = [UInt8](repeating: 0, count: 65536)
    let n = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
    if n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
      closed = true
      return false
    }
    if n > 0 { buffer += chunk[0..<n] }
    while let nl = buffer.firstIndex(of: 0x0A) {
      var line = Array(buffer[..<nl])
      buffer.removeSubrange(...nl)
      if line.last == 0x0D { line.removeLast() }
      if let m = try? IRCMessage.parse(line) { backlog.append(m) }
    }
    return true
  }

  /// The first message (in order) that `match` accepts; earlier ones stay in the backlog.
  func expect(_ what: String, within seconds: Double = 5, _ match: (IRCMessage) -> Bool) throws -> IRCMessage {
    let deadline = Date().addingTimeInterval(seconds)
    while true {
      if let i = backlog.firstIndex(where: match) { return backlog.remove(at: i) }
      if Date() > deadline || (closed && buffer.isEmpty) {
        throw TestTimeout(what: "\(what) (\(nick); got: \(backlog.suffix(8).map { $0.command + " " + $0.params.joined(separator: " ") }))")
      }
      if !fill() && backlog.firstIndex(where: match) == nil { throw TestTimeout(what: "\(what): connection closed (\(nick))") }
    }
  }

  /// The first message with `command` (and, if given, whose parameters contain `containing`).
  @discardableResult
  func expect(_ command: String, containing: String? = nil, within seconds: Double = 5) throws -> IRCMessage {
    try expect(command + (containing.map { " " + $0 } ?? ""), within: seconds) { m in
      m.command == command && (containing.map { c in m.params.contains { $0.contains(c) } } ?? true)
    }
  }

  /// True if no message `match` accepts arrives within `seconds`.
  func never(within seconds: Double, _ match: (IRCMessage) -> Bool) -> Bool {
    (try? expect("nothing", within: seconds, match)) == nil
  }

  /// Waits until the server closes the connection; returns the lines it sent before.
  func expectClosed(within seconds: Double = 5) throws {
    let deadline = Date().addingTimeInterval(seconds)
    while !closed {
      if Date() > deadline { throw TestTimeout(what: "the server to close (\(nick))") }
      fill()
    }
  }

  /// Drops every message read so far.
  func drain() {
    _ = never(within: 0.1) { _ in false }
    backlog.removeAll()
  }

  /// NICK + USER, then waits for the end of the welcome (376/422).
  func register(_ nick: String, caps: [String] = []) throws {
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

  func join(_ channel: String) throws {
    send("JOIN \(channel)")
    try expect("366", containing: channel)
    // What joining says (own JOIN, topic, names) is not news for later expects.
    backlog.removeAll { m in
      (m.command == "JOIN" && m.source?.hasPrefix(nick + "!") == true) || ["332", "333", "353", "329"].contains(m.command)
    }
  }
}
