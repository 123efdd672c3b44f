// Where a run's load goes: one server, or the servers of one network, and the processes
// whose cost is the server's. Built by the runner (from the flags, or from what it started)
// and read by the chat and idle runs; nobody changes it during a run.

/// A loopback address clients connect to.
struct Endpoint: Equatable, Sendable, CustomStringConvertible {
  var host: String
  var port: Int

  var description: String { "\(host):\(port)" }
}

/// A process whose CPU time and RSS count as the server's.
struct ServerProcess: Equatable, Sendable {
  /// How the logs name it ("chatd-net/a", "chatd-net/redis", "pid 1234").
  var name: String
  var pid: Int32
}

/// Where the load goes.
struct ServerTarget: Sendable {
  /// The servers clients connect to, spread as `RunContext.endpoint(for:)` says.
  var endpoints: [Endpoint]
  /// For the server's CPU time and RSS (/proc), summed over all of them: a network's cost
  /// is all its processes. Empty: not measured.
  var processes: [ServerProcess] = []
  /// IRC over TCP, or over WebSocket (then the ports are web ports).
  var transport = ChatTransport.irc

  /// Several servers linked into one network.
  var isNetwork: Bool { endpoints.count > 1 }

  /// "127.0.0.1:6667, pid 12" or "127.0.0.1:6667 + 127.0.0.1:6668, pids 12, 13, 14".
  var summary: String {
    let addresses = endpoints.map(\.description).joined(separator: " + ")
    guard !processes.isEmpty else { return addresses }
    let pids = processes.map { String($0.pid) }.joined(separator: ", ")
    return addresses + (processes.count == 1 ? ", pid " : ", pids ") + pids
  }
}
