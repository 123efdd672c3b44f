// Durations as the numbers the POSIX calls here take (poll's milliseconds, seconds for
// messages). Pure functions; no state.

extension Duration {
  /// Whole milliseconds, at most `Int.max`.
  var clampedMilliseconds: Int {
    let (seconds, attoseconds) = components
    guard seconds < Int64(Int.max / 1000) else { return Int.max }
    return Int(max(seconds, 0)) * 1000 + Int(attoseconds / 1_000_000_000_000_000)
  }

  /// As a `Double` of seconds.
  var inSeconds: Double {
    let (s, a) = components
    return Double(s) + Double(a) / 1e18
  }
}
