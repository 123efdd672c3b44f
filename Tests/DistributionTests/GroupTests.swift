// Process groups across two nodes: joins seen everywhere, a group sent to, a member that
// ends leaves, a node that goes drops its members, subscribers told each change.
import Actors
import OtterTestSupport
import XCTest

@testable import Distribution

final class GroupTests: XCTestCase {
  func testGroupsAcrossNodes() async throws {
    try await withTwoNodes { a, da, b, db in
      let ga = try await ProcessGroups<Echo>.start("rooms", da)
      let gb = try await ProcessGroups<Echo>.start("rooms", db)
      let events = Locked<[GroupEvent]>([])
      _ = try await ga.subscribe(a) { e in events.withLock { $0.append(e) } }
      try await da.connect(to: "b", at: db.address)
      let received = Locked<[String]>([])
      func member(_ node: Node, _ tag: String) -> Address<Echo> {
        node.spawn(Echo.self) { ctx in
          while let m = try await ctx.next() {
            if case .text(let t) = m { received.withLock { $0.append("\(tag):\(t)") } }
            if case .text("leave") = m { return }
          }
        }
      }
      let m1 = member(a, "a1")
      let m2 = member(b, "b1")
      try await ga.join("lobby", m1, a)
      try await gb.join("lobby", m2, b)
      try await eventually("both nodes to see both members") { ga.members("lobby").count == 2 && gb.members("lobby").count == 2 }
      XCTAssertEqual(ga.groups, ["lobby"])
      ga.send(.text("hello"), to: "lobby")
      try await eventually("both members to get it") { received.withLock { Set($0) } == ["a1:hello", "b1:hello"] }
      // A member that ends leaves, on every node.
      m2.send(.text("leave"))
      try await eventually("b's member to be gone from a's view") { ga.members("lobby").map(\.pid) == [m1.pid] }
      // A node joining later gets the full view; a node going drops its members.
      let m3 = member(b, "b2")
      try await gb.join("lobby", m3, b)
      try await eventually { ga.members("lobby").count == 2 }
      da.disconnect("b")
      try await eventually("a to drop b's members") { ga.members("lobby").map(\.pid) == [m1.pid] }
      try await eventually("b to drop a's members") { gb.members("lobby").map(\.pid) == [m3.pid] }
      try await da.connect(to: "b", at: db.address)
      try await eventually("the views to merge again on reconnect") { ga.members("lobby").count == 2 && gb.members("lobby").count == 2 }
      let seen = events.withLock { $0 }
      XCTAssertTrue(seen.contains(.joined(group: "lobby", m1.pid)), "\(seen)")
      // b's member as a sees it: a pid of node b with the same number.
      XCTAssertTrue(
        seen.contains { if case .left(_, let p) = $0 { return p.remoteNode == "b" && p.id == m2.pid.id } else { return false } }, "\(seen)")
    }
  }
}
