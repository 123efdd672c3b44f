// Delivery accounting, computed as ircload.c does: expected copies per message (room
// members − 1 when it was sent), received copies, lost = expected − received, fully
// delivered messages, and latency percentiles taken at index ⌊n·q⌋ of the sorted samples.
// One refinement, for networks of servers where a copy can travel two paths: a copy a
// member has already received is a duplicate, counted apart and not as a delivery, and
// each message's missing copies are lost even if another message got extra ones — with
// no duplicates and no extras this is ircload's arithmetic exactly.

/// One received copy: its message's sequence number and its latency, packed in 64 bits
/// (the receiving client keeps an array of these; nothing is shared while it runs).
struct Sample: Equatable, Sendable {
  var bits: UInt64

  /// Latencies are in microseconds, capped at UInt32.max (71 minutes) as in ircload.
  init(seq: UInt32, latencyMicros: UInt64) {
    bits = UInt64(seq) << 32 | min(latencyMicros, UInt64(UInt32.max))
  }

  var seq: Int { Int(bits >> 32) }
  var latencyMicros: UInt32 { UInt32(truncatingIfNeeded: bits) }
}

/// Latency figures in milliseconds; -1 for each when there are no samples (as ircload).
struct LatencySummary: Equatable, Sendable {
  var p50: Double
  var p99: Double
  var p999: Double
  var max: Double
  var mean: Double
  var count: Int

  static let empty = LatencySummary(p50: -1, p99: -1, p999: -1, max: -1, mean: -1, count: 0)

  /// Sorts `micros` and reads the percentiles at ircload's indices.
  static func of(_ micros: inout [UInt32]) -> LatencySummary {
    let n = micros.count
    guard n > 0 else { return .empty }
    micros.sort()
    func at(_ q: Double) -> Double {
      let i = Int(Double(n) * q)
      return Double(micros[Swift.min(i, n - 1)]) / 1000
    }
    var sum = 0.0
    for v in micros { sum += Double(v) }
    return LatencySummary(
      p50: at(0.50), p99: at(0.99), p999: at(0.999), max: Double(micros[n - 1]) / 1000,
      mean: sum / Double(n) / 1000, count: n)
  }
}

/// What was sent: the expected number of copies of every message.
struct DeliveryLedger: Sendable {
  /// Sequence numbers run from 0 to below this (ircload's `max_msgs`: rate × duration + 16).
  let maxMessages: Int
  /// Copies expected of each message (room members − 1 at the time it was sent).
  private(set) var expected: [UInt32]
  /// Messages counted as sent (including those skipped because their sender had left).
  private(set) var sent = 0
  private(set) var expectedTotal = 0

  init(rate: Double, duration: Double) {
    maxMessages = Int(rate * duration) + 16
    expected = [UInt32](repeating: 0, count: maxMessages)
  }

  /// The sequence number the next message gets.
  var nextSeq: Int { sent }

  /// Records that message `nextSeq` went to a room where `copies` other members wait.
  mutating func recordSend(copies: Int) {
    if sent < maxMessages { expected[sent] = UInt32(clamping: copies) }
    expectedTotal += copies
    sent += 1
  }

  /// Counts message `nextSeq` as sent without sending it (its sender was not in the room).
  mutating func recordSkip() { sent += 1 }

  /// Adds up what the receivers got: one array of samples per receiving client.
  func tally(_ received: [[Sample]]) -> DeliveryTally {
    var counts = [UInt32](repeating: 0, count: maxMessages)
    // The messages the current receiver has got so far (cleared after each receiver).
    var seen = [Bool](repeating: false, count: maxMessages)
    var duplicates = 0
    var latencies: [UInt32] = []
    latencies.reserveCapacity(received.reduce(0) { $0 + $1.count })
    for samples in received {
      for s in samples {
        if s.seq < maxMessages {
          if seen[s.seq] {
            duplicates += 1
            continue
          }
          seen[s.seq] = true
          counts[s.seq] &+= 1
        }
        latencies.append(s.latencyMicros)
      }
      for s in samples where s.seq < maxMessages { seen[s.seq] = false }
    }
    var fully = 0
    var lost = 0
    var surplus = 0
    var short: [ShortMessage] = []
    for i in 0..<Swift.min(sent, maxMessages) {
      if expected[i] > 0 && counts[i] >= expected[i] { fully += 1 }
      if counts[i] < expected[i] {
        lost += Int(expected[i] - counts[i])
        if short.count < 5 { short.append(ShortMessage(seq: i, expected: Int(expected[i]), received: Int(counts[i]))) }
      } else {
        surplus += Int(counts[i] - expected[i])
      }
    }
    let latency = LatencySummary.of(&latencies)
    return DeliveryTally(
      received: latency.count, expected: expectedTotal, fullyDelivered: fully, latency: latency, short: short, lost: lost,
      duplicates: duplicates, surplus: surplus)
  }
}

/// The outcome of a chat run's deliveries.
struct DeliveryTally: Equatable, Sendable {
  var received: Int
  var expected: Int
  var fullyDelivered: Int
  var latency: LatencySummary
  /// The first few messages with copies missing (to tell what went wrong).
  var short: [ShortMessage] = []
  /// Expected copies that did not arrive, message by message.
  var lost = 0
  /// Copies a member received again (not counted in `received`).
  var duplicates = 0
  /// Copies beyond a message's expected count, from members the driver did not count
  /// (should be none).
  var surplus = 0
}

/// A message some receivers did not get.
struct ShortMessage: Equatable, Sendable {
  var seq: Int
  var expected: Int
  var received: Int
}
