// Handshakes completed and failed, by kind of failure: what a listener's sessions
// record (each session once, whoever decides its outcome first) and what chatd's
// /metrics reads. Nothing else is kept: no peer, no certificate.
import Synchronization

/// Counts of one listener's handshakes. Shared by its sessions; read anywhere.
public final class TLSCounters: Sendable {
  private let completed = Atomic<Int>(0)
  /// Indexed by `TLSFailure.allCases`' order. Failures are rare next to data: a lock
  /// is cheap enough here.
  private let failures = Mutex<[Int]>([Int](repeating: 0, count: TLSFailure.allCases.count))

  public init() {}

  /// Handshakes that completed.
  public var handshakes: Int { completed.load(ordering: .relaxed) }

  /// Handshakes that failed, by kind (every kind listed, zeros included).
  public var failuresByKind: [(TLSFailure, Int)] {
    let counts = failures.withLock { $0 }
    return zip(TLSFailure.allCases, counts).map { ($0, $1) }
  }

  /// Failed handshakes of one kind.
  public func failures(_ kind: TLSFailure) -> Int {
    let index = TLSFailure.allCases.firstIndex(of: kind)!
    return failures.withLock { $0[index] }
  }

  func recordHandshake() { completed.add(1, ordering: .relaxed) }

  func recordFailure(_ kind: TLSFailure) {
    let index = TLSFailure.allCases.firstIndex(of: kind)!
    failures.withLock { $0[index] += 1 }
  }
}
