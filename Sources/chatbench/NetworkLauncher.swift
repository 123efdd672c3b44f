// Managed networks: two servers of one kind linked into one network, plus chatd-net's
// `redis-server`, each process in its own directory under the network's, started in the
// order that lets the link form at once (the side that waits, then the side that
// connects), and ready only when a client of the second server sees a client of the first
// (NetworkProbe). Any failure stops what was started and says which process failed, with
// the last lines it wrote.
import Foundation
import Glibc

enum NetworkLauncher {
  /// Passwords of the links: loopback only, and a fresh pair of servers per run.
  static let linkPasswords = (first: "chatbench-a", second: "chatbench-b")

  /// Starts network `kind` and waits until it is linked (30 s at most each).
  static func start(_ kind: ManagedKind, web: Bool, chatdPath: String?, chatdArguments: [String], log: Log) throws(LaunchError)
    -> ManagedTarget
  {
    if web && kind != .chatdNet { throw LaunchError("\(kind.rawValue) has no WebSocket listener") }
    guard let ports = ServerLauncher.freeLoopbackPorts(6) else { throw LaunchError("no free loopback ports") }
    let directory = try ServerLauncher.makeDirectory("chatbench-\(kind.rawValue)-\(getpid())-\(ports[0])")
    var started: [ManagedServer] = []
    do throws(LaunchError) {
      let network: ManagedTarget
      switch kind {
      case .inspircdNet:
        network = try inspircd(
          clientPorts: [ports[0], ports[1]], serverPorts: [ports[2], ports[3]], directory: directory, log: log, started: &started)
      case .ngircdNet:
        network = try ngircd(ports: [ports[0], ports[1]], directory: directory, log: log, started: &started)
      case .chatdNet:
        network = try chatd(
          ports: [ports[0], ports[1]], webPorts: web ? [ports[2], ports[3]] : nil, redisPort: ports[4], directory: directory,
          chatdPath: chatdPath, chatdArguments: chatdArguments, log: log, started: &started)
      case .chatd, .ngircd, .inspircd, .floor:
        throw LaunchError("\(kind.rawValue) is one server, not a network")
      }
      try NetworkProbe.waitUntilLinked(network.servers.map { Endpoint(host: "127.0.0.1", port: $0.port) }, name: kind.rawValue, log: log)
      return network
    } catch {
      for s in started.reversed() { s.stop() }
      try? FileManager.default.removeItem(atPath: directory)
      throw error
    }
  }

  /// A fresh directory for one process of the network.
  private static func subdirectory(_ directory: String, _ name: String) throws(LaunchError) -> String {
    let path = directory + "/" + name
    do {
      try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    } catch {
      throw LaunchError("cannot create \(path): \(error)")
    }
    return path
  }

  /// Two InspIRCd: b accepts server links, a connects to it (`<autoconnect>` every second).
  private static func inspircd(
    clientPorts: [Int], serverPorts: [Int], directory: String, log: Log, started: inout [ManagedServer]
  ) throws(LaunchError) -> ManagedTarget {
    let names = ["a.inspircd.local", "b.inspircd.local"]
    let ids = ["0AA", "0BB"]
    var servers: [ManagedServer?] = [nil, nil]
    for i in [1, 0] {
      let peer = 1 - i
      let link = InspircdLink(
        name: names[i], id: ids[i], serverPort: serverPorts[i], peerName: names[peer], peerServerPort: serverPorts[peer],
        connects: i == 0,
        sendPassword: i == 0 ? linkPasswords.first : linkPasswords.second,
        receivePassword: i == 0 ? linkPasswords.second : linkPasswords.first)
      let sub = try subdirectory(directory, i == 0 ? "a" : "b")
      let plan = try ServerLauncher.inspircdPlan(port: clientPorts[i], directory: sub, link: link)
      let server = try ServerLauncher.launch(
        name: "inspircd-net/\(i == 0 ? "a" : "b")", plan: plan, port: clientPorts[i], directory: sub, log: log)
      started.append(server)
      servers[i] = server
    }
    return ManagedTarget(kind: .inspircdNet, servers: servers.compactMap { $0 }, directory: directory)
  }

  /// Two ngIRCd: b waits, a connects to b's port (ngIRCd links on its client ports).
  private static func ngircd(ports: [Int], directory: String, log: Log, started: inout [ManagedServer]) throws(LaunchError)
    -> ManagedTarget
  {
    let names = ["a.ngircd.local", "b.ngircd.local"]
    var servers: [ManagedServer?] = [nil, nil]
    for i in [1, 0] {
      let peer = 1 - i
      let link = NgircdLink(
        name: names[i], peerName: names[peer], peerPort: i == 0 ? ports[peer] : nil,
        myPassword: i == 0 ? linkPasswords.first : linkPasswords.second,
        peerPassword: i == 0 ? linkPasswords.second : linkPasswords.first, connectionTable: openFileLimit())
      let sub = try subdirectory(directory, i == 0 ? "a" : "b")
      let plan = try ServerLauncher.ngircdPlan(port: ports[i], directory: sub, link: link)
      let server = try ServerLauncher.launch(name: "ngircd-net/\(i == 0 ? "a" : "b")", plan: plan, port: ports[i], directory: sub, log: log)
      started.append(server)
      servers[i] = server
    }
    return ManagedTarget(kind: .ngircdNet, servers: servers.compactMap { $0 }, directory: directory)
  }

  /// `redis-server` on `redisPort` (no snapshots, an append-only file in its directory),
  /// then chatd nodes a and b with the flags a single chatd gets, plus the cluster's.
  private static func chatd(
    ports: [Int], webPorts: [Int]?, redisPort: Int, directory: String, chatdPath: String?, chatdArguments: [String], log: Log,
    started: inout [ManagedServer]
  ) throws(LaunchError) -> ManagedTarget {
    let exe = ServerLauncher.chatdExecutable(override: chatdPath)
    guard FileManager.default.isExecutableFile(atPath: exe) else {
      throw LaunchError("chatd is not built (no executable at \(exe)); build it with `swift build -c release --product chatd`")
    }
    let redisDirectory = try subdirectory(directory, "redis")
    let redis = try ServerLauncher.launch(
      name: "chatd-net/redis", plan: redisPlan(executable: try redisExecutable(), port: redisPort, directory: redisDirectory),
      port: redisPort, directory: redisDirectory, log: log)
    started.append(redis)
    var servers: [ManagedServer] = []
    for (i, node) in ["a", "b"].enumerated() {
      let sub = try subdirectory(directory, node)
      let webPort = webPorts?[i]
      guard
        var plan = ServerLauncher.chatdPlan(
          executable: exe, port: ports[i], webPort: webPort ?? 0, directory: sub,
          extra: chatdNodeArguments(redisPort: redisPort, node: node, directory: sub) + chatdArguments)
      else { throw LaunchError("chatd is not built (no executable at \(exe))") }
      // Two nodes on one machine share its cores: each gets its half of the schedulers
      // (one thread per core in all, as two single-threaded InspIRCd or ngIRCd have),
      // not one per core each — four threads on two cores slept and woke each other
      // (the kernel's task switch was 4 % of the network's CPU at S3).
      plan.environment["OTTER_SCHEDULERS"] = String(chatdNodeSchedulers)
      let server = try ServerLauncher.launch(
        name: "chatd-net/\(node)", plan: plan, port: ports[i], webPort: webPort, directory: sub, log: log)
      started.append(server)
      servers.append(server)
    }
    return ManagedTarget(kind: .chatdNet, servers: servers, helpers: [redis], directory: directory)
  }

  /// Scheduler threads per chatd node: the machine's cores shared by the two nodes.
  static var chatdNodeSchedulers: Int { max(1, ProcessInfo.processInfo.activeProcessorCount / 2) }

  /// What makes a chatd a node of the network: the shared Redis, its name, a link
  /// listener on a port of its own choosing, its control socket in its data directory.
  static func chatdNodeArguments(redisPort: Int, node: String, directory: String) -> [String] {
    [
      "--cluster", "redis://127.0.0.1:\(redisPort)", "--node", node, "--cluster-listen", "127.0.0.1:0",
      "--control-socket", directory + "/data/control.sock",
    ]
  }

  /// The network's Redis: loopback only, no RDB snapshots, an append-only file (what a
  /// chatd network runs with), in the foreground so chatbench holds its pid.
  static func redisPlan(executable: String, port: Int, directory: String) -> LaunchPlan {
    LaunchPlan(
      executable: executable,
      arguments: [
        "--port", String(port), "--bind", "127.0.0.1", "--dir", directory, "--save", "", "--appendonly", "yes",
        "--daemonize", "no",
      ])
  }

  /// This process's open-file limit, which the servers it starts inherit: no descriptor
  /// of theirs is numbered above it.
  static func openFileLimit() -> Int {
    var limit = rlimit()
    guard getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0, limit.rlim_cur < 1 << 30 else { return 1 << 20 }
    return Int(limit.rlim_cur)
  }

  static func redisExecutable() throws(LaunchError) -> String {
    guard let exe = ServerLauncher.installed("redis-server") else {
      throw LaunchError("redis-server is not installed (scripts/setup.sh installs it, or apt-get install -y redis-server)")
    }
    return exe
  }
}
