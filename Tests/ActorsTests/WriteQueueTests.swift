import Glibc
import XCTest

@testable import Actors

/// A socket's write queue: the first chunk inline, the rest in an array that an emptied
/// queue lends to the next through its scheduler's spares.
final class WriteQueueTests: XCTestCase {
  private func chunk(_ text: String) -> ArraySlice<UInt8> { Array(text.utf8)[...] }

  /// What the queue would write now, as text, through its iovecs.
  private func pending(_ queue: inout WriteQueue, limit: Int = 64) -> [String] {
    queue.withIOVecs(limit: limit) { iov, count in
      (0..<Int(count)).map { i in
        String(decoding: UnsafeRawBufferPointer(start: iov[i].iov_base, count: iov[i].iov_len), as: UTF8.self)
      }
    }
  }

  func testTheFirstChunkIsKeptInlineAndTheRestInOrder() {
    var queue = WriteQueue()
    XCTAssertTrue(queue.isEmpty)
    queue.append(chunk("hello "))
    XCTAssertEqual(queue.count, 1)
    XCTAssertFalse(queue.hasStorage, "one chunk needs no array")
    queue.append([])
    XCTAssertEqual(queue.count, 1, "an empty chunk is not kept")
    queue.append(chunk("big "))
    queue.append(chunk("world"))
    XCTAssertEqual(queue.count, 3)
    XCTAssertTrue(queue.hasStorage)
    XCTAssertEqual(pending(&queue), ["hello ", "big ", "world"])
    XCTAssertEqual(pending(&queue, limit: 2), ["hello ", "big "])
    XCTAssertEqual(MemoryLayout<WriteQueue>.size, 40, "a slice and an array: every socket keeps one")
  }

  func testWritesInPartDropWholeChunksThenTrimTheNext() {
    var spares = WriteQueue.Spares()
    var queue = WriteQueue()
    for text in ["abc", "defg", "hi", "jklmn"] { queue.append(chunk(text), spares: &spares) }
    queue.removeFirst(bytes: 2, spares: &spares)
    XCTAssertEqual(pending(&queue), ["c", "defg", "hi", "jklmn"])
    // The rest of the first chunk, the second and third whole, two bytes of the fourth.
    queue.removeFirst(bytes: 1 + 4 + 2 + 2, spares: &spares)
    XCTAssertEqual(pending(&queue), ["lmn"])
    XCTAssertFalse(queue.hasStorage, "nothing behind the head: the array is given back")
    XCTAssertEqual(spares.count, 1, "to the spares")
    queue.removeFirst(bytes: 3, spares: &spares)
    XCTAssertTrue(queue.isEmpty)
    XCTAssertEqual(pending(&queue), [])
  }

  func testAnEmptiedArrayIsLentToTheNextQueue() {
    var spares = WriteQueue.Spares()
    var first = WriteQueue()
    first.append(chunk("a"), spares: &spares)
    first.append(chunk("b"), spares: &spares)
    first.removeFirst(bytes: 2, spares: &spares)
    XCTAssertTrue(first.isEmpty)
    XCTAssertFalse(first.hasStorage)
    XCTAssertEqual(spares.count, 1)
    var second = WriteQueue()
    second.append(chunk("c"), spares: &spares)
    XCTAssertEqual(spares.count, 1, "one chunk is kept inline")
    second.append(chunk("d"), spares: &spares)
    XCTAssertEqual(spares.count, 0, "the second takes the spare")
    XCTAssertEqual(pending(&second), ["c", "d"])
    second.removeAll()
    XCTAssertTrue(second.isEmpty)
    XCTAssertFalse(second.hasStorage)
  }

  func testSparesAreBounded() {
    var spares = WriteQueue.Spares()
    for _ in 0..<(WriteQueue.Spares.limit + 10) {
      var queue = WriteQueue()
      queue.append(chunk("x"), spares: &spares)
      queue.append(chunk("y"), spares: &spares)
      // Taken from the spares, or new: either way given back when emptied.
      queue.removeFirst(bytes: 2)
    }
    XCTAssertEqual(spares.count, 0, "emptied without spares: nothing kept")
    var queues = (0..<(WriteQueue.Spares.limit + 10)).map { _ in WriteQueue() }
    for i in queues.indices {
      queues[i].append(chunk("x"), spares: &spares)
      queues[i].append(chunk("y"), spares: &spares)
    }
    for i in queues.indices { queues[i].removeFirst(bytes: 2, spares: &spares) }
    XCTAssertEqual(spares.count, WriteQueue.Spares.limit)
  }
}
