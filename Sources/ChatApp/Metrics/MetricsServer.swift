// The metrics endpoint in chatd's supervision tree: an admin HTTP listener (loopback by
// default) whose `/metrics` a Prometheus server scrapes. The acceptor pattern, as on the
// web port:
//
//   ├── metrics-sessions  DynamicSupervisor: one MetricsSession per HTTP connection (temporary)
//   └── metrics           listener (acceptor) on the metrics port
import Actors
import GenServer
import Supervision

enum MetricsServer {
  /// The child specs for the metrics port, in start order; none when it is off.
  static func children(_ services: ChatServices, bound: BoundPort) -> [ChildSpec] {
    let config = services.config
    guard let port = config.metricsPort else { return [] }
    let sessions = DynamicSupervisor<Socket>(
      // A scraper comes every few seconds; a few at once are plenty.
      intensity: 1_000_000, period: .seconds(1), maxChildren: 64,
      template: DynamicChildSpec(
        restart: .temporary, shutdown: .brutalKill
      ) { ctx, _ in
        ctx.spawnLink(Never.self, options: SpawnOptions(label: "metrics session")) { ctx in
          try await MetricsSession.run(ctx, services: services)
        }.pid
      })
    return [
      ChildSpec(id: "metrics-sessions", restart: .permanent, shutdown: .infinity, type: .supervisor) { ctx in
        try await ctx.startLink(sessions, name: ChatServices.metricsSessionsName)?.pid
      },
      Listener.childSpec(
        id: "metrics", host: config.metricsHost, port: port, supervisor: ChatServices.metricsSessionsName, bound: bound,
        refusal: HTTPResponse.error(HTTPError(503, "too many metrics requests at once"))),
    ]
  }
}

extension ChatServices {
  /// The dynamic supervisor of HTTP sessions on the metrics port.
  static let metricsSessionsName = "chatd.metrics-sessions"
}
