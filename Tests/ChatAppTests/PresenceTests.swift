// Nicks and MONITOR, without sockets: the real presence server, clients with in-memory
// endpoints (Harness/).
import Actors
import GenServer
import OtterTestSupport
import XCTest

@testable import ChatApp

final class PresenceTests: XCTestCase {
  var chat: ChatHarness!

  override func setUp() async throws { chat = try await ChatHarness() }
  override func tearDown() async throws { chat.shutdown() }

  func testNicksAreUniqueWhateverTheirCase() async throws {
    let alice = try await chat.client("Alice")
    let other = try await chat.client("other")
    guard case .inUse = try await chat.presence(.claim("ALICE", other.handle)) else { return XCTFail("ALICE was given twice") }
    let found = try XCTUnwrap(chat.services.nicks.find("alice"))
    XCTAssertTrue(found === alice.handle)
    XCTAssertEqual(other.nick, "other")
    // The holder may change its own nick's case.
    guard case .claimed(let old) = try await chat.presence(.claim("ALICE", alice.handle)) else { return XCTFail() }
    XCTAssertEqual(old, "Alice")
    XCTAssertEqual(alice.nick, "ALICE")
  }

  func testANickChangeFreesTheOldNickAndWhowasRemembersIt() async throws {
    let a = try await chat.client("first")
    guard case .claimed(old: "first") = try await chat.presence(.claim("second", a.handle)) else { return XCTFail() }
    XCTAssertNil(chat.services.nicks.find("first"), "first is still held")
    XCTAssertEqual(chat.services.whowas.lookup("first", limit: 0).map(\.user), ["user"])
    let b = try await chat.client("first")
    XCTAssertEqual(b.nick, "first")
  }

  func testANickIsFreedWhenItsClientGoes() async throws {
    let gone = try await chat.client("gone")
    try await chat.kill(gone)
    // The exit hook releases the nick (and the monitor would): wait for presence to say so.
    _ = try await eventuallyValue("the nick to be free") {
      chat.services.whowas.lookup("gone", limit: 0).isEmpty ? nil : true
    }
    XCTAssertNil(chat.services.nicks.find("gone"), "gone is still held")
    _ = try await chat.client("gone")
  }

  func testMonitorTellsOfComingAndGoing() async throws {
    var watcher = try await chat.client("watcher")
    watcher.state.update { $0.monitoring = ["target"] }
    guard case .online(let on, let off) = try await chat.presence(.monitor(watcher.handle, ["target"])) else { return XCTFail() }
    XCTAssertTrue(on.isEmpty)
    XCTAssertEqual(off, ["target"])
    let target = try await chat.client("target")
    XCTAssertEqual(watcher.take().map(\.params), [["watcher", "target!user@127.0.0.1"]])
    _ = try await chat.presence(.claim("renamed", target.handle))
    XCTAssertEqual(watcher.take().map(\.command), ["731"])
    _ = try await chat.presence(.claim("target", target.handle))
    XCTAssertEqual(watcher.take().map(\.command), ["730"])
    try await chat.kill(target)
    _ = try await eventuallyValue("731 for target") { watcher.endpoint.commands.contains("731") ? true : nil }
    // Taken off the list: nothing more.
    watcher.state.update { $0.monitoring = [] }
    _ = try await chat.presence(.unmonitor(watcher.handle, ["target"]))
    _ = watcher.take()
    _ = try await chat.client("target")
    XCTAssertEqual(watcher.take(), [])
  }

  func testARestartedPresenceKeepsEveryNickAndEveryWatch() async throws {
    let holder = try await chat.client("holder")
    var watcher = try await chat.client("watcher")
    let other = try await chat.client("other")
    watcher.state.update { $0.monitoring = ["later"] }
    _ = try await chat.presence(.monitor(watcher.handle, ["later"]))
    let old = try XCTUnwrap(chat.presenceRef).pid
    try await chat.killAndWait(old)
    _ = try await chat.restarted(ChatServices.presenceName, was: old)
    // Nicks were rebuilt from the handles, watches from each client's own list.
    guard case .inUse = try await chat.presence(.claim("holder", other.handle)) else { return XCTFail("holder lost its nick") }
    _ = watcher.take()
    _ = try await chat.presence(.claim("later", other.handle))
    XCTAssertEqual(watcher.take().map(\.command), ["730"])
    // And it monitors again: a client that goes now is released.
    try await chat.kill(holder)
    _ = try await eventuallyValue("holder released") { chat.services.whowas.lookup("holder", limit: 0).isEmpty ? nil : true }
  }

  func testAClientThatGoesWhilePresenceIsDownIsNotKeptAfterTheRestart() async throws {
    let gone = try await chat.client("gone")
    let presence = try XCTUnwrap(chat.presenceRef).pid
    // Kill both; whichever order the signals land in, the nick must end free.
    chat.node.exit(presence, reason: .kill)
    try await chat.kill(gone)
    _ = try await chat.restarted(ChatServices.presenceName, was: presence)
    let next = try await chat.client("gone")
    XCTAssertEqual(next.nick, "gone")
  }
}
