// One HTTP connection on the metrics port: a process that reads one request head and
// answers it — the node's and chatd's metrics for `GET /metrics` (or HEAD), 405 for any
// other method there, 404 for any other path, 4xx for a bad request — then closes
// lingering. It owns its socket and reads what others publish; it writes no state.
import Actors
import Control

enum MetricsSession {
  /// Time a scraper has to send its whole request head (slower gets 408).
  static let requestTimeout: Duration = .seconds(10)
  /// Time the supervisors have, all together, to report their restarts.
  static let supervisorTimeout: Duration = .seconds(2)

  /// The session's body: runs in a process started by the metrics-sessions supervisor,
  /// which receives its socket from the listener.
  static func run(_ ctx: Context<Never>, services: ChatServices) async throws {
    let socket = try await ctx.receiveSocket(timeout: .seconds(10))
    socket.setWatermarks(high: 64 << 20, policy: .close)
    let request: HTTPRequest
    switch await HTTPRequest.read(from: socket, ctx, timeout: requestTimeout) {
    case .request(let r, _): request = r
    case .refused(let error): return await answer(HTTPResponse.error(error), socket, ctx)
    case .gone:
      socket.close()
      return
    }
    let isHead = request.method == "HEAD"
    guard request.path == "/metrics" else {
      return await answer(
        HTTPResponse.error(HTTPError(404, "no such page: \(request.path) (the metrics are at /metrics)"), includeBody: !isHead), socket,
        ctx)
    }
    guard request.method == "GET" || isHead else {
      return await answer(
        HTTPResponse.error(HTTPError(405, "\(request.method) is not allowed on /metrics", headers: [("Allow", "GET, HEAD")])), socket, ctx)
    }
    let families =
      await NodeMetrics.collect(ctx.node, root: .automatic, caller: ctx.pid, timeout: supervisorTimeout) + services.metricFamilies()
    let body = Array(PrometheusText.render(families).utf8)
    let response = HTTPResponse.make(
      200, contentType: PrometheusText.contentType, body: body, headers: [("Cache-Control", "no-store")], includeBody: !isHead)
    await answer(response, socket, ctx)
  }

  /// Sends a whole response, then closes without losing it.
  private static func answer(_ response: [UInt8], _ socket: Socket, _ ctx: Context<Never>) async {
    socket.send(response)
    await Linger.close(socket, ctx, until: .peerCloses)
  }
}
