// The rooms' part of chatd's tree:
//
//   rooms (rest_for_one)
//   ├── room-supervisor   DynamicSupervisor: one Room per channel (transient)
//   └── room-restorer     starts a room for every channel in the table
//
// A crash-looping room makes the room supervisor give up, taking every room with it.
// The channels are not lost — their records live in the channel table — and the
// restorer, restarted after the room supervisor (rest_for_one), brings a room back for
// each, so members are never left in a channel that answers "No such channel".
import Actors
import GenServer
import Supervision

/// How a room is started: a JOIN may create the channel; anything else only brings back
/// a channel that has a record.
struct RoomStart: Sendable {
  var name: String
  var create: Bool
}

enum RoomSupervision {
  /// The `rooms` child of chatd's root supervisor.
  static func childSpec(_ services: ChatServices) -> ChildSpec {
    let rooms = DynamicSupervisor<RoomStart>(
      intensity: 100, period: .seconds(5),
      template: DynamicChildSpec(restart: .transient) { ctx, start in
        do {
          let room = Room(services: services, name: start.name, create: start.create)
          return try await ctx.startLink(room, name: ChatServices.roomName(Names.fold(start.name)))?.pid
        } catch {
          if case StartError.alreadyStarted = error { return nil }  // another client started it a moment ago
          throw error
        }
      })
    let tree = Supervisor(
      SupervisorFlags(strategy: .restForOne, intensity: 5, period: .seconds(5)),
      children: [
        ChildSpec(id: "room-supervisor", restart: .permanent, shutdown: .infinity, type: .supervisor) { ctx in
          try await ctx.startLink(rooms, name: ChatServices.roomsName)?.pid
        },
        .server(id: "room-restorer", RoomRestorer(services: services)),
      ])
    return ChildSpec(id: "rooms", restart: .permanent, shutdown: .infinity, type: .supervisor) { ctx in
      try await ctx.startLink(tree)?.pid
    }
  }

  /// Starts the room of `name` under the room supervisor (nil if it is not running).
  static func start<M>(_ name: String, create: Bool, _ ctx: Context<M>) async {
    guard let rooms = ctx.node.whereis(ChatServices.roomsName, as: ServerMessage<DynamicSupervisor<RoomStart>>.self) else { return }
    _ = try? await ctx.startChild(GenServerRef(rooms), RoomStart(name: name, create: create))
  }
}

/// Brings back a room for every channel that has a record, when it starts — that is,
/// after the room supervisor (re)started. Then it idles.
struct RoomRestorer: GenServer {
  let services: ChatServices

  typealias State = Int

  func initialize(_ ctx: ServerContext<Self>) async throws -> InitResult<Self> {
    var restored = 0
    // Not a copy of a channel homed on another node (Cluster/Relay.swift): its room is there.
    for (key, record) in services.channels.all where record.home == nil && ctx.node.whereis(ChatServices.roomName(key)) == nil {
      await RoomSupervision.start(record.settings.name, create: false, ctx)
      restored += 1
    }
    return .ok(restored)
  }

  func formatStatus(_ state: State) -> String { "restored \(state) rooms at start" }
}
