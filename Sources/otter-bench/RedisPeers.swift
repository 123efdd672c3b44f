// The `redis` benchmark's outside programs: the redis-server both clients talk to (on a
// free loopback port, in a temp dir, no persistence), redis-benchmark (the peer client),
// and redis-cli as a plain subscriber. Each is a ChildProcess owned by the benchmark
// driver, stopped by its pid.
import Foundation

/// A redis-server started for one benchmark run.
final class RedisServerProcess: Sendable {
  let child: ChildProcess
  let port: Int
  let directory: String

  /// Starts `redis-server` (the path given) on a free port of 127.0.0.1 and waits until
  /// it accepts connections. Stopped by `stop()`, which the caller must reach on every
  /// path (a `defer`).
  init(executable: String) throws {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("otter-bench-redis-\(getpid())").path
    try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    let port = try freeLoopbackPort()
    let log = dir + "/redis-server.log"
    child = try ChildProcess(
      executable,
      [
        "--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--daemonize", "no", "--dir", dir,
        "--logfile", log,
      ])
    self.port = port
    directory = dir
    let deadline = Date().addingTimeInterval(10)
    while !canConnect(port: port) {
      if !child.isRunning || Date() > deadline {
        let text = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
        stop()
        throw PeerError.failed("redis-server did not start on port \(port): \(text.suffix(500))")
      }
      usleep(20_000)
    }
  }

  /// Stops the server (SIGTERM, then SIGKILL) and removes its directory.
  func stop() {
    child.stop()
    try? FileManager.default.removeItem(atPath: directory)
  }
}

/// A port nothing listens on now (bound to 0 and released).
func freeLoopbackPort() throws -> Int {
  let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
  guard fd >= 0 else { throw PeerError.failed("socket: errno \(errno)") }
  defer { close(fd) }
  var address = sockaddr_in()
  address.sin_family = sa_family_t(AF_INET)
  address.sin_addr.s_addr = inet_addr("127.0.0.1")
  address.sin_port = 0
  var length = socklen_t(MemoryLayout<sockaddr_in>.size)
  let bound = withUnsafeMutablePointer(to: &address) { p in
    p.withMemoryRebound(to: sockaddr.self, capacity: 1) { a in
      bind(fd, a, length) == 0 && getsockname(fd, a, &length) == 0
    }
  }
  guard bound else { throw PeerError.failed("bind 127.0.0.1:0: errno \(errno)") }
  return Int(UInt16(bigEndian: address.sin_port))
}

/// Whether something accepts TCP connections on 127.0.0.1:`port`.
func canConnect(port: Int) -> Bool {
  let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
  guard fd >= 0 else { return false }
  defer { close(fd) }
  var address = sockaddr_in()
  address.sin_family = sa_family_t(AF_INET)
  address.sin_addr.s_addr = inet_addr("127.0.0.1")
  address.sin_port = UInt16(port).bigEndian
  return withUnsafePointer(to: &address) { p in
    p.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0 }
  }
}

/// What one redis-benchmark run measured.
struct RedisBenchmarkResult: Sendable {
  /// Requests per second, as redis-benchmark reports it.
  var opsPerSecond: Double
  /// Its own CPU time (user + system, from wait4) over the whole run.
  var cpuSeconds: Double
}

enum RedisBenchmarkPeer {
  /// Runs `redis-benchmark -p port -c clients -n requests -P pipeline --csv -q` with
  /// `arguments` (`-t set -d 3`, or a command such as `PUBLISH ch payload`).
  static func run(_ executable: String, port: Int, clients: Int, requests: Int, pipeline: Int, _ arguments: [String]) throws
    -> RedisBenchmarkResult
  {
    let child = try ChildProcess(
      executable,
      ["-h", "127.0.0.1", "-p", String(port), "-c", String(clients), "-n", String(requests), "-P", String(pipeline), "--csv", "-q"]
        + arguments,
      captureOutput: true)
    let (output, exit) = child.waitForOutput(timeout: 300)
    // "test","rps",...  then one line per test: "SET","44762.76",...
    let lines = output.split(separator: "\n").filter { $0.hasPrefix("\"") && !$0.hasPrefix("\"test\"") }
    guard exit.status == 0, lines.count == 1 else {
      throw PeerError.failed("redis-benchmark \(arguments.joined(separator: " ")): status \(exit.status): \(output.suffix(500))")
    }
    let fields = lines[0].split(separator: ",").map { $0.trimmingCharacters(in: CharacterSet(charactersIn: "\" \r")) }
    guard fields.count >= 2, let rps = Double(fields[1]) else { throw PeerError.failed("redis-benchmark printed \(lines[0])") }
    return RedisBenchmarkResult(opsPerSecond: rps, cpuSeconds: exit.cpuSeconds)
  }
}

/// `redis-cli SUBSCRIBE channel > /dev/null`: a plain subscriber, so that the server
/// fans out to one subscriber on the peer's side as on ours.
func startRedisCLISubscriber(_ executable: String, port: Int, channel: String) throws -> ChildProcess {
  try ChildProcess(executable, ["-h", "127.0.0.1", "-p", String(port), "SUBSCRIBE", channel])
}
