// Free memory that only a trim gives back, for the tests of the memory trimmer.
import Glibc

/// Allocates `blocks` blocks of 1 KiB and frees fifteen in sixteen, so that the freed
/// runs (15 KiB: three whole pages or more) lie between live blocks, where only
/// `malloc_trim` (not the heap's top shrinking) hands them back. Returns the live
/// blocks: pass them to `freeBlocks` when done.
public func fragmentHeap(blocks: Int) -> [UnsafeMutableRawPointer] {
  var all: [UnsafeMutableRawPointer] = []
  all.reserveCapacity(blocks)
  for _ in 0..<blocks {
    let p = malloc(1024)!
    memset(p, 1, 1024)
    all.append(p)
  }
  for i in all.indices where i % 16 != 0 { free(all[i]) }
  return stride(from: 0, to: all.count, by: 16).map { all[$0] }
}

/// Frees what `fragmentHeap` kept.
public func freeBlocks(_ blocks: [UnsafeMutableRawPointer]) {
  for p in blocks { free(p) }
}
