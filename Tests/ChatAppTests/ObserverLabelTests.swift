import IRCTestSupport
import OtterTestSupport
import XCTest

@testable import Actors
@testable import ChatApp

/// What the observer calls chatd's processes: a connection by its client's nick,
/// transport and host, kept current through registration and nick changes; the idle
/// sweeper by a registered name, like its siblings.
final class ObserverLabelTests: XCTestCase {
  /// The labels of every connection process.
  func connectionLabels(_ node: Node) -> [String] {
    node.snapshot().filter { $0.messageType == "ServerMessage<Connection>" }.compactMap(\.label).sorted()
  }

  func testAConnectionIsLabelledWithItsNickTransportAndHost() async throws {
    try await withChatServer { server in
      let node = server.application.node
      let client = try IRCTestClient(port: server.ircPort)
      try await eventually("the unregistered connection's label") { self.connectionLabels(node) == ["* (irc) 127.0.0.1"] }
      try client.register("alice")
      try await eventually("the label after registration") { self.connectionLabels(node) == ["alice (irc) 127.0.0.1"] }
      client.send("NICK alicia")
      _ = try client.expect("NICK")
      try await eventually("the label after a nick change") { self.connectionLabels(node) == ["alicia (irc) 127.0.0.1"] }
      let other = try IRCTestClient(port: server.ircPort)
      try other.register("bob")
      try await eventually("both labels") {
        self.connectionLabels(node) == ["alicia (irc) 127.0.0.1", "bob (irc) 127.0.0.1"]
      }
    }
  }

  func testTheSweeperHasARegisteredName() async throws {
    try await withChatServer { server in
      let node = server.application.node
      let sweeper = try XCTUnwrap(node.whereis(ChatServices.sweeperName))
      XCTAssertEqual(node.processSummary(sweeper)?.registeredName, "chatd.sweeper")
      XCTAssertEqual(node.processSummary(sweeper)?.messageType, "ServerMessage<IdleSweeper>")
    }
  }
}
