// chatd's web side in the supervision tree: the children ChatServer adds for it. The
// listener goes after the IRC listener, with the other listeners at the end of the root.
//
//   ├── web-sessions  DynamicSupervisor: one WebSession per HTTP connection (temporary)
//   ├── websockets    DynamicSupervisor: one Connection per WebSocket client (temporary)
//   ...
//   ├── web           listener (acceptor) on the web port
//   ├── web-tls       listener on the HTTPS port (--web-tls): the same sessions, over TLS
import Actors
import GenServer
import Supervision

enum WebServer {
  /// The supervisors of the web ports' sessions and WebSocket clients, in start order;
  /// none when `webPort` is 0 and there is no HTTPS port.
  static func supervisors(_ services: ChatServices) -> [ChildSpec] {
    let config = services.config
    guard config.webPort != 0 || config.webTLSPort != nil else { return [] }
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
        // Time to say goodbye at shutdown (Connection.terminate), and a little more.
        restart: .temporary, shutdown: .timeout(config.goodbyeTime + .milliseconds(500))
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
    ]
  }

  /// The listener on the web port; none when `webPort` is 0. The port it bound is
  /// written to `bound`.
  static func listener(_ services: ChatServices, bound: BoundPort, inherited: Int32? = nil) -> [ChildSpec] {
    let config = services.config
    guard config.webPort != 0 else { return [] }
    return [
      Listener.childSpec(
        id: "web", host: config.webHost, port: config.webPort, inherited: inherited, supervisor: ChatServices.webSessionsName,
        bound: bound, refusal: HTTPResponse.error(HTTPError(503, "server full")))
    ]
  }

  /// The HTTPS listener (`--web-tls`): the web port's sessions behind TLS, so the page
  /// comes over HTTPS and its WebSocket over WSS. None without an HTTPS port.
  static func tlsListener(_ services: ChatServices, bound: BoundPort) -> [ChildSpec] {
    let config = services.config
    guard let port = config.webTLSPort, let tls = services.tls else { return [] }
    return [
      Listener.childSpec(
        id: "web-tls", host: config.webTLSHost, port: port, supervisor: ChatServices.webSessionsName,
        bound: bound, refusal: HTTPResponse.error(HTTPError(503, "server full")), secure: { tls.session(for: .web) })
    ]
  }
}
