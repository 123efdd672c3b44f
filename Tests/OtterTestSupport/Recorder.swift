// What processes saw, collected for the test's assertions: any thread may add, the test
// reads the list in the order things were added.
import Actors
import Synchronization

/// An ordered list that any thread or process may add to.
public final class Recorder<Item: Sendable>: Sendable {
  private let items = Locked<[Item]>([])

  /// An empty list.
  public init() {}

  /// Appends `item`.
  public func add(_ item: Item) { items.withLock { $0.append(item) } }

  /// Everything added so far, in order.
  public var all: [Item] { items.withLock { $0 } }

  /// How many items were added.
  public var count: Int { items.withLock { $0.count } }

  /// Forgets everything added so far.
  public func reset() { items.withLock { $0.removeAll() } }
}

extension Recorder where Item: Equatable {
  /// How many times `item` was added.
  public func count(_ item: Item) -> Int { all.filter { $0 == item }.count }

  /// Waits (see `eventually`) until `item` has been added; false if it is not within
  /// `timeout`.
  public func waitFor(_ item: Item, timeout: Duration = .seconds(5)) async -> Bool {
    (try? await eventually(timeout: timeout) { all.contains(item) }) != nil
  }
}

/// Events as text, in order (what servers and supervisors under test did).
public typealias Journal = Recorder<String>
