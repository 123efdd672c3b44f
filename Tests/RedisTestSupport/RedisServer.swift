// A real redis-server for a test: a child OS process (Foundation `Process`) on a free
// TCP port of 127.0.0.1 or on a Unix socket, with every file it writes (log, cluster
// configuration, socket) in a temporary directory of its own and no persistence. The
// RedisServer owns that process: it alone starts, signals and reaps it (its state sits
// behind a mutex, so a test's teardown may stop it from any thread); deinit kills a
// server still running, and ServerProcesses kills any left at exit.
import Foundation
import Glibc
import OtterTestSupport
import Synchronization
import XCTest

/// A redis-server started and stopped by a test.
///
/// ```swift
/// let server = try RedisServer()
/// try server.start()
/// XCTAssertEqual(try server.redisCLI(["PING"]), "PONG")
/// server.stop()
/// ```
///
/// Use `XCTestCase.startRedisServer` to have it stopped at the test's teardown whatever
/// happens. Every wait is bounded; the methods block the calling thread.
public final class RedisServer: Sendable {
  /// What the server was configured with.
  public let configuration: Configuration
  /// Its temporary directory (log, cluster configuration, Unix socket).
  public let directory: String
  /// The address it listens on (TCP).
  public let host = "127.0.0.1"
  /// The Unix socket it listens on, if configured so (and then `port` is 0).
  public let unixSocketPath: String?
  private let executable: String
  private let state: Mutex<State>

  private struct State {
    var process: Process?
    var port: Int
    /// Whether it has been up once: the port is then the server's for good.
    var started = false
    var paused = false
  }

  /// Why a start failed.
  private struct StartFailure: Error {
    let message: String
    let addressInUse: Bool
  }

  /// A server configured as `configuration`, not started yet. Skips the test (`XCTSkip`)
  /// if redis-server is not installed.
  public init(_ configuration: Configuration = Configuration()) throws {
    executable = try RedisTools.server()
    self.configuration = configuration
    directory = temporaryDirectory("redis")
    unixSocketPath = configuration.unixSocket ? directory + "/redis.sock" : nil
    let port = configuration.unixSocket ? 0 : configuration.port ?? Self.pickPort(configuration)
    state = Mutex(State(port: port))
  }

  deinit {
    state.withLock { s in
      if let process = s.process {
        signal(process, SIGKILL)
        waitForExit(process)
        forgetServerProcess(process.processIdentifier)
        s.process = nil
      }
    }
    removeDirectory(directory)
  }

  /// The TCP port (0 on a Unix socket). Fixed once the server has started.
  public var port: Int { state.withLock { $0.port } }

  /// `redis://127.0.0.1:<port>` or `unix:///path/to/redis.sock` (no credentials).
  public var url: String { url(port: port) }

  /// The OS process id while it runs (stopped by `pause` included); nil otherwise.
  public var pid: pid_t? {
    state.withLock { s in s.process.flatMap { $0.isRunning ? $0.processIdentifier : nil } }
  }

  /// Whether the process is running (a paused one is).
  public var isRunning: Bool { state.withLock { $0.process?.isRunning ?? false } }

  /// Starts the server and waits until it answers PING (authenticated if it has a
  /// password), at most `timeout`. Does nothing if it is running. On a port picked for it
  /// that another process takes first, it picks another (before its first start only:
  /// after that the port stays). Throws with the log's tail if the server exits or does
  /// not answer in time (it is then killed).
  /// - Parameter waitUntilLoaded: false to return as soon as the server answers, while
  ///   it may still be loading its dataset (PING answered with `-LOADING`).
  public func start(timeout: Duration = .seconds(10), waitUntilLoaded: Bool = true) throws {
    try state.withLock { s throws(TestError) in
      if let process = s.process {
        guard !process.isRunning else { return }
        reap(&s, process)  // it exited on its own (SHUTDOWN, a crash)
      }
      var attempts = 0
      while true {
        do throws(StartFailure) {
          try launch(&s, timeout: timeout, waitUntilLoaded: waitUntilLoaded)
          s.started = true
          return
        } catch let failure {
          attempts += 1
          let mayMove = !s.started && !configuration.unixSocket && configuration.port == nil
          guard failure.addressInUse && mayMove && attempts < 8 else { throw TestError(failure.message) }
          s.port = Self.pickPort(configuration)
        }
      }
    }
  }

  /// Kills the server with SIGKILL (a crash: the Unix socket file stays) and waits until
  /// it is reaped. Does nothing if it is not running.
  public func kill() {
    state.withLock { s in
      guard let process = s.process else { return }
      signal(process, SIGKILL)
      reap(&s, process)
    }
  }

  /// Stops the server: SIGTERM (a paused one is resumed first), SIGKILL if it has not
  /// exited within `grace`; always reaped. Does nothing if it is not running. It can be
  /// started again on the same port.
  public func stop(grace: Duration = .seconds(5)) {
    state.withLock { s in
      guard let process = s.process else { return }
      if s.paused { signal(process, SIGCONT) }
      signal(process, SIGTERM)
      if !waitForExit(process, timeout: grace) { signal(process, SIGKILL) }
      reap(&s, process)
    }
  }

  /// Stops the server (SIGKILL: a crash; `graceful`: `stop()`) and starts it again on
  /// the same port or socket with the same configuration, waiting until it answers. It
  /// starts empty (nothing is persisted); a cluster node keeps its identity and slots
  /// (its nodes.conf).
  public func restart(graceful: Bool = false, timeout: Duration = .seconds(10), waitUntilLoaded: Bool = true) throws {
    if graceful { stop() } else { kill() }
    try start(timeout: timeout, waitUntilLoaded: waitUntilLoaded)
  }

  /// Stops the process with SIGSTOP: connections stay open and requests go unanswered
  /// (to provoke timeouts) until `resume`.
  public func pause() {
    state.withLock { s in
      guard let process = s.process, !s.paused else { return }
      signal(process, SIGSTOP)
      s.paused = true
    }
  }

  /// Continues a paused server (SIGCONT).
  public func resume() {
    state.withLock { s in
      guard let process = s.process, s.paused else { return }
      signal(process, SIGCONT)
      s.paused = false
    }
  }

  /// The last `lines` lines of the server's log and of what it wrote to stdout/stderr, for
  /// failure messages.
  public func logTail(lines: Int = 30) -> String { logTail(lines: lines, url: url) }

  /// Runs redis-cli against this server (authenticated as the default user if it has a
  /// password; `-e`, so an error reply fails) and returns its output without the last
  /// line feed: what redis-cli prints when not on a terminal (one line per element of an
  /// array, nil as an empty line). Throws, with redis-cli's output, if it fails or takes
  /// longer than `timeout`.
  public func redisCLI(_ arguments: [String], timeout: Duration = .seconds(10)) throws -> String {
    let cli = try RedisTools.cli()
    var args: [String]
    if let unixSocketPath { args = ["-s", unixSocketPath] } else { args = ["-h", host, "-p", "\(port)"] }
    if let password = configuration.password { args += ["-a", password, "--no-auth-warning"] }
    let result = try runProgram(cli, args + ["-e"] + arguments, timeout: timeout)
    guard result.status == 0 else { throw TestError("redis-cli \(arguments.joined(separator: " ")) against \(url): \(result)") }
    var text = result.stdout
    if text.hasSuffix("\n") { text.removeLast() }
    return text
  }

  /// A new plain connection to the server (its own RESP2 reader, not the Redis target),
  /// authenticated as the default user if the server has a password.
  public func probe(timeout: Duration = .seconds(5)) throws -> RedisProbe {
    try Self.connect(unixSocketPath: unixSocketPath, port: port, password: configuration.password, timeout: timeout)
  }

  // MARK: - Private

  /// `url` for the server on `port` (callers holding the state's lock cannot read `port`).
  private func url(port: Int) -> String {
    if let unixSocketPath { return "unix://\(unixSocketPath)" }
    return "redis://\(host):\(port)"
  }

  /// `logTail`, naming the server `url`.
  private func logTail(lines: Int, url: String) -> String {
    var out = ""
    for (name, file) in [("redis.log", "\(directory)/redis.log"), ("stdout/stderr", "\(directory)/stdout.log")] {
      guard let text = try? String(contentsOfFile: file, encoding: .utf8), !text.isEmpty else { continue }
      let tail = text.split(separator: "\n", omittingEmptySubsequences: false).suffix(lines + 1)
      out += "--- \(name) of redis-server \(url) (last \(lines) lines):\n" + tail.joined(separator: "\n")
      if !out.hasSuffix("\n") { out += "\n" }
    }
    return out.isEmpty ? "(redis-server \(url) wrote nothing)" : out
  }

  /// A port for `configuration`: free, and with its cluster bus port free in cluster mode.
  private static func pickPort(_ configuration: Configuration) -> Int {
    configuration.clusterEnabled ? freeClusterPort() : freePort()
  }

  private static func connect(unixSocketPath: String?, port: Int, password: String?, timeout: Duration) throws(TestError)
    -> RedisProbe
  {
    let probe: RedisProbe
    if let unixSocketPath {
      probe = try RedisProbe(unixSocket: unixSocketPath, timeout: timeout)
    } else {
      probe = try RedisProbe(port: port, timeout: timeout)
    }
    if let password {
      let reply = try probe.call(["AUTH", password])
      guard reply == .simple("OK") else { throw TestError("AUTH failed: \(reply)") }
    }
    return probe
  }

  /// Runs redis-server on `s.port` and waits until it answers PING. On failure the
  /// process has been reaped.
  private func launch(_ s: inout State, timeout: Duration, waitUntilLoaded: Bool = true) throws(StartFailure) {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: executable)
    process.arguments = configuration.arguments(port: s.port, socketPath: unixSocketPath, directory: directory)
    process.currentDirectoryURL = URL(fileURLWithPath: directory)
    process.standardInput = FileHandle.nullDevice
    let outputPath = "\(directory)/stdout.log"
    if !FileManager.default.fileExists(atPath: outputPath) { _ = FileManager.default.createFile(atPath: outputPath, contents: nil) }
    do {
      let output = try FileHandle(forWritingTo: URL(fileURLWithPath: outputPath))
      defer { try? output.close() }
      _ = try output.seekToEnd()
      process.standardOutput = output
      process.standardError = output
      try withNoSignalsBlocked { try process.run() }
    } catch {
      throw StartFailure(message: "could not run \(executable): \(error)", addressInUse: false)
    }
    rememberServerProcess(process.processIdentifier)
    s.process = process
    s.paused = false
    let deadline = ContinuousClock.now + timeout
    var lastError = "no attempt"
    while true {
      if !process.isRunning {
        reap(&s, process)
        let address = url(port: s.port)
        let log = logTail(lines: 30, url: address)
        throw StartFailure(
          message: "redis-server \(address) exited while starting (\(process.terminationReason == .exit ? "status" : "signal") "
            + "\(process.terminationStatus)):\n\(log)",
          addressInUse: log.contains("Address already in use"))
      }
      do {
        let probe = try Self.connect(
          unixSocketPath: unixSocketPath, port: s.port, password: configuration.password, timeout: .seconds(2))
        let reply = try probe.call(["PING"])
        let loading = reply.errorMessage?.hasPrefix("LOADING") ?? false
        if reply == .simple("PONG") || (loading && !waitUntilLoaded) {
          // Ours, not another process's that has the port (ours then exits: address in use).
          let info = try probe.call(["INFO", "server"]).string ?? ""
          if info.contains("process_id:\(process.processIdentifier)\r\n") { return }
          lastError = "another server answers on \(url(port: s.port))"
        } else {
          lastError = "PING: \(reply)"
        }
      } catch {
        lastError = error.description
      }
      if ContinuousClock.now >= deadline {
        signal(process, SIGKILL)
        reap(&s, process)
        throw StartFailure(
          message: "redis-server \(url(port: s.port)) did not answer PING within \(timeout) (\(lastError)):\n"
            + logTail(lines: 30, url: url(port: s.port)), addressInUse: false)
      }
      usleep(5_000)
    }
  }

  /// Sends `signal` to `process` unless it has been reaped (its pid may be another's then).
  private func signal(_ process: Process, _ signal: Int32) {
    if process.isRunning { Glibc.kill(process.processIdentifier, signal) }
  }

  /// Waits for `process` (signalled already, or exited) to be reaped and forgets it.
  private func reap(_ s: inout State, _ process: Process) {
    waitForExit(process)
    forgetServerProcess(process.processIdentifier)
    s.process = nil
    s.paused = false
  }
}
