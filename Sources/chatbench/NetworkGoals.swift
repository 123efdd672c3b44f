// The goals for a chatd network, as the report shows and checks them: 0 lost
// copies, S3 p99 ≤ 100 ms, and server CPU per delivery (all the network's processes) at
// most 1.3× single-node chatd's in the same run and below each linked peer network's.
// Constants and pure functions.
import Foundation

enum NetworkGoals {
  /// The goal of the server CPU per delivery figure of a network, as the table shows it.
  static let cpuPerDelivery = "≤ 1.3× single, < peers"

  /// The latency p99 goal of a network in scenario `s`, if it has one.
  static func latency(_ s: Scenario) -> String? { s == .s3 ? "≤ 100" : nil }

  /// The goal of the ratio network / `peer` for figure `key`: against the single server
  /// the network is made of, or against a linked peer network.
  static func ratio(_ key: String, versusSingle: Bool) -> String? {
    guard key == "server_cpu_us_per_delivery" else { return nil }
    return versusSingle ? "≤ 1.3" : "< 1"
  }

  /// Whether `value` meets `goal` ("0", "≤ X", "< X"); nil for a goal that is not a
  /// plain bound (checked on the ratio rows instead).
  static func meets(_ goal: String, _ value: Double) -> Bool? {
    let g = goal.trimmingCharacters(in: .whitespaces)
    if let bound = Double(g) { return value == bound }
    if g.hasPrefix("≤ "), let bound = Double(g.dropFirst(2)) { return value <= bound }
    if g.hasPrefix("< "), let bound = Double(g.dropFirst(2)) { return value < bound }
    return nil
  }
}
