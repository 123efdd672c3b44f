// A TCP proxy on 127.0.0.1 for tests: forwards every connection to an upstream port, and
// can cut its clients off (open connections closed, new ones closed at once) and let
// them through again — one client losing a server that others still reach. Blocking
// sockets on threads of its own (no Otter): an accepting thread, two pumping threads per
// connection. The cut flag and the set of open sockets are behind one lock, written by
// those threads and by cut/restore/stop; a socket is closed only under that lock, after
// it left the set, so a cut never shuts down a number the kernel has handed out again.
import Actors
import Foundation
import Glibc

/// A TCP proxy from a port of its own to `upstream`, that a test can cut.
///
/// ```swift
/// let proxy = try TCPProxy(to: server.port)
/// addTeardownBlock { proxy.stop() }
/// // connect to proxy.port ...
/// proxy.cut()       // every client loses the server
/// proxy.restore()   // new connections go through again
/// ```
public final class TCPProxy: Sendable {
  /// Where clients connect (127.0.0.1).
  public let port: Int
  private let upstream: Int
  private let listener: Int32
  private let state = Locked(State())

  private struct State {
    var cut = false
    var stopped = false
    /// Every socket of every open connection, both sides.
    var open: Set<Int32> = []
  }

  /// Listens on a free port and forwards to `upstream` on 127.0.0.1.
  public init(to upstream: Int) throws(TestError) {
    self.upstream = upstream
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    guard fd >= 0 else { throw TestError("proxy socket: errno \(errno)") }
    var address = loopbackAddress(port: 0)
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    let bound = withUnsafeMutablePointer(to: &address) { p in
      p.withMemoryRebound(to: sockaddr.self, capacity: 1) { a in
        bind(fd, a, length) == 0 && listen(fd, 64) == 0 && getsockname(fd, a, &length) == 0
      }
    }
    guard bound else {
      let error = errno
      close(fd)
      throw TestError("proxy listen: errno \(error)")
    }
    listener = fd
    port = Int(UInt16(bigEndian: address.sin_port))
    Thread.detachNewThread { [self] in acceptLoop() }
  }

  /// Cuts every client off: open connections are closed, and new ones are closed as
  /// soon as they are accepted (the client sees the server hang up), until `restore`.
  public func cut() {
    state.withLock { s in
      s.cut = true
      for fd in s.open { shutdown(fd, Int32(SHUT_RDWR)) }
    }
  }

  /// Lets new connections through again.
  public func restore() { state.withLock { $0.cut = false } }

  /// Closes everything; the port is refused from then on.
  public func stop() {
    state.withLock { s in
      guard !s.stopped else { return }
      s.stopped = true
      shutdown(listener, Int32(SHUT_RDWR))
      for fd in s.open { shutdown(fd, Int32(SHUT_RDWR)) }
    }
  }

  private func acceptLoop() {
    defer { close(listener) }
    while true {
      let client = accept(listener, nil, nil)
      if state.withLock({ $0.stopped }) {
        if client >= 0 { close(client) }
        return
      }
      if client < 0 {
        if errno == EINTR || errno == ECONNABORTED { continue }
        return
      }
      if state.withLock({ $0.cut }) {
        close(client)
        continue
      }
      guard let server = connectUpstream() else {
        close(client)
        continue
      }
      let admitted = state.withLock { s -> Bool in
        guard !s.cut, !s.stopped else { return false }
        s.open.insert(client)
        s.open.insert(server)
        return true
      }
      guard admitted else {
        close(client)
        close(server)
        continue
      }
      // The second pump to end closes both sockets.
      let ended = Locked(0)
      for (from, to) in [(client, server), (server, client)] {
        Thread.detachNewThread { [self] in
          pump(from: from, to: to)
          // Wakes the other pump.
          shutdown(from, Int32(SHUT_RDWR))
          shutdown(to, Int32(SHUT_RDWR))
          let last = ended.withLock { n -> Bool in
            n += 1
            return n == 2
          }
          if last {
            state.withLock { s in
              s.open.remove(client)
              s.open.remove(server)
              close(client)
              close(server)
            }
          }
        }
      }
    }
  }

  private func connectUpstream() -> Int32? {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    guard fd >= 0 else { return nil }
    var address = loopbackAddress(port: upstream)
    let rc = withUnsafePointer(to: &address) {
      $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
    }
    guard rc == 0 else {
      close(fd)
      return nil
    }
    return fd
  }

  /// Copies bytes from `from` to `to` until either side ends.
  private func pump(from: Int32, to: Int32) {
    var buffer = [UInt8](repeating: 0, count: 65536)
    while true {
      let n = buffer.withUnsafeMutableBytes { recv(from, $0.baseAddress, $0.count, 0) }
      if n < 0 && errno == EINTR { continue }
      guard n > 0 else { return }
      var done = 0
      while done < n {
        let w = buffer.withUnsafeBytes { send(to, $0.baseAddress! + done, n - done, Int32(MSG_NOSIGNAL)) }
        if w < 0 && errno == EINTR { continue }
        guard w > 0 else { return }
        done += w
      }
    }
  }
}
