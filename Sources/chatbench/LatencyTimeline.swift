// Latency by second of sending (`--verbose`): message `seq` was due at seq / rate seconds
// into the send phase, so its copies can be bucketed without any extra timestamps. It
// tells a steady tail from a stall (every copy of a few seconds late) at a glance.

/// One second of sending: how many copies, and their latency (ms).
struct TimelineBucket: Equatable, Sendable {
  var second: Int
  var copies: Int
  var p50: Double
  var max: Double
}

enum LatencyTimeline {
  /// Buckets `received` by the second their message was due to be sent.
  static func buckets(_ received: [[Sample]], rate: Double) -> [TimelineBucket] {
    guard rate > 0 else { return [] }
    var bySecond: [Int: [UInt32]] = [:]
    for samples in received {
      for s in samples { bySecond[Int(Double(s.seq) / rate), default: []].append(s.latencyMicros) }
    }
    return bySecond.keys.sorted().map { second in
      var l = bySecond[second]!
      let summary = LatencySummary.of(&l)
      return TimelineBucket(second: second, copies: summary.count, p50: summary.p50, max: summary.max)
    }
  }

  /// "timeline_ms: 0s p50=3.1 max=9.0 n=2997 | 1s ..." on one line.
  static func line(_ buckets: [TimelineBucket]) -> String {
    "timeline_ms: " + buckets.map { "\($0.second)s p50=\(fmt($0.p50, 1)) max=\(fmt($0.max, 1)) n=\($0.copies)" }.joined(separator: " | ")
  }
}
