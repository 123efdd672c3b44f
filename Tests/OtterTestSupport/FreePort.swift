// A TCP port for a server under test to listen on, chosen by the kernel, for when the
// port must be known before the server starts (a proxy's configuration, say).
import Glibc

/// A TCP port free right now on 127.0.0.1 (the kernel picks it; it is closed again at once,
/// so another process could take it before the server does: rare enough for tests).
public func freePort() -> Int {
  let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
  defer { close(fd) }
  var address = loopbackAddress(port: 0)
  var length = socklen_t(MemoryLayout<sockaddr_in>.size)
  _ = withUnsafeMutablePointer(to: &address) { p in
    p.withMemoryRebound(to: sockaddr.self, capacity: 1) { a -> Int32 in
      _ = bind(fd, a, length)
      return getsockname(fd, a, &length)
    }
  }
  return Int(UInt16(bigEndian: address.sin_port))
}
