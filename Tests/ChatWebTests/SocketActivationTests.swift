// chatd takes its listeners from its parent (systemd's socket activation, chatd's own
// master): the test process opens the listeners and spawns the built chatd with them
// as descriptors 3 and 4 (posix_spawn file actions), as a supervisor does; clients
// connect to the parent's sockets and are served by the child. A worker that dies
// takes none of the connections queued on a shared listener with it: the next worker
// serves them. A bad hand-down is a usage error that says what is wrong.
import Foundation
import Glibc
import OtterTestSupport
import XCTest

final class SocketActivationTests: XCTestCase {
  /// IRC and web listeners handed down by name (LISTEN_PID set through the shell's `exec`,
  /// as systemd sets it): chatd serves both, listens on neither of its configured
  /// ports (the IRC one is taken: binding it would fail the start), and says where it
  /// serves.
  func testInheritedIRCAndWebListenersServe() throws {
    let irc = try TestListener()
    let web = try TestListener()
    let taken = try TestListener()
    let worker = try SpawnedChatd(
      listeners: [irc.fd, web.fd], names: "irc:web", setPid: true,
      arguments: ["--port", String(taken.port), "--web-port", String(taken.port)])
    defer { worker.kill() }
    try worker.waitServing()
    XCTAssertTrue(worker.output.contains("IRC on 127.0.0.1:\(irc.port)"), worker.output)
    XCTAssertTrue(worker.output.contains("web on http://127.0.0.1:\(web.port)/"), worker.output)

    try register("inherited", port: irc.port)
    let page = try TestConnection(port: web.port)
    try page.send("GET / HTTP/1.1\r\nHost: chat\r\nConnection: close\r\n\r\n")
    XCTAssertTrue(try page.readLine().hasPrefix("HTTP/1.1 200"))
  }

  /// A worker stops accepting (SIGSTOP), clients connect meanwhile — the kernel queues
  /// them on the listener — and the worker is killed: the next worker, handed the same
  /// listener, serves every one of them. (With a listener of its own per worker,
  /// SO_REUSEPORT's way, the queued connections would have been reset with it.)
  func testConnectionsQueuedOnASharedListenerOutliveTheWorker() throws {
    let irc = try TestListener()
    let first = try SpawnedChatd(listeners: [irc.fd], names: "irc", setPid: false, arguments: ["--socket-activation", "require"])
    defer { first.kill() }
    try first.waitServing()
    try register("before", port: irc.port)
    Glibc.kill(first.pid, SIGSTOP)
    // kill(2) returns before every thread has stopped: a connection made meanwhile could
    // still be accepted by the worker, and closed with it. Wait for all of them.
    try waitStopped(first.pid)
    var queued: [TestConnection] = []
    for _ in 0..<3 { queued.append(try TestConnection(port: irc.port)) }
    first.kill()

    let second = try SpawnedChatd(listeners: [irc.fd], names: "irc", setPid: false, arguments: ["--socket-activation", "require"])
    defer { second.kill() }
    try second.waitServing()
    for (i, connection) in queued.enumerated() {
      try connection.send("NICK queued\(i)\r\nUSER q 0 * :Queued\r\n")
      XCTAssertTrue(try connection.expectLine(containing: " 001 ").contains("queued\(i)"))
    }
  }

  /// Waits until every thread of process `pid` is stopped (state T in its task's stat).
  private func waitStopped(_ pid: pid_t) throws {
    let deadline = Date().addingTimeInterval(5)
    while Date() < deadline {
      let tasks = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/task")) ?? []
      let states = tasks.compactMap { task -> Character? in
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/task/\(task)/stat", encoding: .utf8),
          let close = stat.lastIndex(of: ")")
        else { return nil }
        return stat[stat.index(close, offsetBy: 2)...].first
      }
      if !states.isEmpty && states.allSatisfy({ $0 == "T" || $0 == "t" }) { return }
      usleep(2000)
    }
    XCTFail("process \(pid) did not stop within 5 s")
  }

  /// What cannot be used is refused at the start with exit status 2 and one line that
  /// says why: no listeners when they are required, a descriptor that is no listener,
  /// a name chatd does not take.
  func testABadHandDownIsAUsageError() throws {
    let none = try SpawnedChatd(listeners: [], names: nil, setPid: false, arguments: ["--socket-activation", "require"])
    XCTAssertEqual(try none.exitStatus(), 2)
    XCTAssertTrue(
      none.output.contains("chatd: socket activation: --socket-activation require, but no listening sockets were inherited"),
      none.output)

    let file = open("/dev/null", O_RDONLY | O_CLOEXEC)
    defer { close(file) }
    let notAListener = try SpawnedChatd(listeners: [file], names: "irc", setPid: true, arguments: [])
    XCTAssertEqual(try notAListener.exitStatus(), 2)
    XCTAssertTrue(
      notAListener.output.contains(
        "chatd: socket activation: the inherited descriptor 3 (irc) cannot be used: Socket operation on non-socket"),
      notAListener.output)

    let irc = try TestListener()
    let misnamed = try SpawnedChatd(listeners: [irc.fd], names: "ircd", setPid: true, arguments: [])
    XCTAssertEqual(try misnamed.exitStatus(), 2)
    XCTAssertTrue(misnamed.output.contains("descriptor 3 is named \"ircd\"; chatd takes listeners named irc and web"), misnamed.output)
  }

  /// NICK and USER on a new connection to `port`; waits for the welcome.
  private func register(_ nick: String, port: Int) throws {
    let client = try TestConnection(port: port)
    try client.send("NICK \(nick)\r\nUSER \(nick) 0 * :Test\r\n")
    XCTAssertTrue(try client.expectLine(containing: " 001 ").contains(nick))
  }
}

/// A TCP listener on a free port of 127.0.0.1, open until the test ends: what a
/// supervisor opens once and hands to each worker it spawns.
private final class TestListener {
  let fd: Int32
  let port: Int

  init() throws {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
    self.fd = fd
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    let ok = withUnsafeMutablePointer(to: &address) { p in
      p.withMemoryRebound(to: sockaddr.self, capacity: 1) {
        bind(fd, $0, length) == 0 && listen(fd, 64) == 0 && getsockname(fd, $0, &length) == 0
      }
    }
    guard ok else { throw TestError("cannot listen: errno \(errno)") }
    port = Int(UInt16(bigEndian: address.sin_port))
  }

  deinit { close(fd) }
}

/// The built chatd, spawned as a supervisor spawns a worker: with posix_spawn, the given
/// listeners as descriptors 3, 4, ... (file actions), LISTEN_FDS and LISTEN_FDNAMES in
/// its environment and, with `setPid`, LISTEN_PID (through `sh -c 'LISTEN_PID=$$ exec
/// chatd'`, the child's own pid). Its output goes to a file; the test kills it by pid.
private final class SpawnedChatd {
  let pid: pid_t
  private let directory: String
  private var status: Int32?

  init(listeners: [Int32], names: String?, setPid: Bool, arguments: [String]) throws {
    let chatd = try builtExecutable("chatd")
    directory = temporaryDirectory("activation")
    let log = directory + "/chatd.log"
    let base = ["--data-dir", directory + "/data", "--metrics-listen", "off", "--no-history", "--port", "0", "--web-port", "0"]
    let argv: [String] =
      setPid
      ? ["/bin/sh", "-c", "LISTEN_PID=$$ exec \"$0\" \"$@\"", chatd] + base + arguments
      : [chatd] + base + arguments
    var environment = ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("LISTEN_") && $0.key != "NOTIFY_SOCKET" }
    if !listeners.isEmpty { environment["LISTEN_FDS"] = String(listeners.count) }
    if let names { environment["LISTEN_FDNAMES"] = names }

    var actions = posix_spawn_file_actions_t()
    posix_spawn_file_actions_init(&actions)
    defer { posix_spawn_file_actions_destroy(&actions) }
    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
    posix_spawn_file_actions_addopen(&actions, 1, log, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
    posix_spawn_file_actions_adddup2(&actions, 1, 2)
    // dup2 clears close-on-exec on the copy: the child keeps exactly these.
    for (i, fd) in listeners.enumerated() { posix_spawn_file_actions_adddup2(&actions, fd, 3 + Int32(i)) }
    var attributes = posix_spawnattr_t()
    posix_spawnattr_init(&attributes)
    defer { posix_spawnattr_destroy(&attributes) }
    var empty = sigset_t()
    sigemptyset(&empty)
    posix_spawnattr_setsigmask(&attributes, &empty)
    posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK))

    let cArguments = argv.map { strdup($0) } + [nil]
    let cEnvironment = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
    defer { (cArguments + cEnvironment).forEach { free($0) } }
    var child: pid_t = 0
    let rc = posix_spawn(&child, argv[0], &actions, &attributes, cArguments, cEnvironment)
    guard rc == 0 else { throw TestError("posix_spawn: \(String(cString: strerror(rc)))") }
    pid = child
  }

  deinit {
    kill()
    removeDirectory(directory)
  }

  var output: String { (try? String(contentsOfFile: directory + "/chatd.log", encoding: .utf8)) ?? "" }

  /// Waits (at most 30 s) until chatd says where it serves.
  func waitServing() throws {
    let deadline = Date().addingTimeInterval(30)
    while !output.contains("control socket") {
      if reap() != nil || Date() > deadline { throw TestError("chatd did not start: \(output)") }
      usleep(10_000)
    }
  }

  /// Waits (at most 30 s) for chatd to exit; its status.
  func exitStatus() throws -> Int32 {
    let deadline = Date().addingTimeInterval(30)
    while Date() < deadline {
      if let status = reap() { return status }
      usleep(10_000)
    }
    throw TestError("chatd still running: \(output)")
  }

  /// `kill -9` and reap, if it still runs.
  func kill() {
    guard reap() == nil else { return }
    Glibc.kill(pid, SIGKILL)
    var raw: Int32 = 0
    waitpid(pid, &raw, 0)
    status = -1
  }

  /// The exit status if it has exited (reaped once).
  private func reap() -> Int32? {
    if let status { return status }
    var raw: Int32 = 0
    guard waitpid(pid, &raw, WNOHANG) == pid else { return nil }
    status = (raw & 0x7f) == 0 ? (raw >> 8) & 0xff : -1
    return status
  }
}
