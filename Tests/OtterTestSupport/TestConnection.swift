// A plain blocking TCP client for tests: its own socket, no Otter, so it sees a server
// exactly as an outside client would. Every read is bounded, so a broken server fails a
// test instead of hanging it.
import Actors
import Glibc

/// A TCP connection to 127.0.0.1. Single-threaded: one test uses it.
public final class TestConnection {
  /// The socket.
  public let fd: Int32
  /// Bytes read and not taken yet.
  public var buffer: [UInt8] = []
  /// Whether the peer closed the connection (or it failed).
  public private(set) var closed = false
  /// How long `fill` waits for bytes, and a send for room, in seconds.
  public let timeout: Double
  /// What lives as long as the connection: the process at the other end of an adopted
  /// socket (`init(adopting:)`), stopped when it is released.
  public var companion: AnyObject?

  /// Connects to `port` on 127.0.0.1; `receiveBuffer` sets the socket's receive buffer
  /// (SO_RCVBUF) first, to make a slow reader.
  public init(port: Int, timeout: Double = 5, receiveBuffer: Int? = nil) throws(TestError) {
    self.timeout = timeout
    fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    guard fd >= 0 else { throw TestError("socket: errno \(errno)") }
    if let size = receiveBuffer {
      var s = Int32(size)
      setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &s, socklen_t(MemoryLayout<Int32>.size))
    }
    var tv = timeval(tv_sec: Int(timeout), tv_usec: Int((timeout - Double(Int(timeout))) * 1e6))
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
    var address = loopbackAddress(port: port)
    let rc = withUnsafePointer(to: &address) {
      $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
    }
    guard rc == 0 else {
      let error = errno
      close(fd)
      throw TestError("connect to port \(port) failed: errno \(error)")
    }
  }

  /// Takes `fd`, a connected stream socket (one end of a socket pair, say), as the
  /// connection; it is closed with the connection.
  public init(adopting fd: Int32, timeout: Double = 5) {
    self.timeout = timeout
    self.fd = fd
    var tv = timeval(tv_sec: Int(timeout), tv_usec: Int((timeout - Double(Int(timeout))) * 1e6))
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
  }

  deinit { close(fd) }

  /// Sends all of `bytes` (MSG_NOSIGNAL: a closed peer is an error, not SIGPIPE).
  public func send(_ bytes: [UInt8]) throws(TestError) {
    var done = 0
    while done < bytes.count {
      let n = bytes[done...].withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
      if n <= 0 { throw TestError("send failed: errno \(errno)") }
      done += n
    }
  }

  /// Sends `text` as UTF-8 (a line must carry its own CR LF).
  public func send(_ text: String) throws(TestError) { try send(Array(text.utf8)) }

  /// What one read brought.
  private enum Outcome {
    case bytes, nothing, endOfFile
    case failed(Int32)
  }

  /// Waits up to `seconds` for bytes and appends what one `recv` gets to `buffer`.
  private func read(waiting seconds: Double) -> Outcome {
    var ready = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
    let n = poll(&ready, 1, Int32((seconds * 1000).rounded(.up)))
    if n == 0 || (n < 0 && errno == EINTR) { return .nothing }
    var chunk = [UInt8](repeating: 0, count: 65536)
    let got = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, Int32(MSG_DONTWAIT)) }
    if got > 0 {
      buffer += chunk[0..<got]
      return .bytes
    }
    if got == 0 { return .endOfFile }
    return errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR ? .nothing : .failed(errno)
  }

  /// Reads what arrives within `seconds` into `buffer`. True if bytes came or the time
  /// passed; false once the peer has closed the connection or it failed (`closed`).
  @discardableResult
  public func receive(waiting seconds: Double) -> Bool {
    if closed { return false }
    switch read(waiting: seconds) {
    case .bytes, .nothing: return true
    case .endOfFile, .failed:
      closed = true
      return false
    }
  }

  /// Reads more bytes into `buffer`, waiting at most `timeout`; false once the peer has
  /// closed. Throws when nothing came in time or the connection failed (a reset, say).
  @discardableResult
  public func fill() throws(TestError) -> Bool {
    let deadline = MonotonicClock.seconds() + timeout
    while true {
      switch read(waiting: max(0, deadline - MonotonicClock.seconds())) {
      case .bytes: return true
      case .endOfFile:
        closed = true
        return false
      case .failed(let error):
        closed = true
        throw TestError("read failed: errno \(error)")
      case .nothing: if MonotonicClock.seconds() >= deadline { throw TestError("read timed out") }
      }
    }
  }

  /// The next complete line in `buffer` (without its LF or CR LF), taken out of it; nil
  /// while no line is complete.
  public func takeLine() -> [UInt8]? {
    guard let nl = buffer.firstIndex(of: 0x0A) else { return nil }
    var line = Array(buffer[..<nl])
    buffer.removeSubrange(...nl)
    if line.last == 0x0D { line.removeLast() }
    return line
  }

  /// The next line (without CR LF), reading as needed.
  public func readLine() throws(TestError) -> String {
    while true {
      if let line = takeLine() { return String(decoding: line, as: UTF8.self) }
      guard try fill() else { throw TestError("closed while waiting for a line") }
    }
  }

  /// Reads lines until one contains `text`, and returns it; throws after `max` others.
  @discardableResult
  public func expectLine(containing text: String, max: Int = 200) throws(TestError) -> String {
    for _ in 0..<max {
      let line: String
      do { line = try readLine() } catch { throw TestError("\(error) while waiting for a line with \(text)") }
      if line.contains(text) { return line }
    }
    throw TestError("no line containing \(text)")
  }

  /// Everything until the peer closes.
  public func readToEnd() throws(TestError) -> [UInt8] {
    while try fill() {}
    defer { buffer = [] }
    return buffer
  }
}

/// 127.0.0.1:`port` as a socket address.
func loopbackAddress(port: Int) -> sockaddr_in {
  var address = sockaddr_in()
  address.sin_family = sa_family_t(AF_INET)
  address.sin_port = in_port_t(UInt16(port).bigEndian)
  address.sin_addr.s_addr = inet_addr("127.0.0.1")
  return address
}
