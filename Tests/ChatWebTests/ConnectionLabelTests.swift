import OtterTestSupport
import XCTest

@testable import Actors
@testable import ChatApp

/// A WebSocket client's connection is labelled with its transport, like an IRC one.
final class ConnectionLabelTests: XCTestCase {
  func testAWebSocketConnectionIsLabelledWebsocket() async throws {
    let server = try await startChat()
    do {
      let node = server.application.node
      let ws = try webClient(port: server.webPort, nick: "carol")
      let irc = try ircClient(port: server.ircPort, nick: "dave")
      try await eventually("both connections labelled") {
        node.snapshot().filter { $0.messageType == "ServerMessage<Connection>" }.compactMap(\.label).sorted() == [
          "carol (websocket) 127.0.0.1", "dave (irc) 127.0.0.1",
        ]
      }
      _ = (ws, irc)
    } catch {
      await stopChat(server)
      throw error
    }
    await stopChat(server)
  }
}
