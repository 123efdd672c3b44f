import OtterTestSupport
import XCTest

@testable import Actors

/// Many processes: every message arrives, and everything comes back to baseline.
final class StressTests: XCTestCase {
  enum RingMsg: Sendable {
    case wire(Address<RingMsg>)
    case hop(Int)
    case report
  }

  func testHundredThousandProcessesExchangingMessages() async throws {
    try await withNode { node in
      let baseline = node.processCount
      let n = 100_000
      let rounds = 4
      let (reports, total) = try await node.run(Int.self) { ctx -> (Int, Int) in
        let collector = ctx.address
        // A ring of n processes. Each starts a message that travels `rounds` hops, so
        // each process receives exactly rounds + 1 messages; it then reports its count
        // and exits. A lost message would leave a process waiting and the test hanging
        // until its timeout.
        var procs: [Address<RingMsg>] = []
        procs.reserveCapacity(n)
        for _ in 0..<n {
          procs.append(
            ctx.spawn(RingMsg.self, state: (next: Optional<Address<RingMsg>>.none, seen: 0)) { st, msg, _ in
              switch msg.value {
              case .wire(let next)?: st.next = next
              case .hop(let k)?:
                st.seen += 1
                if k > 0 { st.next!.send(.hop(k - 1)) }
                if st.seen == rounds + 1 {
                  collector.send(st.seen)
                  return .stop(.normal)
                }
              default: break
              }
              return .continue
            })
        }
        for i in 0..<n { procs[i].send(.wire(procs[(i + 1) % n])) }
        for p in procs { p.send(.hop(rounds)) }
        procs = []
        var count = 0
        var total = 0
        while count < n, let seen = try await ctx.next(timeout: .seconds(30)) {
          count += 1
          total += seen
        }
        return (count, total)
      }
      XCTAssertEqual(reports, n)
      XCTAssertEqual(total, n * (rounds + 1))
      try await eventually(timeout: .seconds(20)) { node.processCount == baseline }
    }
  }

  func testMillionProcessesComeAndGoWithoutLeaks() async throws {
    try await withNode { node in
      let batch = 50_000
      func churn(_ batches: Int) async throws {
        try await node.run(Int.self) { ctx in
          for _ in 0..<batches {
            var procs: [Address<Int>] = []
            procs.reserveCapacity(batch)
            for _ in 0..<batch {
              procs.append(ctx.spawn(Int.self, state: ()) { _, _, _ in .stop(.normal) })
            }
            for p in procs { p.send(0) }
            procs = []
            while node.processCount > 1 { try await ctx.sleep(for: .milliseconds(2)) }
          }
        }
      }
      try await churn(2)  // warm the allocator up
      let tableBaseline = node.processCount
      let memBaseline = node.stats().mallocBytes
      try await churn(20)  // 1,000,000 processes
      XCTAssertEqual(node.processCount, tableBaseline)
      XCTAssertEqual(node.stats().processesSpawned, UInt64(22 * batch + 2), "the churn processes and the two drivers")
      let growth = Int64(node.stats().mallocBytes) - Int64(memBaseline)
      XCTAssertLessThan(growth, 16 << 20, "heap grew by \(growth) bytes after 1M processes came and went")
    }
  }
}
