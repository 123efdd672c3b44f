// When is a network ready? Open ports are not enough: linked servers take seconds to
// connect and burst. A probe client registers on the first server, and a watcher on each
// other server asks `ISON` until the probe is listed there (30 s at most). Plain blocking
// sockets with poll() timeouts, used by the runner before any load client exists; nothing
// here is shared.
import Actors
import Glibc

enum NetworkProbe {
  /// The probe's nick, and the watchers' prefix: nicks no load client has (theirs are a
  /// prefix and digits), at most 9 characters (ngIRCd's limit).
  static let probeNick = "cbprobe"
  static let watcherPrefix = "cbwatch"

  /// Waits until every server of `endpoints` sees a client registered on the first one.
  static func waitUntilLinked(_ endpoints: [Endpoint], name: String, timeout: Double = 30, log: Log) throws(LaunchError) {
    guard endpoints.count > 1 else { return }
    let t0 = MonotonicClock.microseconds()
    let deadline = t0 + UInt64(timeout * 1e6)
    let probe: ProbeConnection
    do {
      probe = try ProbeConnection.register(endpoints[0], nick: probeNick, deadline: deadline)
    } catch {
      throw LaunchError("\(name): the readiness probe could not register on \(endpoints[0]): \(error)")
    }
    defer { probe.quit() }
    for (i, endpoint) in endpoints.enumerated().dropFirst() {
      let watcher: ProbeConnection
      do {
        watcher = try ProbeConnection.register(endpoint, nick: watcherPrefix + String(i), deadline: deadline)
      } catch {
        throw LaunchError("\(name): the readiness probe could not register on \(endpoint): \(error)")
      }
      defer { watcher.quit() }
      var lastAnswer = "(none)"
      while true {
        let now = MonotonicClock.microseconds()
        if now >= deadline {
          throw LaunchError(
            "\(name): server \(i + 1) (\(endpoint)) does not see a client of server 1 (\(endpoints[0])) after \(fmtPlain(timeout)) s: the servers are not linked (last ISON answer: \(lastAnswer)); see their logs"
          )
        }
        do {
          watcher.send("ISON \(probeNick)")
          if let answer = try watcher.awaitLine(deadline: min(deadline, now + 500_000), where: { IRCReply.code($0) == 303 }) {
            lastAnswer = answer
            if IRCReply.trailing(answer).split(separator: " ").contains(where: { $0.lowercased() == probeNick }) { break }
            usleep(200_000)
          }
        } catch {
          throw LaunchError("\(name): the readiness probe on \(endpoint) failed: \(error)")
        }
      }
    }
    log.line(
      "\(name): linked — a client of \(endpoints[0]) is seen on every server after \(fmt(seconds(MonotonicClock.microseconds() - t0))) s")
  }
}

/// Reading IRC replies as text (the probe's few lines; the load clients parse bytes).
enum IRCReply {
  /// The numeric of ":server 303 nick :text", or nil.
  static func code(_ line: String) -> Int? {
    let words = line.split(separator: " ", maxSplits: 2)
    guard words.count >= 2, words[0].hasPrefix(":"), words[1].count == 3 else { return nil }
    return Int(words[1])
  }

  /// The text after " :" (the last parameter), or "".
  static func trailing(_ line: String) -> Substring {
    let body = line.hasPrefix(":") ? line.dropFirst() : Substring(line)
    guard let r = body.range(of: " :") else { return "" }
    return body[r.upperBound...]
  }
}

/// Why the probe failed.
struct ProbeError: Error, CustomStringConvertible {
  let description: String
  init(_ description: String) { self.description = description }
}

/// One blocking IRC connection of the probe.
final class ProbeConnection {
  private let fd: Int32
  private var buffer: [UInt8] = []

  private init(fd: Int32) { self.fd = fd }
  deinit { close(fd) }

  /// Connects to `endpoint` and registers `nick`; returns once 001 arrived.
  static func register(_ endpoint: Endpoint, nick: String, deadline: UInt64) throws(ProbeError) -> ProbeConnection {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
    guard fd >= 0 else { throw ProbeError("socket: \(String(cString: strerror(errno)))") }
    let c = ProbeConnection(fd: fd)
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    guard inet_pton(AF_INET, endpoint.host, &address.sin_addr) == 1 else { throw ProbeError("bad address \(endpoint.host)") }
    address.sin_port = UInt16(endpoint.port).bigEndian
    let r = withUnsafePointer(to: &address) {
      $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
    }
    guard r == 0 else { throw ProbeError("connect: \(String(cString: strerror(errno)))") }
    c.send("NICK \(nick)")
    c.send("USER \(nick) 0 * :chatbench readiness probe")
    let welcome = try c.awaitLine(deadline: deadline) { line in
      guard let code = IRCReply.code(line) else { return line.hasPrefix("ERROR") }
      return code == 1 || ((400..<600).contains(code) && code != 422)
    }
    guard let welcome else { throw ProbeError("no welcome (001) from \(endpoint) in time") }
    guard IRCReply.code(welcome) == 1 else { throw ProbeError("registering \(nick) got: \(welcome)") }
    return c
  }

  /// Writes one line (CR LF added).
  func send(_ line: String) {
    let bytes = Array((line + "\r\n").utf8)
    var offset = 0
    while offset < bytes.count {
      let n = bytes.withUnsafeBytes { Glibc.send(fd, $0.baseAddress! + offset, $0.count - offset, Int32(MSG_NOSIGNAL)) }
      if n <= 0 { return }
      offset += n
    }
  }

  /// Reads lines (answering PINGs) until one satisfies `match` (returned) or `deadline`
  /// (CLOCK_MONOTONIC µs) passes (nil).
  func awaitLine(deadline: UInt64, where match: (String) -> Bool) throws(ProbeError) -> String? {
    while true {
      while let end = buffer.firstIndex(of: UInt8(ascii: "\n")) {
        var line = String(decoding: buffer[..<end], as: UTF8.self)
        buffer.removeSubrange(...end)
        if line.hasSuffix("\r") { line.removeLast() }
        if line.hasPrefix("PING") {
          send("PONG" + line.dropFirst(4))
          continue
        }
        if match(line) { return line }
      }
      let now = MonotonicClock.microseconds()
      guard now < deadline else { return nil }
      var p = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
      let ready = poll(&p, 1, Int32(min(1000, (deadline - now) / 1000 + 1)))
      if ready < 0 && errno != EINTR { throw ProbeError("poll: \(String(cString: strerror(errno)))") }
      guard ready > 0 else { continue }
      var chunk = [UInt8](repeating: 0, count: 4096)
      let n = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
      if n == 0 { throw ProbeError("the server closed the connection") }
      if n < 0 {
        if errno == EINTR || errno == EAGAIN { continue }
        throw ProbeError("recv: \(String(cString: strerror(errno)))")
      }
      buffer.append(contentsOf: chunk[0..<n])
    }
  }

  /// Says goodbye (the socket closes when the connection is released).
  func quit() { send("QUIT :chatbench probe done") }
}
