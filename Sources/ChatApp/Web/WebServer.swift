// chatd's web side in the supervision tree: the children ChatServer adds for it.
//
//   ├── web-sessions  DynamicSupervisor: one WebSession per HTTP connection (temporary)
//   ├── websockets    DynamicSupervisor: one Connection per WebSocket client (temporary)
//   └── web           listener (acceptor) on the web port
import Actors
import GenServer
import Supervision

enum WebServer {
  /// The child specs for the web port, in start order; none when `webPort` is 0.
  static func children(_ services: ChatServices, bound: BoundPort) -> [ChildSpec] {
    let config = services.config
    guard config.webPort != 0 else { return [] }
    let sessions = DynamicSupervisor<Socket>(
      intensity: 1_000_000, period: .seconds(1),
      template: DynamicChildSpec(
        restart: .temporary, shutdown: .brutalKill
      ) { ctx, _ in
        ctx.spawnLink(Never.self, options: SpawnOptions(label: "http session")) { ctx in
          try await WebSession.run(ctx, services: services)
        }.pid
      })
    let webSockets = DynamicSupervisor<WebSocket.Upgrade>(
      intensity: 1_000_000, period: .seconds(1),
      template: DynamicChildSpec(
        restart: .temporary, shutdown: .timeout(.seconds(2))
      ) { ctx, upgrade in
        try await ctx.startLink(Connection(services: services, upgrade: upgrade))?.pid
      })
    return [
      ChildSpec(id: "web-sessions", restart: .permanent, shutdown: .infinity, type: .supervisor) { ctx in
        try await ctx.startLink(sessions, name: ChatServices.webSessionsName)?.pid
      },
      ChildSpec(id: "websockets", restart: .permanent, shutdown: .infinity, type: .supervisor) { ctx in
        try await ctx.startLink(webSockets, name: ChatServices.webSocketsName)?.pid
      },
      Listener.childSpec(
        id: "web", host: config.webHost, port: config.webPort, supervisor: ChatServices.webSessionsName,
        bound: bound, refusal: HTTPResponse.error(HTTPError(503, "server full"))),
    ]
  }
}
