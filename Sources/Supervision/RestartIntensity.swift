// The restart budget: a sliding window of restart times. Appending and expiring are
// amortised O(1), so a supervisor that has restarted 10,000 times restarts as fast as
// one that restarted once (supervisor.erl keeps a list it walks on every restart).

import Actors

/// Counts restarts within a sliding period. Times are `MonotonicClock` nanoseconds.
public struct RestartIntensity: Sendable {
  public let intensity: Int
  public let period: Duration
  private var times: [UInt64] = []
  private var head = 0
  /// Restarts since the supervisor started.
  public private(set) var total: Int = 0

  public init(intensity: Int, period: Duration) {
    self.intensity = intensity
    self.period = period
  }

  /// Restarts within the period ending `now`.
  public mutating func recent(now: UInt64) -> Int {
    expire(now: now)
    return times.count - head
  }

  /// Records a restart at `now`. False if it takes the count past `intensity`: the
  /// supervisor must give up.
  public mutating func record(now: UInt64) -> Bool {
    expire(now: now)
    times.append(now)
    total += 1
    return times.count - head <= intensity
  }

  /// Restarts still allowed within the current period.
  public mutating func remaining(now: UInt64) -> Int { max(0, intensity - recent(now: now)) }

  private mutating func expire(now: UInt64) {
    let window = period.clampedNanoseconds
    while head < times.count && now &- times[head] >= window { head += 1 }
    if head > 64 && head * 2 > times.count {
      times.removeFirst(head)
      head = 0
    }
  }
}
