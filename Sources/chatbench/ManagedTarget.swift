// What one run is pointed at when chatbench started it: a single server, or the servers
// of a network with the processes they need (chatd-net's Redis). The runner owns it: it
// starts it, hands its addresses and processes to the run, and stops every process of it
// afterwards (by pid, servers before helpers), removing its directories.
import Foundation

/// A server or network chatbench started for one run.
final class ManagedTarget {
  let kind: ManagedKind
  /// The servers clients connect to, in order (client `i` to `servers[i % count]`).
  let servers: [ManagedServer]
  /// Processes that serve no client but whose CPU and RSS are part of the cost.
  let helpers: [ManagedServer]
  /// A network's own directory, holding each process's; nil for a single server (its
  /// directory is its server's).
  let directory: String?

  init(kind: ManagedKind, servers: [ManagedServer], helpers: [ManagedServer] = [], directory: String? = nil) {
    self.kind = kind
    self.servers = servers
    self.helpers = helpers
    self.directory = directory
  }

  deinit { stop() }

  var name: String { kind.rawValue }

  /// Every process of it.
  var processes: [ManagedServer] { servers + helpers }

  /// Where a run over `transport` sends its clients, and whose cost it measures.
  func target(transport: ChatTransport) -> ServerTarget {
    ServerTarget(
      endpoints: servers.map { server in
        let port: Int
        switch transport {
        case .irc: port = server.port
        case .websocket: port = server.webPort ?? server.port
        case .tls: port = server.tlsPort ?? server.port
        }
        return Endpoint(host: "127.0.0.1", port: port)
      },
      processes: processes.map { ServerProcess(name: $0.name, pid: $0.pid) }, transport: transport)
  }

  /// Its processes that have ended.
  var exited: [ManagedServer] { processes.filter { !$0.isRunning } }

  /// Stops the servers, then the helpers, and removes the network's directory.
  func stop() {
    for s in servers { s.stop() }
    for h in helpers { h.stop() }
    if let directory { try? FileManager.default.removeItem(atPath: directory) }
  }
}
