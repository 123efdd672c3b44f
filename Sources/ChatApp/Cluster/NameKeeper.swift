// What this node holds in the network's Redis — the nicks of its clients, the names of
// the rooms homed here — taken again when Redis has forgotten them (restarted without
// its append-only file, flushed). Redis is the arbiter of those names: one that forgot
// would let a user of another node take a nick in use here, or another node start a
// second room for a channel homed here. A marker key per node says whether Redis still
// has what this node wrote: it is read once a second (one GET), and written again after
// the names are.
//
// Owner: its own process (the marker key). The names stay the global-names registrar's
// (each claim is watched there as when first made).
import Actors
import GenServer
import Redis

struct NameKeeper: GenServer {
  let services: ChatServices
  let network: ChatNetwork

  typealias State = Void

  /// How often the marker is read.
  static let tick: Duration = .seconds(1)

  /// `chatd:{cluster}:names:<node>`, holding this node's incarnation.
  var marker: String { "chatd:{\(services.config.clusterName)}:names:\(network.nodeName)" }

  func initialize(_ ctx: ServerContext<Self>) async throws -> InitResult<Self> {
    _ = try? await network.redis.on(ctx).set(marker, String(network.incarnation))
    return .ok((), .timeout(Self.tick))
  }

  func handleInfo(_ message: Message<Never>, state: inout State, _ ctx: ServerContext<Self>) async throws -> HandleResult<Self> {
    if case .timeout = message { await check(ctx) }
    return .noreply(.timeout(Self.tick))
  }

  func formatStatus(_ state: State) -> String { "every \(Self.tick): \(marker)" }

  /// Reads the marker; if Redis no longer has it, claims every name again.
  private func check(_ ctx: ServerContext<Self>) async {
    let stored: RESPValue?
    do {
      stored = try await network.redis.on(ctx).get(marker)
    } catch {
      return  // Redis unreachable: nothing can be claimed now; asked again next tick
    }
    let mine = String(network.incarnation)
    guard stored?.string != mine else { return }
    services.logger.warning(
      "network: Redis no longer has this node's nicks and channels (restarted without its append-only file?); claiming them again")
    var lost: [String] = []
    for client in services.clients.all where client.isRegistered && client.holdsNick {
      let nick = client.nick
      guard let ok = try? await network.claimNick(nick, for: client, ctx) else { return }
      if !ok { lost.append(nick) }
    }
    for (key, record) in services.channels.all where record.home == nil {
      guard let room = ctx.node.whereis(ChatServices.roomName(key), as: ServerMessage<Room>.self) else { continue }
      guard let ok = try? await network.names.register(ChatNetwork.roomName(key), room, ctx) else { return }
      if !ok { lost.append(record.settings.name) }
    }
    if !lost.isEmpty {
      services.logger.error(
        "network: taken meanwhile by another node while Redis had forgotten them: \(lost.joined(separator: " "))",
        metadata: ["names": .string(lost.joined(separator: " "))])
    }
    _ = try? await network.redis.on(ctx).set(marker, mine)
  }
}
