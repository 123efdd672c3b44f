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

/// Exponential backoff between restarts (Akka's `restartWithBackoff`, pm2's
/// `exp_backoff_restart_delay`; OTP restarts at once). The delay before the n-th
/// consecutive restart of a child is `min(maximum, initial × multiplier^(n−1))`, spread by
/// ± `jitter` (a fraction). A child that has run for `resetAfter` starts again from
/// `initial`. Each restart still counts against the restart intensity. The wait is a
/// timer of the supervisor's: it goes on with its other children meanwhile.
public struct Backoff: Sendable, Equatable {
  public var initial: Duration
  public var maximum: Duration
  public var jitter: Double
  public var resetAfter: Duration
  /// Growth per consecutive restart (2 by default; pm2's is 1.5).
  public var multiplier: Double

  public init(
    initial: Duration = .milliseconds(100), maximum: Duration = .seconds(10), jitter: Double = 0.2, resetAfter: Duration? = nil,
    multiplier: Double = 2
  ) {
    self.initial = initial
    self.maximum = maximum
    self.jitter = min(1, max(0, jitter))
    self.resetAfter = resetAfter ?? maximum
    self.multiplier = max(1, multiplier)
  }

  /// pm2's: 100 ms, × 1.5 per consecutive crash, at most 15 s, no jitter; back to 100 ms
  /// after a run of `resetAfter` (an OS process's minimum uptime).
  public static func pm2(resetAfter: Duration) -> Backoff {
    Backoff(initial: .milliseconds(100), maximum: .seconds(15), jitter: 0, resetAfter: resetAfter, multiplier: 1.5)
  }

  /// No delay: restart at once (OTP's way), overriding a supervisor's or a default backoff.
  public static let none = Backoff(initial: .zero, maximum: .zero, jitter: 0)

  /// The delay before the `attempt`-th consecutive restart (1-based), with `random` in [0, 1).
  public func delay(attempt: Int, random: Double) -> Duration {
    let base = Double(initial.components.seconds) + Double(initial.components.attoseconds) / 1e18
    let cap = Double(maximum.components.seconds) + Double(maximum.components.attoseconds) / 1e18
    let raw = min(cap, base * power(max(0, attempt - 1)))
    let spread = raw * (1 + jitter * (2 * random - 1))
    return .nanoseconds(Int64(max(0, spread) * 1e9))
  }

  /// multiplier^n, without overflowing to infinity × 0.
  private func power(_ n: Int) -> Double {
    var result = 1.0
    for _ in 0..<min(n, 2048) {
      result *= multiplier
      if result > 1e12 { return 1e12 }
    }
    return result
  }
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
