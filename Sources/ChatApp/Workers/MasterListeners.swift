// The master's listening sockets: opened once, before any worker, and kept open for as
// long as the master runs. Every worker gets them at its start (systemd's socket
// activation: LISTEN_FDS), so a worker that stops, crashes or is replaced closes only
// its own copy — connections waiting in the listen queue stay there for the others, and
// nothing is refused while workers come and go (one listener per worker with
// SO_REUSEPORT would drop what sat in a closing worker's queue). Owner: the master
// (`ChatMaster`), which closes them when it ends.
import Actors
import COtterSys
import Glibc
import Supervision

/// The IRC listener and, unless the web side is off, the web one.
struct MasterListeners: Sendable {
  let irc: Int32
  let ircPort: Int
  let web: Int32?
  let webPort: Int

  /// Room for bursts of connections while a worker starts or stops.
  static let backlog: Int32 = 4096

  /// Opens the listeners `config` names. Throws the same startup errors as one chatd.
  static func open(_ config: ChatConfig) throws(StartupError) -> MasterListeners {
    // The workers serve what the master hands them: plain IRC and the web side. A TLS
    // session cannot leave its process, and the workers' TLS listeners are not shared yet.
    guard let port = config.port else {
      throw StartupError(.usage, "--workers needs the IRC listener: drop --port off (workers serve plain IRC and the web side)")
    }
    guard config.tlsPort == nil && config.webTLSPort == nil else {
      throw StartupError(.usage, "--workers does not serve TLS yet: run the TLS listeners (--tls, --web-tls) on a chatd without --workers, or put a TLS proxy in front")
    }
    let (irc, ircPort) = try listen(.irc, host: config.host, port: port)
    guard config.webPort != 0 else { return MasterListeners(irc: irc, ircPort: ircPort, web: nil, webPort: 0) }
    do {
      let (web, webPort) = try listen(.web, host: config.webHost, port: config.webPort)
      return MasterListeners(irc: irc, ircPort: ircPort, web: web, webPort: webPort)
    } catch {
      Glibc.close(irc)
      throw error
    }
  }

  private static func listen(_ kind: StartupError.ListenerKind, host: String, port: Int) throws(StartupError) -> (Int32, Int) {
    var bound: Int32 = 0
    let fd = otter_tcp_listen(host, Int32(port), backlog, 1, 0, &bound)
    if fd < 0 {
      let error: SocketError = -fd == EINVAL ? .badAddress(host) : .system("listen \(host):\(port)", errno: -fd)
      throw StartupError.listen(kind, host: host, port: port, error)
    }
    return (fd, Int(bound))
  }

  /// What a worker inherits, named as chatd looks for them.
  var inherited: [InheritedListener] {
    [InheritedListener(fd: irc, name: "irc")] + (web.map { [InheritedListener(fd: $0, name: "web")] } ?? [])
  }

  func close() {
    Glibc.close(irc)
    if let web { Glibc.close(web) }
  }
}
