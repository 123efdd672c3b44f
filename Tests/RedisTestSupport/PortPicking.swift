// Free TCP ports for servers under test beyond OtterTestSupport's `freePort`: a port
// whose cluster bus port (port + 10000) is free as well. Stateless; the ports are only
// free when checked, so callers retry when a server cannot bind one.
import Glibc
import OtterTestSupport

/// Whether a listening socket can bind 127.0.0.1:`port` now (with SO_REUSEADDR, as
/// redis-server binds).
func canBind(port: Int) -> Bool {
  guard port > 0 && port < 65536 else { return false }
  let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
  guard fd >= 0 else { return false }
  defer { close(fd) }
  var one: Int32 = 1
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
  var address = sockaddr_in()
  address.sin_family = sa_family_t(AF_INET)
  address.sin_port = in_port_t(UInt16(port).bigEndian)
  address.sin_addr.s_addr = inet_addr("127.0.0.1")
  return withUnsafePointer(to: &address) {
    $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
  } == 0
}

/// A port p free now on 127.0.0.1 with p + 10000 (a Redis Cluster node's bus port) free
/// too.
func freeClusterPort() -> Int {
  for _ in 0..<200 {
    let port = freePort()
    if port + 10000 < 65536 && canBind(port: port + 10000) { return port }
  }
  // The kernel's ephemeral range is unusually high here: look below it.
  for _ in 0..<1000 {
    let port = Int.random(in: 20000..<30000)
    if canBind(port: port) && canBind(port: port + 10000) { return port }
  }
  preconditionFailure("no free pair of ports p, p + 10000 on 127.0.0.1")
}
