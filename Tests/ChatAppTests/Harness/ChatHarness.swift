// Rooms and presence without sockets: real room and presence processes under the same
// supervision as in chatd, driven by clients whose connection is a plain process and
// whose endpoint is in memory. A client "disconnects" by its process being killed, and
// its exit hook does what a connection's does (ChatServices.clientLeft).
import Actors
import GenServer
import OtterTestSupport
import Supervision
import XCTest

@testable import ChatApp

/// One chat server's processes minus the network.
final class ChatHarness: Sendable {
  let node: Node
  let services: ChatServices
  let root: GenServerRef<Supervisor>

  init(_ configure: (inout ChatConfig) -> Void = { _ in }) async throws {
    var config = ChatConfig()
    config.history = false
    config.serverName = "test.server"
    configure(&config)
    node = try Node(schedulers: 2)
    services = ChatServices(config: config, node: node)
    let tree = Supervisor(
      SupervisorFlags(strategy: .oneForOne, intensity: 1000, period: .seconds(5)),
      children: [
        .server(id: "presence", Presence(services: services), name: ChatServices.presenceName),
        RoomSupervision.childSpec(services),
      ])
    root = try await node.start(tree)!
  }

  func shutdown() { node.shutdown() }

  /// What a connection process is here: nothing but a pid with an exit hook.
  enum FakeConnection: Sendable {
    case attach(ClientHandle, ReplyTo<Bool>)
  }

  /// A registered client named `nick`, with `caps`.
  func client(_ nick: String, caps: Caps = [], user: String = "user") async throws -> FakeClient {
    let address = node.spawn(FakeConnection.self, state: ()) { _, message, ctx in
      if case .attach(let client, let reply)? = message.value {
        _ = ctx.onExit { _ in client.services.clientLeft(client) }
        reply.reply(true)
      }
      return .continue
    }
    let endpoint = MemoryEndpoint()
    let handle = ClientHandle(pid: address.pid, host: "127.0.0.1", services: services, endpoint: endpoint)
    _ = try await node.request(address) { FakeConnection.attach(handle, $0) }
    services.clients.add(handle)
    var fake = FakeClient(handle: handle, endpoint: endpoint, state: Connection.State(client: handle, tokens: 0, refilledAt: 0))
    fake.state.setCapabilities(caps)
    fake.state.update {
      $0.user = user
      $0.realname = "Real \(nick)"
      $0.registered = true
    }
    guard case .claimed = try await presence(.claim(nick, handle)) else {
      throw TestError("nick \(nick) is taken")
    }
    return fake
  }

  // MARK: Presence

  var presenceRef: GenServerRef<Presence>? {
    node.whereis(ChatServices.presenceName, as: ServerMessage<Presence>.self).map(GenServerRef.init)
  }

  func presence(_ request: Presence.Request) async throws -> Presence.Reply {
    guard let ref = presenceRef else { throw TestError("presence is not running") }
    return try await node.call(ref, request)
  }

  // MARK: Rooms

  func roomRef(_ name: String) -> GenServerRef<Room>? {
    node.whereis(ChatServices.roomName(Names.fold(name)), as: ServerMessage<Room>.self).map(GenServerRef.init)
  }

  /// Asks the room of `name`, starting it first as a connection would (JOIN creates).
  @discardableResult
  func room(_ name: String, _ request: Room.Request, create: Bool = false) async throws -> Room.Reply {
    if roomRef(name) == nil {
      let rooms = try XCTUnwrap(node.whereis(ChatServices.roomsName, as: ServerMessage<DynamicSupervisor<RoomStart>>.self))
      _ = try await node.startChild(GenServerRef(rooms), RoomStart(name: name, create: create))
    }
    guard let ref = roomRef(name) else { throw TestError("no room \(name)") }
    return try await node.call(ref, request)
  }

  func join(_ client: FakeClient, _ name: String, key: String? = nil) async throws -> Room.Reply {
    try await room(name, .join(client.handle, key: key), create: true)
  }

  /// Ends a client's "connection" as a kill would, and waits until it has gone.
  func kill(_ client: FakeClient) async throws {
    try await killAndWait(client.handle.pid)
  }

  /// Kills a process and waits for it to be gone (no timing: a monitor says so).
  func killAndWait(_ pid: Pid) async throws {
    try await node.run(Never.self) { ctx in
      let ref = ctx.monitor(pid)
      ctx.exit(pid, reason: .kill)
      _ = try await ctx.receive { if case .down(ref, _, _) = $0 { true } else { nil } }
    }
  }

  /// Waits until `pid` is registered under `name` again (a restart), a different pid.
  func restarted(_ name: String, was old: Pid) async throws -> Pid {
    try await eventuallyValue("\(name) to be restarted") {
      if let pid = node.whereis(name), pid != old { return pid }
      return nil
    }
  }
}

/// A client as the harness made it: its handle, its endpoint, and the connection state
/// that alone may change its settings.
struct FakeClient {
  let handle: ClientHandle
  let endpoint: MemoryEndpoint
  var state: Connection.State

  var id: UInt64 { handle.id }
  var nick: String { handle.nick }
  /// Received so far (and forgotten).
  func take() -> [IRCMessage] { endpoint.take() }
}
