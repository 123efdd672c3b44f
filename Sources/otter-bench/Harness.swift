// The benchmark harness: a registry of named benchmarks, a result row type, and the two
// output forms (a table for people, `--json` lines for scripts).
import Foundation
import Synchronization

/// One measured figure.
struct Row: Sendable {
  /// Stable name, e.g. "ring.ns_per_hop".
  var bench: String
  var value: Double
  var unit: String
  /// The same figure measured on a peer in the same run (Erlang, a C server...).
  var peer: Double? = nil
  var peerName: String? = nil
  /// The goal from the issue, for the table ("≤ 150").
  var goal: String? = nil
  /// Whether lower is better (for the ratio's reading).
  var lowerIsBetter = true
  /// Free text shown in the table.
  var note: String? = nil

  /// Otter / peer.
  var ratio: Double? {
    guard let p = peer, p != 0 else { return nil }
    return value / p
  }
}

/// What a benchmark gets from the command line.
struct BenchOptions: Sendable {
  /// Smaller sizes, for a quick look (and for CI smoke runs).
  var quick = false
  /// Run peers (Erlang, C) when installed.
  var peers = true
}

/// A named benchmark.
struct Benchmark: Sendable {
  let name: String
  let summary: String
  let run: @Sendable (BenchOptions) async throws -> [Row]
}

enum Output {
  static func table(_ rows: [Row]) -> String {
    var lines: [[String]] = [["bench", "value", "unit", "peer", "peer value", "otter/peer", "goal", "note"]]
    for r in rows {
      lines.append([
        r.bench, format(r.value), r.unit, r.peerName ?? "", r.peer.map(format) ?? "",
        r.ratio.map { String(format: "%.2f", $0) } ?? "", r.goal ?? "", r.note ?? "",
      ])
    }
    var widths = [Int](repeating: 0, count: lines[0].count)
    for l in lines { for (i, c) in l.enumerated() { widths[i] = max(widths[i], c.count) } }
    var out = ""
    for (n, l) in lines.enumerated() {
      out +=
        l.enumerated().map { i, c in c.padding(toLength: widths[i], withPad: " ", startingAt: 0) }
        .joined(separator: "  ").trimmingCharacters(in: .whitespaces) + "\n"
      if n == 0 { out += widths.map { String(repeating: "-", count: $0) }.joined(separator: "  ") + "\n" }
    }
    return out
  }

  static func json(_ r: Row) -> String {
    var obj: [String: Any] = ["bench": r.bench, "value": r.value, "unit": r.unit]
    if let p = r.peer { obj["peer_value"] = p }
    if let n = r.peerName { obj["peer"] = n }
    if let ratio = r.ratio { obj["ratio"] = ratio }
    if let g = r.goal { obj["goal"] = g }
    if let n = r.note { obj["note"] = n }
    let data = try! JSONSerialization.data(withJSONObject: obj, options: [.sortedKeys])
    return String(decoding: data, as: UTF8.self)
  }

  static func format(_ v: Double) -> String {
    if v == v.rounded() && abs(v) < 1e15 { return String(Int(v)) }
    if abs(v) >= 100 { return String(format: "%.0f", v) }
    if abs(v) >= 1 { return String(format: "%.2f", v) }
    return String(format: "%.4f", v)
  }
}

/// Prints to stderr (progress; stdout carries only results).
func progress(_ s: String) {
  FileHandle.standardError.write(Data((s + "\n").utf8))
}

/// Writes to stdout unbuffered (results appear as they are measured).
func emit(_ s: String) {
  FileHandle.standardOutput.write(Data(s.utf8))
}

/// A value shared between processes and the benchmark driver, behind a mutex.
final class Shared<Value: Sendable>: Sendable {
  private let mutex: Mutex<Value>
  init(_ value: Value) { mutex = Mutex(value) }
  func withLock<R>(_ body: (inout Value) -> R) -> R { mutex.withLock { body(&$0) } }
}
