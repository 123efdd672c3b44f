// A blocking RESP2 connection to a redis-server on its own POSIX socket (TCP to
// 127.0.0.1 or a Unix socket): how the fixtures see whether a server is up, form a
// cluster and read its state, without the Redis target under test. One thread uses a
// probe; it owns its socket and read buffer. Every wait is bounded by `timeout`.
import Glibc
import OtterTestSupport

/// A plain connection that sends commands and reads RESP2 replies.
///
/// ```swift
/// let probe = try RedisProbe(port: server.port)
/// let pong = try probe.call(["PING"])  // .simple("PONG")
/// ```
public final class RedisProbe {
  private let fd: Int32
  private var buffer: [UInt8] = []
  /// How long a call waits for its reply.
  public let timeout: Duration

  /// Connects to `host`:`port` (an IPv4 address).
  public init(host: String = "127.0.0.1", port: Int, timeout: Duration = .seconds(5)) throws(TestError) {
    self.timeout = timeout
    fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    guard fd >= 0 else { throw TestError("socket: errno \(errno)") }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_port = in_port_t(UInt16(port).bigEndian)
    address.sin_addr.s_addr = inet_addr(host)
    let rc = withUnsafePointer(to: &address) {
      $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
    }
    guard rc == 0 else {
      let error = errno
      close(fd)
      throw TestError("connect to \(host):\(port): \(String(cString: strerror(error)))")
    }
    var one: Int32 = 1
    setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
  }

  /// Connects to the Unix socket at `path`.
  public init(unixSocket path: String, timeout: Duration = .seconds(5)) throws(TestError) {
    self.timeout = timeout
    fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
    guard fd >= 0 else { throw TestError("socket: errno \(errno)") }
    var address = sockaddr_un()
    address.sun_family = sa_family_t(AF_UNIX)
    let bytes = Array(path.utf8)
    let capacity = MemoryLayout.size(ofValue: address.sun_path)
    guard bytes.count < capacity else {
      close(fd)
      throw TestError("Unix socket path too long (\(bytes.count) bytes): \(path)")
    }
    withUnsafeMutableBytes(of: &address.sun_path) { raw in
      for (i, b) in bytes.enumerated() { raw[i] = b }
      raw[bytes.count] = 0
    }
    let rc = withUnsafePointer(to: &address) {
      $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
    }
    guard rc == 0 else {
      let error = errno
      close(fd)
      throw TestError("connect to \(path): \(String(cString: strerror(error)))")
    }
  }

  deinit { close(fd) }

  /// Sends one command (its arguments as text) and returns the reply; a server error is
  /// returned as `.error`, not thrown.
  public func call(_ arguments: [String]) throws(TestError) -> ProbeReply {
    try call(bytes: arguments.map { Array($0.utf8) })
  }

  /// Sends one command whose arguments are arbitrary bytes and returns the reply.
  public func call(bytes arguments: [[UInt8]]) throws(TestError) -> ProbeReply {
    try pipeline([arguments])[0]
  }

  /// Sends all `commands` at once, then reads one reply for each, in order.
  public func pipeline(_ commands: [[[UInt8]]]) throws(TestError) -> [ProbeReply] {
    var out: [UInt8] = []
    for command in commands {
      out += Array("*\(command.count)\r\n".utf8)
      for argument in command {
        out += Array("$\(argument.count)\r\n".utf8)
        out += argument
        out += [13, 10]
      }
    }
    try send(out)
    var replies: [ProbeReply] = []
    replies.reserveCapacity(commands.count)
    let deadline = ContinuousClock.now + timeout
    var at = 0
    while replies.count < commands.count {
      let parsed: (reply: ProbeReply, end: Int)?
      do { parsed = try ProbeReply.parse(buffer, from: at) } catch { throw TestError("malformed reply: \(error)") }
      if let (reply, end) = parsed {
        replies.append(reply)
        at = end
        continue
      }
      try fill(until: deadline)
    }
    buffer.removeFirst(at)
    return replies
  }

  /// Writes all of `bytes` (MSG_NOSIGNAL: a closed peer is an error, not SIGPIPE).
  private func send(_ bytes: [UInt8]) throws(TestError) {
    var done = 0
    while done < bytes.count {
      let n = bytes[done...].withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
      if n < 0 && errno == EINTR { continue }
      if n <= 0 { throw TestError("send failed: \(String(cString: strerror(errno)))") }
      done += n
    }
  }

  /// Reads what is there (waiting until `deadline`) into `buffer`.
  private func fill(until deadline: ContinuousClock.Instant) throws(TestError) {
    while true {
      let left = deadline - ContinuousClock.now
      guard left > .zero else { throw TestError("no reply within \(timeout)") }
      var ready = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
      let n = poll(&ready, 1, Int32(max(1, min(left.clampedMilliseconds, 1000))))
      if n < 0 && errno != EINTR { throw TestError("poll failed: \(String(cString: strerror(errno)))") }
      if n <= 0 { continue }
      var chunk = [UInt8](repeating: 0, count: 65536)
      let got = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, Int32(MSG_DONTWAIT)) }
      if got > 0 {
        buffer += chunk[0..<got]
        return
      }
      if got == 0 { throw TestError("connection closed by the server") }
      if errno != EAGAIN && errno != EINTR { throw TestError("read failed: \(String(cString: strerror(errno)))") }
    }
  }
}
