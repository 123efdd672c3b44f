// Managed mode: chatbench starts each server itself on a free loopback port, with a bench
// config written into a fresh temporary directory, waits until it accepts connections,
// and stops it after the run (SIGTERM, then SIGKILL after 5 s). Each ManagedServer is
// owned by whoever started it (the runner, through a ManagedTarget; chaos; --serve);
// networks of them are put together by NetworkLauncher.
import Actors
import Foundation
import Glibc

/// Why a managed server is not run.
struct LaunchError: Error, CustomStringConvertible {
  let description: String
  init(_ description: String) { self.description = description }
}

/// How to start one server: the program, its arguments, and files to write first.
struct LaunchPlan: Equatable {
  var executable: String
  var arguments: [String]
  var files: [String: String] = [:]
  /// Set in the server's environment, over what chatbench's own has.
  var environment: [String: String] = [:]
  /// Where it runs; nil: where chatbench runs.
  var workingDirectory: String?
}

/// A server (or a process a network needs, such as its Redis) started by chatbench.
final class ManagedServer {
  /// "chatd", or "chatd-net/a" for one server of a network.
  let name: String
  let pid: Int32
  let port: Int
  /// chatd's web (WebSocket) port; nil for servers without one.
  let webPort: Int?
  /// Its IRC over TLS port; nil when it was started without one.
  let tlsPort: Int?
  let directory: String
  var logPath: String { directory + "/server.log" }
  private var stopped = false

  init(name: String, pid: Int32, port: Int, webPort: Int? = nil, tlsPort: Int? = nil, directory: String) {
    self.name = name
    self.pid = pid
    self.port = port
    self.webPort = webPort
    self.tlsPort = tlsPort
    self.directory = directory
  }

  deinit { stop() }

  /// Whether it still runs (reaps it if it ended).
  var isRunning: Bool {
    if stopped { return false }
    var status: Int32 = 0
    let r = waitpid(pid, &status, WNOHANG)
    if r == pid {
      stopped = true
      Watchdog.release(pid)
      return false
    }
    return r == 0
  }

  /// SIGTERM, up to 5 s, then SIGKILL; reaps it and removes its directory (also when
  /// it had ended by itself).
  func stop() {
    defer { try? FileManager.default.removeItem(atPath: directory) }
    guard !stopped else { return }
    stopped = true
    kill(pid, SIGTERM)
    var status: Int32 = 0
    var ended = false
    for _ in 0..<50 {
      if waitpid(pid, &status, WNOHANG) == pid {
        ended = true
        break
      }
      usleep(100_000)
    }
    if !ended {
      kill(pid, SIGKILL)
      waitpid(pid, &status, 0)
    }
    Watchdog.release(pid)
  }

  /// The last lines of its log (for error messages).
  func logTail(_ lines: Int = 10) -> String {
    guard let text = try? String(contentsOfFile: logPath, encoding: .utf8) else { return "" }
    return text.split(separator: "\n").suffix(lines).joined(separator: "\n")
  }
}

enum ServerLauncher {
  /// The chatd executable: `--chatd PATH`, else `chatd` in the directory of chatbench
  /// (the build directory both are built into).
  static func chatdExecutable(override: String?) -> String {
    if let override { return override }
    return besideChatbench("chatd")
  }

  /// The path of `name` in the directory of chatbench's own executable.
  static func besideChatbench(_ name: String) -> String {
    let me = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
    return URL(fileURLWithPath: me).deletingLastPathComponent().appendingPathComponent(name).path
  }

  /// The command line of chatd: `chatd --host 127.0.0.1 --port N --data-dir DIR/data
  /// --web-port W --metrics-listen off --no-flood-limit` — the web (WebSocket) listener on the free loopback
  /// port `webPort` (chatd's web host is 127.0.0.1), or none with 0 (its default port 8080 could be taken), no metrics
  /// listener (its default port 9667 could be taken too), and no flood
  /// throttle, as the peers' bench configs. Nil when no chatd is built at `executable`
  /// (the caller skips it, with a message).
  /// `extra` arguments (`--chatd-args`) come last.
  /// With `tls`, IRC over TLS too: `--tls 127.0.0.1:TLSPORT --tls-cert C --tls-key K`.
  static func chatdPlan(
    executable: String, port: Int, webPort: Int = 0, tls: (port: Int, certificate: BenchCertificate)? = nil, directory: String,
    extra: [String] = []
  ) -> LaunchPlan? {
    guard FileManager.default.isExecutableFile(atPath: executable) else { return nil }
    let secure =
      tls.map {
        ["--tls", "127.0.0.1:\($0.port)", "--tls-cert", $0.certificate.certificateFile, "--tls-key", $0.certificate.keyFile]
      } ?? []
    return LaunchPlan(
      executable: executable,
      arguments: [
        "--host", "127.0.0.1", "--port", String(port), "--data-dir", directory + "/data",
        "--web-port", String(webPort), "--metrics-listen", "off", "--no-flood-limit",
      ] + secure + extra)
  }

  /// How to start `kind` (a single server) on `port` with its files in `directory`;
  /// throws when the server is not installed (or not built).
  static func plan(
    _ kind: ManagedKind, port: Int, webPort: Int = 0, tls: (port: Int, certificate: BenchCertificate)? = nil, directory: String,
    chatdPath: String?, chatdArguments: [String] = []
  )
    throws(LaunchError) -> LaunchPlan
  {
    switch kind {
    case .chatd:
      let exe = chatdExecutable(override: chatdPath)
      guard let plan = chatdPlan(executable: exe, port: port, webPort: webPort, tls: tls, directory: directory, extra: chatdArguments)
      else {
        throw LaunchError("chatd is not built (no executable at \(exe)); build it with `swift build -c release --product chatd`")
      }
      return plan
    case .ngircd: return try ngircdPlan(port: port, directory: directory, tls: tls.map { ($0.port, $0.certificate) })
    case .inspircd: return try inspircdPlan(port: port, directory: directory, tls: tls.map { ($0.port, $0.certificate) })
    case .floor:
      let exe = besideChatbench("chatbench-floor")
      guard FileManager.default.isExecutableFile(atPath: exe) else {
        throw LaunchError(
          "chatbench-floor is not built (no executable at \(exe)); build it with `swift build -c release --product chatbench-floor`")
      }
      if tls != nil { throw LaunchError("floor speaks plain IRC only") }
      return LaunchPlan(executable: exe, arguments: ["--host", "127.0.0.1", "--port", String(port)])
    case .chatdNet, .ngircdNet, .inspircdNet:
      throw LaunchError("\(kind.rawValue) is a network of \(kind.servers) servers, not one server")
    }
  }

  /// ngIRCd with the bench config, alone or as one side of a linked pair.
  static func ngircdPlan(
    port: Int, directory: String, link: NgircdLink? = nil, tls: (port: Int, certificate: BenchCertificate)? = nil
  ) throws(LaunchError) -> LaunchPlan {
    guard let exe = installed("ngircd") else { throw LaunchError("ngircd is not installed (apt-get install -y ngircd)") }
    let config = directory + "/ngircd.conf"
    let secure = tls.map { ServerTLS(port: $0.port, certificateFile: $0.certificate.certificateFile, keyFile: $0.certificate.keyFile) }
    return LaunchPlan(
      executable: exe, arguments: ["--nodaemon", "--config", config],
      files: [config: ServerConfigs.ngircd(port: port, runDirectory: directory, link: link, tls: secure)])
  }

  /// InspIRCd with the bench config, alone or as one side of a linked pair.
  static func inspircdPlan(
    port: Int, directory: String, link: InspircdLink? = nil, tls: (port: Int, certificate: BenchCertificate)? = nil
  ) throws(LaunchError) -> LaunchPlan {
    guard let exe = installed("inspircd") else { throw LaunchError("inspircd is not installed (apt-get install -y inspircd)") }
    let config = directory + "/inspircd.conf"
    // InspIRCd refuses to run as root unless told it may.
    let root = geteuid() == 0 ? ["--runasroot"] : []
    let secure = tls.map { ServerTLS(port: $0.port, certificateFile: $0.certificate.certificateFile, keyFile: $0.certificate.keyFile) }
    if secure != nil, !FileManager.default.fileExists(atPath: inspircdGnuTLSModule) {
      throw LaunchError("inspircd has no TLS module here (\(inspircdGnuTLSModule) is missing)")
    }
    // Run in its directory: with m_ssl_gnutls, Debian's InspIRCd 3.15 crashes in
    // InspIRCd::Exit when stopped (after the run: the figures stand), and raises its own
    // core limit; its core file then goes with its directory.
    return LaunchPlan(
      executable: exe, arguments: ["--nofork"] + root + ["--config", config],
      files: [config: ServerConfigs.inspircd(port: port, runDirectory: directory, link: link, tls: secure)],
      workingDirectory: directory)
  }

  /// Debian's InspIRCd 3 ships its TLS module built on GnuTLS (m_ssl_openssl is not
  /// packaged).
  static let inspircdGnuTLSModule = "/usr/lib/inspircd/modules/m_ssl_gnutls.so"

  /// Whether `kind` could be started here (and if not, why). A network needs its server
  /// (and chatd-net a `redis-server`); whether chatd knows `--cluster` shows only when it
  /// starts.
  static func availability(_ kind: ManagedKind, chatdPath: String?) -> String? {
    do {
      _ = try plan(kind.single, port: 1, directory: "/nonexistent", chatdPath: chatdPath)
      if kind == .chatdNet { _ = try NetworkLauncher.redisExecutable() }
      return nil
    } catch {
      return error.description
    }
  }

  /// `/usr/sbin/NAME`, or NAME found on PATH.
  static func installed(_ name: String) -> String? {
    var dirs = ["/usr/sbin", "/usr/local/sbin", "/usr/bin", "/usr/local/bin"]
    dirs += (ProcessInfo.processInfo.environment["PATH"] ?? "").split(separator: ":").map(String.init)
    for d in dirs where FileManager.default.isExecutableFile(atPath: d + "/" + name) { return d + "/" + name }
    return nil
  }

  /// Starts `kind` (a single server) on a free loopback port and waits (30 s at most)
  /// until it accepts. With `web` (chatd only), its web listener gets a free port too, and
  /// is waited for.
  /// With `tls`, an IRC over TLS listener on a free port too, presenting that
  /// certificate, and waited for.
  static func start(
    _ kind: ManagedKind, web: Bool = false, tls: BenchCertificate? = nil, chatdPath: String?, chatdArguments: [String] = [], log: Log
  ) throws(LaunchError)
    -> ManagedServer
  {
    guard !kind.isNetwork else { throw LaunchError("\(kind.rawValue) is a network of \(kind.servers) servers, not one server") }
    if web && kind != .chatd { throw LaunchError("\(kind.rawValue) has no WebSocket listener") }
    guard let ports = freeLoopbackPorts(1 + (web ? 1 : 0) + (tls != nil ? 1 : 0)) else { throw LaunchError("no free loopback port") }
    let port = ports[0]
    let webPort = web ? ports[1] : nil
    let tlsPort = tls != nil ? ports.last : nil
    let directory = try makeDirectory("chatbench-\(kind.rawValue)-\(getpid())-\(port)")
    let plan: LaunchPlan
    do {
      plan = try self.plan(
        kind, port: port, webPort: webPort ?? 0, tls: tls.flatMap { c in tlsPort.map { ($0, c) } }, directory: directory,
        chatdPath: chatdPath, chatdArguments: chatdArguments)
    } catch {
      try? FileManager.default.removeItem(atPath: directory)
      throw error
    }
    return try launch(name: kind.rawValue, plan: plan, port: port, webPort: webPort, tlsPort: tlsPort, directory: directory, log: log)
  }

  /// A fresh directory `name` under the temporary directory.
  static func makeDirectory(_ name: String) throws(LaunchError) -> String {
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent(name).path
    try? FileManager.default.removeItem(atPath: directory)
    do {
      try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    } catch {
      throw LaunchError("cannot create \(directory): \(error)")
    }
    return directory
  }

  /// Writes the files of `plan`, starts it with its output in `directory`/server.log, and
  /// waits (30 s at most) until it accepts on `port` (and `webPort`), then half a second
  /// more to see that it stays up. If it does not, it is stopped, its directory removed,
  /// and the error ends with the last lines it wrote (a usage error, say).
  static func launch(
    name: String, plan: LaunchPlan, port: Int, webPort: Int? = nil, tlsPort: Int? = nil, directory: String, log: Log
  ) throws(LaunchError)
    -> ManagedServer
  {
    do {
      for (path, text) in plan.files { try text.write(toFile: path, atomically: true, encoding: .utf8) }
    } catch {
      try? FileManager.default.removeItem(atPath: directory)
      throw LaunchError("cannot write the \(name) config: \(error)")
    }
    let pid: Int32
    do {
      pid = try spawn(plan, log: directory + "/server.log")
    } catch {
      try? FileManager.default.removeItem(atPath: directory)
      throw error
    }
    Watchdog.adopt(pid, name: name)
    let server = ManagedServer(name: name, pid: pid, port: port, webPort: webPort, tlsPort: tlsPort, directory: directory)
    log.line(
      "\(name): started pid \(pid) on 127.0.0.1:\(port)\(webPort.map { ", web on 127.0.0.1:\($0)" } ?? "")\(tlsPort.map { ", TLS on 127.0.0.1:\($0)" } ?? "") (\((plan.environment.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" } + [plan.executable] + plan.arguments).joined(separator: " ")))"
    )
    func fail(_ what: String) -> LaunchError {
      let tail = server.logTail()
      server.stop()
      try? FileManager.default.removeItem(atPath: directory)
      return LaunchError("\(name) \(what)\(tail.isEmpty ? "" : ":\n" + tail)")
    }
    let t0 = MonotonicClock.microseconds()
    while !accepts(port: port) || !(webPort.map { accepts(port: $0) } ?? true) || !(tlsPort.map { accepts(port: $0) } ?? true) {
      if !server.isRunning { throw fail("exited before it listened on port \(port)") }
      if MonotonicClock.microseconds() - t0 > 30_000_000 { throw fail("did not open port \(port) within 30 s") }
      usleep(100_000)
    }
    usleep(500_000)
    guard server.isRunning else { throw fail("died after opening its port") }
    return server
  }

  /// Runs `plan` to its end (a tool: openssl), its output in `log`; its exit status.
  static func runToEnd(_ plan: LaunchPlan, log: String) throws(LaunchError) -> Int32 {
    let pid = try spawn(plan, log: log)
    var status: Int32 = 0
    while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
    return (status & 0x7F) == 0 ? (status >> 8) & 0xFF : 128 + (status & 0x7F)
  }

  /// posix_spawn with stdin from /dev/null, stdout and stderr to `log`, default signal
  /// handling and an empty signal mask; in the plan's working directory if it has one
  /// (through `env -C`, which then becomes the server: same pid).
  private static func spawn(_ plan: LaunchPlan, log: String) throws(LaunchError) -> Int32 {
    var plan = plan
    if let directory = plan.workingDirectory, let env = installed("env") {
      plan.arguments = ["-C", directory, plan.executable] + plan.arguments
      plan.executable = env
    }
    var actions = posix_spawn_file_actions_t()
    posix_spawn_file_actions_init(&actions)
    defer { posix_spawn_file_actions_destroy(&actions) }
    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
    posix_spawn_file_actions_addopen(&actions, 1, log, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
    posix_spawn_file_actions_adddup2(&actions, 1, 2)
    var attributes = posix_spawnattr_t()
    posix_spawnattr_init(&attributes)
    defer { posix_spawnattr_destroy(&attributes) }
    var defaults = sigset_t()
    sigemptyset(&defaults)
    for s in [SIGPIPE, SIGTERM, SIGINT, SIGHUP, SIGCHLD] { sigaddset(&defaults, s) }
    posix_spawnattr_setsigdefault(&attributes, &defaults)
    var empty = sigset_t()
    sigemptyset(&empty)
    posix_spawnattr_setsigmask(&attributes, &empty)
    posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK))
    let argv: [UnsafeMutablePointer<CChar>?] = ([plan.executable] + plan.arguments).map { strdup($0) } + [nil]
    defer { for p in argv { free(p) } }
    var inherited: [String] = []
    var e = environ
    while let entry = e.pointee {
      let text = String(cString: entry)
      let key = text.split(separator: "=", maxSplits: 1).first.map(String.init) ?? text
      if plan.environment[key] == nil { inherited.append(text) }
      e += 1
    }
    let envp: [UnsafeMutablePointer<CChar>?] =
      (inherited + plan.environment.map { "\($0.key)=\($0.value)" }).map { strdup($0) } + [nil]
    defer { for p in envp { free(p) } }
    var pid: Int32 = 0
    let rc = posix_spawn(&pid, plan.executable, &actions, &attributes, argv, envp)
    guard rc == 0 else { throw LaunchError("cannot start \(plan.executable): \(String(cString: strerror(rc)))") }
    return pid
  }

  /// A port nobody listens on now (bound to 127.0.0.1:0 and released).
  static func freeLoopbackPort() -> Int? { freeLoopbackPorts(1)?.first }

  /// `count` different ports nobody listens on now: all bound to 127.0.0.1:0 at once (so
  /// the kernel cannot hand out one twice), then released.
  static func freeLoopbackPorts(_ count: Int) -> [Int]? {
    var descriptors: [Int32] = []
    defer { for fd in descriptors { close(fd) } }
    var ports: [Int] = []
    for _ in 0..<count {
      let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
      guard fd >= 0 else { return nil }
      descriptors.append(fd)
      var address = sockaddr_in()
      address.sin_family = sa_family_t(AF_INET)
      address.sin_addr.s_addr = UInt32(0x7F00_0001).bigEndian
      address.sin_port = 0
      let bound = withUnsafePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
      }
      guard bound == 0 else { return nil }
      var length = socklen_t(MemoryLayout<sockaddr_in>.size)
      let named = withUnsafeMutablePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
      }
      guard named == 0 else { return nil }
      ports.append(Int(UInt16(bigEndian: address.sin_port)))
    }
    return ports
  }

  /// Whether something accepts TCP connections on 127.0.0.1:`port` (blocking connect).
  static func accepts(port: Int) -> Bool {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
    guard fd >= 0 else { return false }
    defer { close(fd) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_addr.s_addr = UInt32(0x7F00_0001).bigEndian
    address.sin_port = UInt16(port).bigEndian
    let r = withUnsafePointer(to: &address) {
      $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
    }
    return r == 0
  }
}
