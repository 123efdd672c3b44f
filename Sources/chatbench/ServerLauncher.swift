// Managed mode: chatbench starts each server itself on a free loopback port, with a bench
// config written into a fresh temporary directory, waits until it accepts connections,
// and stops it after the run (SIGTERM, then SIGKILL after 5 s).
import Actors
import Foundation
import Glibc

/// A server chatbench knows how to start.
enum ManagedKind: String, CaseIterable, Sendable {
  case chatd, ngircd, inspircd

  /// Connections in flight during connect + register when none is given (run-peers.sh):
  /// ngIRCd 26 listens with a backlog of 10 and accepts one connection per loop, so more
  /// overflow its accept queue; InspIRCd 3 completes registrations once a second, so it
  /// needs many.
  var defaultInflight: Int { self == .ngircd ? 8 : 500 }
}

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
}

/// A server started by chatbench.
final class ManagedServer {
  let kind: ManagedKind
  let pid: Int32
  let port: Int
  /// chatd's web (WebSocket) port; nil for servers without one.
  let webPort: Int?
  let directory: String
  var name: String { kind.rawValue }
  var logPath: String { directory + "/server.log" }
  private var stopped = false

  init(kind: ManagedKind, pid: Int32, port: Int, webPort: Int? = nil, directory: String) {
    self.kind = kind
    self.pid = pid
    self.port = port
    self.webPort = webPort
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

  /// SIGTERM, up to 5 s, then SIGKILL; reaps it and removes its directory.
  func stop() {
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
    try? FileManager.default.removeItem(atPath: directory)
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
    let me = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
    return URL(fileURLWithPath: me).deletingLastPathComponent().appendingPathComponent("chatd").path
  }

  /// The command line of chatd: `chatd --host 127.0.0.1 --port N --data-dir DIR/data
  /// --web-port W --metrics-listen off --no-flood-limit` — the web (WebSocket) listener on the free loopback
  /// port `webPort` (chatd's web host is 127.0.0.1), or none with 0 (its default port 8080 could be taken), no metrics
  /// listener (its default port 9667 could be taken too), and no flood
  /// throttle, as the peers' bench configs. Nil when no chatd is built at `executable`
  /// (the caller skips it, with a message).
  /// `extra` arguments (`--chatd-args`) come last.
  static func chatdPlan(executable: String, port: Int, webPort: Int = 0, directory: String, extra: [String] = []) -> LaunchPlan? {
    guard FileManager.default.isExecutableFile(atPath: executable) else { return nil }
    return LaunchPlan(
      executable: executable,
      arguments: [
        "--host", "127.0.0.1", "--port", String(port), "--data-dir", directory + "/data",
        "--web-port", String(webPort), "--metrics-listen", "off", "--no-flood-limit",
      ] + extra)
  }

  /// How to start `kind` on `port` with its files in `directory`; throws when the server
  /// is not installed (or not built).
  static func plan(_ kind: ManagedKind, port: Int, webPort: Int = 0, directory: String, chatdPath: String?, chatdArguments: [String] = [])
    throws(LaunchError) -> LaunchPlan
  {
    switch kind {
    case .chatd:
      let exe = chatdExecutable(override: chatdPath)
      guard let plan = chatdPlan(executable: exe, port: port, webPort: webPort, directory: directory, extra: chatdArguments) else {
        throw LaunchError("chatd is not built (no executable at \(exe)); build it with `swift build -c release --product chatd`")
      }
      return plan
    case .ngircd:
      guard let exe = installed("ngircd") else { throw LaunchError("ngircd is not installed (apt-get install -y ngircd)") }
      let config = directory + "/ngircd.conf"
      return LaunchPlan(
        executable: exe, arguments: ["--nodaemon", "--config", config],
        files: [config: ServerConfigs.ngircd(port: port, runDirectory: directory)])
    case .inspircd:
      guard let exe = installed("inspircd") else { throw LaunchError("inspircd is not installed (apt-get install -y inspircd)") }
      let config = directory + "/inspircd.conf"
      // InspIRCd refuses to run as root unless told it may.
      let root = geteuid() == 0 ? ["--runasroot"] : []
      return LaunchPlan(
        executable: exe, arguments: ["--nofork"] + root + ["--config", config],
        files: [config: ServerConfigs.inspircd(port: port, runDirectory: directory)])
    }
  }

  /// Whether `kind` could be started here (and if not, why).
  static func availability(_ kind: ManagedKind, chatdPath: String?) -> String? {
    do {
      _ = try plan(kind, port: 1, directory: "/nonexistent", chatdPath: chatdPath)
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

  /// Starts `kind` on a free loopback port and waits (30 s at most) until it accepts.
  /// With `web` (chatd only), its web listener gets a free port too, and is waited for.
  static func start(_ kind: ManagedKind, web: Bool = false, chatdPath: String?, chatdArguments: [String] = [], log: Log) throws(LaunchError)
    -> ManagedServer
  {
    guard let port = freeLoopbackPort() else { throw LaunchError("no free loopback port") }
    var webPort: Int?
    if web {
      guard kind == .chatd else { throw LaunchError("\(kind.rawValue) has no WebSocket listener") }
      var w = freeLoopbackPort()
      while w == port { w = freeLoopbackPort() }
      guard let w else { throw LaunchError("no free loopback port") }
      webPort = w
    }
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("chatbench-\(kind.rawValue)-\(getpid())-\(port)").path
    try? FileManager.default.removeItem(atPath: directory)
    do {
      try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    } catch {
      throw LaunchError("cannot create \(directory): \(error)")
    }
    let plan: LaunchPlan
    do {
      plan = try self.plan(
        kind, port: port, webPort: webPort ?? 0, directory: directory, chatdPath: chatdPath, chatdArguments: chatdArguments)
      for (path, text) in plan.files { try text.write(toFile: path, atomically: true, encoding: .utf8) }
    } catch let e as LaunchError {
      try? FileManager.default.removeItem(atPath: directory)
      throw e
    } catch {
      try? FileManager.default.removeItem(atPath: directory)
      throw LaunchError("cannot write the \(kind.rawValue) config: \(error)")
    }
    let pid = try spawn(plan, log: directory + "/server.log")
    Watchdog.adopt(pid, name: kind.rawValue)
    let server = ManagedServer(kind: kind, pid: pid, port: port, webPort: webPort, directory: directory)
    log.line(
      "\(kind.rawValue): started pid \(pid) on 127.0.0.1:\(port)\(webPort.map { ", web on 127.0.0.1:\($0)" } ?? "") (\(([plan.executable] + plan.arguments).joined(separator: " ")))"
    )
    let t0 = MonotonicClock.microseconds()
    while !accepts(port: port) || !(webPort.map { accepts(port: $0) } ?? true) {
      if !server.isRunning {
        let tail = server.logTail()
        server.stop()
        throw LaunchError("\(kind.rawValue) exited before it listened on port \(port)\(tail.isEmpty ? "" : ":\n" + tail)")
      }
      if MonotonicClock.microseconds() - t0 > 30_000_000 {
        let tail = server.logTail()
        server.stop()
        throw LaunchError("\(kind.rawValue) did not open port \(port) within 30 s\(tail.isEmpty ? "" : ":\n" + tail)")
      }
      usleep(100_000)
    }
    usleep(500_000)
    guard server.isRunning else {
      let tail = server.logTail()
      server.stop()
      throw LaunchError("\(kind.rawValue) died after opening its port\(tail.isEmpty ? "" : ":\n" + tail)")
    }
    return server
  }

  /// posix_spawn with stdin from /dev/null, stdout and stderr to `log`, default signal
  /// handling and an empty signal mask.
  private static func spawn(_ plan: LaunchPlan, log: String) throws(LaunchError) -> Int32 {
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
    var pid: Int32 = 0
    let rc = posix_spawn(&pid, plan.executable, &actions, &attributes, argv, environ)
    guard rc == 0 else { throw LaunchError("cannot start \(plan.executable): \(String(cString: strerror(rc)))") }
    return pid
  }

  /// A port nobody listens on now (bound to 127.0.0.1:0 and released).
  static func freeLoopbackPort() -> Int? {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
    guard fd >= 0 else { return nil }
    defer { close(fd) }
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
    return Int(UInt16(bigEndian: address.sin_port))
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
