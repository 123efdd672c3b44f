// Monotonic time: the one clock of Otter and everything built on it. Every timer,
// timeout, rate and latency in the runtime, the behaviours, chatd, the observer and the
// benchmarks reads CLOCK_MONOTONIC through here.
import COtterSys

/// CLOCK_MONOTONIC: time that only moves forwards, unaffected by changes to the wall
/// clock. Its origin is arbitrary (the machine's boot), so only differences mean
/// anything. Safe to call from any thread; one `clock_gettime` through the vDSO.
public enum MonotonicClock {
  /// Nanoseconds.
  @inlinable public static func nanoseconds() -> UInt64 { otter_monotonic_ns() }

  /// Microseconds.
  @inlinable public static func microseconds() -> UInt64 { otter_monotonic_ns() / 1_000 }

  /// Seconds, with a fraction (for rates and display).
  @inlinable public static func seconds() -> Double { Double(otter_monotonic_ns()) / 1e9 }

  /// Nanoseconds of CLOCK_MONOTONIC_COARSE: cheaper, but up to one kernel tick (4 ms
  /// here) behind `nanoseconds()`. For stamps that tolerate that, such as creation times.
  @inlinable public static func coarseNanoseconds() -> UInt64 { otter_coarse_monotonic_ns() }
}

/// Nanoseconds of CLOCK_MONOTONIC (the runtime's own shorthand for `MonotonicClock`).
@inlinable func monotonicNanos() -> UInt64 { MonotonicClock.nanoseconds() }

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
