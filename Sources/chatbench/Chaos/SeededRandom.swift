// The chaos run's random choices (who sends, where, what is killed), from one seed so a
// run can be repeated: SplitMix64, small and good enough for picking.

/// A seeded generator (SplitMix64).
struct SeededRandom: RandomNumberGenerator {
  private var state: UInt64

  init(seed: UInt64) { state = seed }

  mutating func next() -> UInt64 {
    state &+= 0x9E37_79B9_7F4A_7C15
    var z = state
    z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
    z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
    return z ^ (z >> 31)
  }

  /// A number in 0..<n (n > 0).
  mutating func below(_ n: Int) -> Int { Int.random(in: 0..<n, using: &self) }

  mutating func shuffled<T>(_ items: [T]) -> [T] { items.shuffled(using: &self) }
}
