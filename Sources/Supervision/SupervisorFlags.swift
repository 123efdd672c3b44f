// A supervisor's flags: strategy, restart intensity, backoff and auto shutdown.

/// Which children are restarted when one fails.
public enum Strategy: String, Sendable, Codable {
  /// Only the failed child.
  case oneForOne = "one_for_one"
  /// All children: the others are stopped (right to left), then all are started again.
  case oneForAll = "one_for_all"
  /// The failed child and those started after it.
  case restForOne = "rest_for_one"
}

/// When a supervisor stops by itself because significant children ended.
public enum AutoShutdown: String, Sendable, Codable {
  case never
  /// As soon as any significant child ends (and is not restarted).
  case anySignificant = "any_significant"
  /// Once every significant child has ended.
  case allSignificant = "all_significant"
}

/// Exponential backoff between restarts (Akka's `restartWithBackoff`; OTP restarts at
/// once). The delay before the n-th consecutive restart of a child is
/// `min(maximum, initial × 2^(n−1))`, spread by ± `jitter` (a fraction). A child that has
/// run for `resetAfter` starts again from `initial`. Each restart still counts against
/// the restart intensity.
public struct Backoff: Sendable, Equatable {
  public var initial: Duration
  public var maximum: Duration
  public var jitter: Double
  public var resetAfter: Duration

  public init(initial: Duration = .milliseconds(100), maximum: Duration = .seconds(10), jitter: Double = 0.2, resetAfter: Duration? = nil) {
    self.initial = initial
    self.maximum = maximum
    self.jitter = min(1, max(0, jitter))
    self.resetAfter = resetAfter ?? maximum
  }

  /// The delay before the `attempt`-th consecutive restart (1-based), with `random` in [0, 1).
  public func delay(attempt: Int, random: Double) -> Duration {
    let base = Double(initial.components.seconds) + Double(initial.components.attoseconds) / 1e18
    let cap = Double(maximum.components.seconds) + Double(maximum.components.attoseconds) / 1e18
    let raw = min(cap, base * pow2(max(0, attempt - 1)))
    let spread = raw * (1 + jitter * (2 * random - 1))
    return .nanoseconds(Int64(max(0, spread) * 1e9))
  }

  private func pow2(_ n: Int) -> Double { n >= 62 ? Double.greatestFiniteMagnitude : Double(1 << n) }
}

/// A supervisor's configuration.
public struct SupervisorFlags: Sendable {
  public var strategy: Strategy
  /// More than `intensity` restarts within `period` make the supervisor give up: it
  /// stops all children and exits with `shutdown`.
  public var intensity: Int
  public var period: Duration
  public var autoShutdown: AutoShutdown
  public var backoff: Backoff?

  /// OTP's defaults: one_for_one, 1 restart in 5 seconds.
  public init(
    strategy: Strategy = .oneForOne, intensity: Int = 1, period: Duration = .seconds(5),
    autoShutdown: AutoShutdown = .never, backoff: Backoff? = nil
  ) {
    self.strategy = strategy
    self.intensity = max(0, intensity)
    self.period = period
    self.autoShutdown = autoShutdown
    self.backoff = backoff
  }
}
