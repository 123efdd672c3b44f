import Glibc
import OtterTestSupport
import XCTest

@testable import Actors

/// When the allocator's free memory is given back: after a burst, once the node is quiet,
/// once per burst; and what a trim does to the allocator.
final class MemoryTrimmingTests: XCTestCase {
  let mib: UInt64 = 1 << 20

  func testTrimsOnceWhenQuietAfterABurst() {
    var policy = MemoryTrimPolicy(quietActivity: 100, minimumFreeBytes: mib)
    XCTAssertFalse(policy.sample(activity: 0, freeBytes: 8 * mib), "the first sample only sets the counter")
    XCTAssertFalse(policy.sample(activity: 50_000, freeBytes: 8 * mib), "busy: no trim while clients are served")
    XCTAssertTrue(policy.sample(activity: 50_010, freeBytes: 8 * mib), "a quiet interval after the burst")
    policy.trimmed(freeBytes: 8 * mib)
    XCTAssertFalse(policy.sample(activity: 50_020, freeBytes: 8 * mib), "nothing new to give back")
    XCTAssertFalse(policy.sample(activity: 50_030, freeBytes: 8 * mib))
    XCTAssertFalse(policy.sample(activity: 90_000, freeBytes: 8 * mib), "the next burst")
    XCTAssertTrue(policy.sample(activity: 90_001, freeBytes: 8 * mib), "and the quiet after it")
  }

  /// Reading the allocator's free bytes walks its free lists under its locks: a busy
  /// node is not made to pay for it every interval.
  func testFreeBytesAreReadOnlyAfterAQuietInterval() {
    var policy = MemoryTrimPolicy(quietActivity: 100, minimumFreeBytes: mib)
    var reads = 0
    func free() -> UInt64 {
      reads += 1
      return 8 * mib
    }
    XCTAssertFalse(policy.sample(activity: 0, freeBytes: free()))
    for i in 1...10 { XCTAssertFalse(policy.sample(activity: UInt64(i) * 50_000, freeBytes: free()), "busy") }
    XCTAssertEqual(reads, 0, "no read while the node is busy (nor at the first sample)")
    XCTAssertTrue(policy.sample(activity: 500_010, freeBytes: free()), "a quiet interval after the burst")
    XCTAssertEqual(reads, 1)
  }

  func testTrimsNotWhenLittleIsFree() {
    var policy = MemoryTrimPolicy(quietActivity: 100, minimumFreeBytes: mib)
    _ = policy.sample(activity: 0, freeBytes: 0)
    XCTAssertFalse(policy.sample(activity: 10_000, freeBytes: 100_000))
    XCTAssertFalse(policy.sample(activity: 10_000, freeBytes: 100_000), "quiet, but under a MiB is free")
  }

  func testFreeMemoryGrowingWhileQuietRearms() {
    var policy = MemoryTrimPolicy(quietActivity: 100, minimumFreeBytes: mib)
    _ = policy.sample(activity: 0, freeBytes: 0)
    XCTAssertTrue(policy.sample(activity: 10, freeBytes: 2 * mib))
    policy.trimmed(freeBytes: 2 * mib)
    XCTAssertFalse(policy.sample(activity: 20, freeBytes: 2 * mib + mib / 2))
    XCTAssertTrue(policy.sample(activity: 30, freeBytes: 4 * mib), "a quiet node whose free memory grew by a MiB")
  }

  /// Memory freed in small blocks stays with the allocator (free for reuse) until a trim.
  func testMallocHeapCountsFreedMemoryAndTrims() {
    let before = MallocHeap.freeBytes
    // 32 MiB in 1 KiB blocks, one in 16 kept: the freed runs lie between live blocks.
    let blocks = fragmentHeap(blocks: 32_768)
    XCTAssertGreaterThan(MallocHeap.freeBytes, before + 8 * mib)
    XCTAssertTrue(MallocHeap.trim(), "whole free pages went back to the kernel")
    freeBlocks(blocks)
  }
}
