// Monotonic time in nanoseconds, the one clock every timer and timeout uses.
import COtterSys

/// Nanoseconds of CLOCK_MONOTONIC.
@inlinable func monotonicNanos() -> UInt64 { otter_monotonic_ns() }

extension Duration {
  /// The duration in whole nanoseconds, clamped to 0 for negative durations (and to
  /// `UInt64.max / 2`, about 146 years, for durations too long to count).
  @inlinable public var clampedNanoseconds: UInt64 {
    let (s, atto) = components
    if s < 0 { return 0 }
    let ns = s.multipliedReportingOverflow(by: 1_000_000_000)
    if ns.overflow { return UInt64.max / 2 }
    return UInt64(ns.partialValue) &+ UInt64(max(0, atto / 1_000_000_000))
  }
}
