// The Erlang side of the `dist` benchmark: two `erl -name ...@127.0.0.1` nodes running
// Benchmarks/erlang/dist_bench.erl, found by each other through dist_bench_epmd (the
// port is in the node's name), so no epmd daemon is started. B serves; A measures and
// prints a RESULT line, then ARMED; the driver then kills B with SIGKILL and reads A's
// DOWN line, whose times are CLOCK_REALTIME (os:system_time) like the kill's here. The
// driver owns both OS processes and stops them by pid on every path.
import Foundation

enum ErlangDistPeer {
  /// One round; nil if Erlang is not installed.
  static func round(_ round: Int, _ sizes: DistSizes) throws -> DistSideResult? {
    guard let erl = Erlang.erl, let dir = try Erlang.compiled() else { return nil }
    let portB = try freeLoopbackPort()
    let portA = try freeLoopbackPort()
    let nodeB = "distb_b\(round)_\(portB)@127.0.0.1"
    let common = [
      "-noshell", "-pa", dir.path, "+S", "1", "-start_epmd", "false", "-epmd_module", "dist_bench_epmd", "-setcookie",
      "otter-bench-dist-\(getpid())",
    ]
    let logB = dir.appendingPathComponent("dist_b\(round).log").path
    let b = try ChildProcess(erl, common + ["-name", nodeB, "-run", "dist_bench", "serve"], outputFile: logB)
    defer { b.stop(grace: 1) }
    let a = try ChildProcess(
      erl,
      common + [
        "-name", "distb_a\(round)_\(portA)@127.0.0.1", "-run", "dist_bench", "main", nodeB, String(sizes.pings), String(sizes.messages),
        String(sizes.calls),
      ], captureOutput: true)
    defer { a.stop(grace: 1) }

    var seen: [String] = []
    func line(_ prefix: String, timeout: Double) throws -> String {
      while let l = a.readLine(timeout: timeout) {
        if l.hasPrefix(prefix) { return l }
        seen.append(l)
      }
      let bLog = (try? String(contentsOfFile: logB, encoding: .utf8)) ?? ""
      throw PeerError.failed("erlang dist node A printed no \(prefix) line: \(seen.suffix(20)); B: \(bLog.suffix(500))")
    }
    let result = fields(try line("RESULT", timeout: 300))
    _ = try line("ARMED", timeout: 10)
    let killedAt = realtimeMicros()
    kill(b.pid, SIGKILL)
    b.waitForExit()
    let downLine = try line("DOWN", timeout: 20)
    let down = fields(downLine)
    guard let ping = Double(result["pingpong_us"] ?? ""), let t1 = Double(result["tput1_per_s"] ?? ""),
      let t4 = Double(result["tput4_per_s"] ?? ""), let call = Double(result["call_us"] ?? ""),
      let nodeDownAt = Double(down["nodedown_at"] ?? ""), let downAt = Double(down["down_at"] ?? "")
    else { throw PeerError.failed("erlang dist node A printed \(result) and \(downLine)") }
    return DistSideResult(
      pingMicros: ping, throughput1: t1, throughput4: t4, callMicros: call, nodeDownMillis: (nodeDownAt - killedAt) / 1000,
      monitorDownMillis: (downAt - killedAt) / 1000, downReason: down["reason"] ?? "?")
  }

  /// The key=value fields of a line.
  private static func fields(_ line: String) -> [String: String] {
    var out: [String: String] = [:]
    for field in line.split(separator: " ") {
      let kv = field.split(separator: "=", maxSplits: 1)
      if kv.count == 2 { out[String(kv[0])] = String(kv[1]) }
    }
    return out
  }

  /// CLOCK_REALTIME in µs: the clock of Erlang's os:system_time, so that a time taken here
  /// and one taken in the Erlang node can be subtracted.
  private static func realtimeMicros() -> Double {
    var ts = timespec()
    clock_gettime(CLOCK_REALTIME, &ts)
    return Double(ts.tv_sec) * 1e6 + Double(ts.tv_nsec) / 1e3
  }
}
